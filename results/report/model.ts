import type { Placement } from '../../core/placement.ts';
import type { PlatformFactRow } from '../../core/platform-facts.ts';
import type { FullRecord } from '../../core/record.ts';
import type { WorkloadCategory } from '../../core/workload-kind.ts';
import type { Provenance } from '../run-schema.ts';
import type { AggregationName, StrategyAggregates } from './aggregations.ts';
import type { RealCaptures } from './real-captures.ts';
import type { ScopeFacts } from './scope.ts';
import type { GroupSums } from './workload-groups.ts';

/**
 * The report's sections, in the order both renderers (Markdown and HTML) give them: the answer and
 * what it rests on first, the long tables last. Decided here, once.
 */
export const SECTIONS = [
  ['answer', 'The answer'],
  ['captures', 'What the real captures change'],
  ['platforms', 'Platforms'],
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
 * The answer for one platform under one kernel: what the run's records of that scope recommend, and
 * everything the recommendation rests on. Scopes are never mixed: each is its own machine.
 */
export interface KernelAnswer {
  /** The Linux version whose allocators these records model ('5.1', '6.18'). */
  kernel: string;
  /** The platform the records were run for, or null in a run without the platform axis. */
  platform: string | null;
  /** How headings name the scope: `Linux 5.1`, `mt8173, Linux 5.1`. */
  title: string;
  /** Where an engineer decides on this platform: its typical and its largest table count. */
  facts: ScopeFacts;
  recommendation: Recommendation;
  constraints: ConstraintRow[];
  crossovers: Crossover[];
  claims: Claim[];
  cost: CostSummary;
  /** The answer on the real IOMMU captures against the illustrative scenarios (real-captures.ts); null without captures. */
  real?: RealCaptures | null;
}

/** One platform of the run: what it is, and its facts with their sources (core/platform-facts.ts). */
export interface PlatformSection {
  /** Its name, `(hypothetical)` after it where no such hardware exists. */
  name: string;
  description: string;
  driver: string;
  board: string;
  rows: PlatformFactRow[];
}

/** What the design-decision report says, computed from a run; the Markdown and HTML exporters render it. */
export interface ReportModel {
  title: string;
  /** The question the run answers, one paragraph. */
  question: string;
  /** One answer per kernel of the run, oldest first; a run of one kernel has one. */
  answers: KernelAnswer[];
  /** The facts the answers rest on, per platform of the run, with their sources. */
  platforms: PlatformSection[];
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
  /** Geometric mean over the workloads (the hold sweep as one) of peak footprint new ÷ v5.1 (1 = unchanged). */
  peak_ratio: number;
  /** Failed allocations, summed over the cells: v5.1, then the newer kernel. */
  failures: [number, number];
  /** Live tables per page held at the largest hold point both ran without failing, or null. */
  density: [number, number] | null;
  /** Mean reuse rate over the cells with frees. */
  reuse: [number, number] | null;
  /** Largest metadata of the cells, in bytes. */
  metadata: [number, number];
  /** Geometric mean over the workloads (the hold sweep as one) of the modelled kernel ns per event, costed under both, or null. */
  cost: [number, number] | null;
}

/** What one newer kernel changes: the answer, the figures per strategy, and findings in words. */
export interface SinceKernel {
  kernel: string;
  /** The kernel compared against: the platform's v5.1, or its oldest. */
  base: string;
  /** How a heading names it: `Linux 6.18`, or `mt8173: Linux 6.18` when the run has several platforms. */
  title: string;
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

/** One strategy the answer compares, under each aggregation and at the table counts that decide. */
export interface AggregateRow extends StrategyAggregates {
  /** The pages alone, summed over the same workloads (the basis without metadata). */
  pages_sum: number;
  /** Held at the hold-sweep points that measured the platform's typical and largest table counts (null: not run). */
  at_typical: number | null;
  at_max: number | null;
}

/** Memory given back after the peak, over the workloads that free tables. */
export interface GivenBackRow {
  strategy: string;
  /** Workloads that drain (fewer tables live at the end than at the peak). */
  workloads: number;
  /** Held at each one's peak, and at its end, summed (pages and metadata). */
  at_peak: number;
  at_end: number;
  /** The most given back after each one's peak (its peak less the least held after it), summed. */
  returned: number;
  /** When it gives memory back, in words with numbers. */
  when: string;
}

/** A strategy that is never the answer here, and why. */
export interface Unavailable {
  strategy: string;
  kind: 'not applicable' | 'excluded';
  why: string;
}

export interface Recommendation {
  /** The strategy the decision rule picks, or null when no strategy may be the answer. */
  strategy: string | null;
  /** True when it is best under every aggregation: then, and only then, it is called the winner. */
  agreed: boolean;
  /** Strategies equal to it under every aggregation. */
  tied: string[];
  /** The decision rule, one sentence. */
  rule: string;
  /** The answer in one sentence. */
  headline: string;
  /** Key figures where an engineer decides: label and formatted value. */
  numbers: { label: string; value: string }[];
  /** Every strategy compared, under each aggregation, in the order of the decision rule. */
  table: AggregateRow[];
  /** The platform's typical and largest table counts, and the hold-sweep points that measured them (null: not run). */
  counts: {
    typical: { wanted: number; measured: number | null };
    max: { wanted: number; measured: number | null };
  };
  /** Workloads compared (the hold sweep as one). */
  units: number;
  winners: Record<AggregationName, string[]>;
  /** Where the aggregations disagree, in words: who wins where, by how many bytes. */
  disagreements: string[];
  /** The sum of bytes by kind of workload (real traces, models, synthetic patterns), kinds the run has. */
  groups: GroupSums[];
  givenBack: GivenBackRow[];
  /** Strategies never the answer here: not applicable on the platform, or excluded by the run. */
  unavailable: Unavailable[];
  /** Conditions under which the answer changes, each a sentence. */
  flips: string[];
  /** What the answer's non-default parameters mean, said once; '' for a default strategy. */
  setting: string;
  /** When the answer is a variant (non-default parameters): the best strategy of another kind, should its setting not hold. */
  otherwise?: string;
}

export interface ConstraintRow {
  strategy: string;
  /** False when the platform cannot use the strategy at all; `not_applicable` says why. */
  applicable: boolean;
  not_applicable: string | null;
  placement: Placement | 'unknown';
  /** Tables at or above the platform's limit, over the strategy's cells. */
  placement_violations: number;
  /** The limit, in words: `4 GiB`, `32 GiB`. */
  limit: string;
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
  placement_violations: number;
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
  /** What a record's strategy held, pages and metadata (held.ts). */
  held: (r: FullRecord) => number;
  /** The pages alone, given beside it. */
  pages: (r: FullRecord) => number;
  /** Short label: "peak held". */
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

/** One walker operation's cache maintenance: the units it pays and their cost. */
interface WalkerOp {
  op: string;
  /** `18 × dc_cvac_line + 3 × dsb_sy`. */
  counts: string;
  ns: number;
  low: number;
  high: number;
}

/** The modelled kernel cost of the strategies that may be the answer, and how robust its order is. */
export interface CostSummary {
  /**
   * Cheapest first: geometric mean over the workloads (the hold sweep as one) of kernel ns per event,
   * with the same every unit at its low end and at its high end.
   */
  strategies: { strategy: string; ns_per_op: number; low: number; high: number }[];
  /** Strategies of the run the cost table has no entry for (their modelled kernel cost is empty). */
  uncosted: string[];
  /** The units paid, with their value, range, the CPU they were measured on and their source. */
  units: {
    unit: string;
    ns: number;
    low: number;
    high: number;
    measured_on?: string | undefined;
    source: string;
    contended?: { cpus: number; ns: number; source: string } | undefined;
  }[];
  /** Which unit changes (halved, doubled, all low, all high) reorder the strategies. */
  sensitivity: string;
  /** What pricing contention where a source measured it changes, one sentence. */
  contention: string;
  /** The cache maintenance of the platform's table walker (null: the cost table has none). */
  walker: {
    coherent: boolean;
    /** Where the platform's coherence comes from. */
    source: string;
    ops: WalkerOp[];
    /** Each strategy's cost with the maintenance added, when the walker is not coherent. */
    with_walker: { strategy: string; ns_per_op: number }[];
  } | null;
}

/** The simulator's own speed: JavaScript, not kernel time. */
export interface SpeedSummary {
  rows: { strategy: string; text: string }[];
}
