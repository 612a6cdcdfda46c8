import type { Placement } from '../../core/placement.ts';
import type { WorkloadCategory } from '../../core/workload-kind.ts';
import type { Provenance } from '../run-schema.ts';

/**
 * The report's sections, in the order both renderers (Markdown and HTML) give them: the answer and
 * what it rests on first, the long tables last. Decided here, once.
 */
export const SECTIONS = [
  ['answer', 'The answer'],
  ['since', 'Since v5.1'],
  ['constraints', 'Hard constraints'],
  ['claims', 'Claims of the v5.1 decision, checked'],
  ['crossovers', 'Crossovers along the hold sweep'],
  ['cost', 'Modelled kernel cost'],
  ['charts', 'Charts'],
  ['rankings', 'Rankings per workload'],
  ['workloads', 'Workloads'],
  ['speed', 'Harness speed'],
  ['threats', 'Threats to validity'],
  ['reproduce', 'Reproduce'],
] as const;

export type SectionId = (typeof SECTIONS)[number][0];

/**
 * The answer for one kernel: what the run's records of that kernel recommend, and everything the
 * recommendation rests on. Kernels are never mixed: each is its own machine.
 */
export interface KernelAnswer {
  /** The Linux version whose allocators these records model ('5.1', '6.18'). */
  kernel: string;
  recommendation: Recommendation;
  constraints: ConstraintRow[];
  crossovers: Crossover[];
  claims: Claim[];
  cost: CostSummary;
}

/** What the design-decision report says, computed from a run; the Markdown and HTML exporters render it. */
export interface ReportModel {
  title: string;
  /** The question the run answers, one paragraph. */
  question: string;
  /** One answer per kernel of the run, oldest first; a run of one kernel has one. */
  answers: KernelAnswer[];
  /** What the newer kernels change against v5.1, from the records of both. */
  since: SinceSummary;
  /** What the answer, the claims and the crossovers rank memory by. */
  objective: ObjectiveInfo;
  rankings: CellRanking[];
  speed: SpeedSummary;
  workloads: WorkloadNote[];
  threats: string[];
  /** The command that reproduces the run. */
  reproduce: string;
  provenance: Provenance;
  interrupted: boolean;
  /** What an incomplete run lacks (results/completeness.ts), for a banner at the top; null when complete. */
  incomplete?: string | null;
}

/** One strategy's figures under v5.1 and under a newer kernel, over the cells both ran. */
export interface SinceRow {
  strategy: string;
  /** Cells (workload, cpus, seed) run under both kernels. */
  cells: number;
  /** Cells where the peak, mean or final footprint differs. */
  footprint_differs: number;
  /** Geometric mean over the cells of peak footprint new ÷ v5.1 (1 = unchanged). */
  peak_ratio: number;
  /** Failed allocations, summed over the cells: v5.1, then the newer kernel. */
  failures: [number, number];
  /** Live tables per page held at the largest hold point both ran without failing, or null. */
  density: [number, number] | null;
  /** Mean reuse rate over the cells with frees. */
  reuse: [number, number] | null;
  /** Largest metadata of the cells, in bytes. */
  metadata: [number, number];
  /** Geometric mean of the modelled kernel ns per event over the cells costed under both, or null. */
  cost: [number, number] | null;
}

/** What one newer kernel changes: the answer, the figures per strategy, and findings in words. */
export interface SinceKernel {
  kernel: string;
  rows: SinceRow[];
  /** Sentences with numbers from the run: the answer, retention after frees, crossovers that moved… */
  findings: string[];
}

export interface SinceSummary {
  /** The kernel compared against: 5.1 when the run has it. Null when the run has one kernel only. */
  base: string | null;
  /** Why there is nothing to compare, or '' when there is. */
  note: string;
  kernels: SinceKernel[];
}

export interface Recommendation {
  /** The strategy recommended, or null when none meets the hard constraints. */
  strategy: string | null;
  /** One or two sentences with its numbers. */
  summary: string;
  /** Key figures: label and formatted value. */
  numbers: { label: string; value: string }[];
  /** Conditions under which the answer changes, each a sentence. */
  flips: string[];
  /** When the answer is a variant (non-default parameters): the best strategy of another kind, should its setting not hold. */
  otherwise?: string;
}

export interface ConstraintRow {
  strategy: string;
  placement: Placement | 'unknown';
  dma32_violations: number;
  alloc_failures: number;
  /** Workloads where it broke a constraint. */
  broken_in: string[];
  /** 'ok', or what disqualifies it. */
  verdict: string;
  qualifies: boolean;
  /** For an excluded strategy: what would qualify it (a parameter value, a placement), each a sentence. */
  qualify: string[];
}

export interface RankedValue {
  strategy: string;
  value: number | null;
  text: string;
  /** 1 = best among the strategies that met the hard constraints in this cell; equal values share a rank. Null: excluded here. */
  rank: number | null;
  /** Equal to another ranked strategy's value (exact metrics). */
  tie: boolean;
  /** Throughput: not distinguishable from the next better one within the margins of error. */
  within_noise: boolean;
}

/** One metric ranked among the strategies of a cell. */
export interface MetricRanking {
  metric: string;
  label: string;
  better: 'lower' | 'higher';
  rows: RankedValue[];
}

/** A strategy in one cell, with the hard constraints it met there. */
interface CellStrategy {
  strategy: string;
  allocs: number;
  alloc_failures: number;
  dma32_violations: number;
  /** Why it is not ranked in this cell (failed allocations, tables above 4 GiB), or null. */
  excluded: string | null;
}

/** The rankings of one (workload, cpus, kernel, seed) cell. */
export interface CellRanking {
  workload: string;
  cpus: number;
  kernel: string;
  seed: number;
  /** Every strategy of the cell, in run order. */
  strategies: CellStrategy[];
  metrics: MetricRanking[];
}

/** The memory figure the answer ranks by. */
export interface ObjectiveInfo {
  name: 'peak' | 'mean';
  /** The record field: peak_footprint_bytes or mean_footprint_bytes. */
  key: 'peak_footprint_bytes' | 'mean_footprint_bytes';
  /** Short label: "peak footprint". */
  label: string;
  /** Why it is the basis, for the answer. */
  why: string;
}

/** Where two qualifying strategies change order in the objective's footprint along the hold sweep. */
export interface Crossover {
  /** Better below the crossover (below the first change when the order alternates). */
  below: string;
  /** Better above it (from the last change on). */
  above: string;
  /** Live tables: the last count where `below` is better, and the first from which `above` stays better. */
  from: number;
  to: number;
  cpus: number;
  /** Changes of order between from and to: 1 for a clean crossover, more when the order alternates. */
  changes: number;
  sentence: string;
}

export interface Claim {
  claim: string;
  source: string;
  evidence: string;
  verdict: 'confirmed' | 'refuted' | 'partly' | 'not tested';
}

export interface WorkloadNote {
  workload: string;
  kind: WorkloadCategory | 'unknown';
  provenance: string;
}

/** The modelled kernel cost of the qualifying strategies, and how robust its order is. */
export interface CostSummary {
  /** Cheapest first: geometric mean of kernel ns per event over the workloads all could be costed on. */
  strategies: { strategy: string; ns_per_op: number }[];
  /** Strategies of the run the cost table has no entry for (their modelled kernel cost is empty). */
  uncosted: string[];
  /** The units the run's strategies pay, with their value, range and source. */
  units: { unit: string; ns: number; low: number; high: number; source: string }[];
  /** Which unit changes (halved, doubled, all low, all high) reorder the strategies. */
  sensitivity: string;
}

/** The simulator's own speed: JavaScript, not kernel time. */
export interface SpeedSummary {
  rows: { strategy: string; text: string }[];
}
