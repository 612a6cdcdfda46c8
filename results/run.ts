import type { CostsProvenance, CostTable } from './costs.ts';
import type { FullRecord } from './record.ts';

/** The version of results.json's format written now. */
export const RUN_SCHEMA = 'l2bench-run/2';
/** The versions the reader takes: l2bench-run/1 files lack `complete` and `missing`. */
export const READABLE_SCHEMAS = ['l2bench-run/1', RUN_SCHEMA] as const;

/** Where a run came from, so that it can be trusted and reproduced. */
export interface Provenance {
  l2bench_version: string;
  git_commit: string | null;
  node_version: string;
  v8_version: string;
  cpu_model: string;
  platform: string;
  started_at: string;
  command_line: string[];
  machine: Record<string, number>;
  /** The suite file the run came from, or '' for a run from flags. */
  suite: string;
  /** The Linux versions whose allocators the run models (absent before runs said: '5.1'). */
  kernels?: string[];
  /** The time budget per cell in ms (spread over its rounds of timing), or null without throughput. */
  throughput_time_ms: number | null;
  /** The cost table kernel_ns_per_op was computed with: its file ('default' for the shipped one), hash and content. */
  costs?: CostsProvenance & { table: CostTable };
  /** Worker threads that measured the exact metrics. */
  jobs?: number;
  /** The whole plan this run belongs to (its cells and their hash), and which shard of it this is. */
  plan?: { cells: number; sha256: string; shard: { index: number; count: number } | null } | null;
  /** Uncommitted changes to tracked files of l2bench's git tree; null outside git. */
  git_dirty?: boolean | null;
  /** Files the run read that git does not pin: user strategy modules and the suite, with their sha256. */
  input_files?: { kind: 'strategy module' | 'suite'; path: string; sha256: string }[];
  /** Rounds of timing per cell, each in a fresh isolate (throughput only). */
  throughput_rounds?: number | null;
}

/** A planned cell without a complete record, and why. */
export interface MissingCell {
  workload: string;
  strategy: string;
  cpus: number;
  /** The kernel modelled ('5.1' in runs written before the kernel axis). */
  kernel?: string;
  seed: number;
  /** The strategy's module file, or null for a built-in one. */
  module: string | null;
  /**
   * failed: the strategy threw (or broke an invariant); timeout: it ran past the cell timeout; not
   * run: the run stopped first; not timed: measured, but its throughput was not (fully) timed.
   */
  reason: 'failed' | 'timeout' | 'not run' | 'not timed';
  /** Where it failed: the exact metrics or the throughput; null when not run. */
  step: 'metrics' | 'throughput' | null;
  /** The error, for failed and timeout. */
  error: string | null;
}

/** Everything an exporter may read. */
export interface RunResult {
  schema: typeof RUN_SCHEMA;
  provenance: Provenance;
  records: FullRecord[];
  /** True when the run was interrupted: the records are the cells that finished. */
  interrupted: boolean;
  /**
   * True only when every planned cell has its record, fully timed, and none failed: written false
   * while the run goes, so a run killed midway never passes for complete.
   */
  complete: boolean;
  /** Cells the run was to measure (records may be fewer when interrupted). */
  cells: number;
  /** The planned cells without a complete record, and why (empty when complete). */
  missing: MissingCell[];
}

/** How the reports rank; the data files ignore it. */
export interface ReportOptions {
  /** The memory figure the answer, the claims and the crossovers rank by: peak (default) or mean footprint. */
  objective?: 'peak' | 'mean';
  /** The cost table for the modelled kernel cost (default: the one the run recorded, else the shipped one). */
  costs?: CostTable;
}

/**
 * One output format, as hyperfine's exporters: a file name and a pure rendering. A rendering that
 * loads libraries on demand (the HTML report's charts) returns a promise.
 */
export interface Exporter {
  readonly format: string;
  readonly file: string;
  /** The whole file, from a run held in memory. */
  render(run: RunResult, options?: ReportOptions): string | Promise<string>;
  /**
   * The same file written piece by piece, the records read one at a time (`run.records` ignored):
   * memory stays flat however many records a run has. The result files have it; reports do not.
   */
  stream?(run: RunResult, records: Iterable<FullRecord>, write: (text: string) => void): void;
}
