import type { CostsProvenance, CostTable } from './costs.ts';
import type { FullRecord } from './record.ts';

/** The version of results.json's format: readers refuse any other. */
export const RUN_SCHEMA = 'l2bench-run/1';

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
  /** tinybench's time budget per cell in ms, or null without throughput. */
  throughput_time_ms: number | null;
  /** The cost table kernel_ns_per_op was computed with: its file ('default' for the shipped one), hash and content. */
  costs?: CostsProvenance & { table: CostTable };
  /** Worker threads that measured the exact metrics. */
  jobs?: number;
  /** The whole plan this run belongs to (its cells and their hash), and which shard of it this is. */
  plan?: { cells: number; sha256: string; shard: { index: number; count: number } | null } | null;
}

/** Everything an exporter may read. */
export interface RunResult {
  schema: typeof RUN_SCHEMA;
  provenance: Provenance;
  records: FullRecord[];
  /** True when the run was interrupted: the records are the cells that finished. */
  interrupted: boolean;
  /** Cells the run was to measure (records may be fewer when interrupted). */
  cells: number;
}

/** How the reports rank; the data files ignore it. */
export interface ReportOptions {
  /** The memory figure the answer, the claims and the crossovers rank by: peak (default) or mean footprint. */
  objective?: 'peak' | 'mean';
  /** The cost table for the modelled kernel cost (default: the one the run recorded, else the shipped one). */
  costs?: CostTable;
}

/** One output format, as hyperfine's exporters: a file name and a pure rendering. */
export interface Exporter {
  readonly format: string;
  readonly file: string;
  render(run: RunResult, options?: ReportOptions): string;
}
