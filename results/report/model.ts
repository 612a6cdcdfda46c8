import type { WorkloadCategory } from '../record.ts';
import type { Provenance } from '../run.ts';

/**
 * The report's sections, in the order both renderers (Markdown and HTML) give them: the answer and
 * what it rests on first, the long tables last. Decided here, once.
 */
export const SECTIONS = [
  ['answer', 'The answer'],
  ['constraints', 'Hard constraints'],
  ['claims', 'Claims of the v5.1 decision, checked'],
  ['crossovers', 'Crossovers along the hold sweep'],
  ['charts', 'Charts'],
  ['rankings', 'Rankings per workload'],
  ['workloads', 'Workloads'],
  ['threats', 'Threats to validity'],
  ['reproduce', 'Reproduce'],
] as const;

export type SectionId = (typeof SECTIONS)[number][0];

/** What the design-decision report says, computed from a run; the Markdown and HTML exporters render it. */
export interface ReportModel {
  title: string;
  /** The question the run answers, one paragraph. */
  question: string;
  recommendation: Recommendation;
  constraints: ConstraintRow[];
  rankings: Ranking[];
  crossovers: Crossover[];
  claims: Claim[];
  workloads: WorkloadNote[];
  threats: string[];
  /** The command that reproduces the run. */
  reproduce: string;
  provenance: Provenance;
  interrupted: boolean;
  /** What an incomplete run lacks (results/completeness.ts), for a banner at the top; null when complete. */
  incomplete?: string | null;
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
}

export interface ConstraintRow {
  strategy: string;
  placement: 'dma32' | 'any' | 'unknown';
  dma32_violations: number;
  alloc_failures: number;
  /** Workloads where it broke a constraint. */
  broken_in: string[];
  /** 'ok', or what disqualifies it. */
  verdict: string;
  qualifies: boolean;
}

export interface RankedValue {
  strategy: string;
  value: number | null;
  text: string;
  /** 1 = best; equal values share a rank. */
  rank: number;
  /** Equal to another strategy's value (exact metrics). */
  tie: boolean;
  /** Throughput: not distinguishable from the next better one within the margins of error. */
  within_noise: boolean;
}

export interface Ranking {
  workload: string;
  cpus: number;
  seed: number;
  metric: string;
  label: string;
  better: 'lower' | 'higher';
  rows: RankedValue[];
}

/** Where two strategies change order in footprint along the hold sweep. */
export interface Crossover {
  /** Better below the crossover. */
  below: string;
  /** Better above it. */
  above: string;
  /** Live tables: the last count where `below` is better, and the first where `above` is. */
  from: number;
  to: number;
  cpus: number;
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
