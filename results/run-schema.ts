import type { z } from 'zod';
import { builtOnce } from '../core/built-once.ts';
import { cellKeyShape } from '../core/cell-key-shape.ts';
import type { FullRecord } from '../core/record.ts';
import { recordShape } from '../core/record.ts';
import { zod } from '../core/zod.ts';
import { type CostTable, costTableShape } from './costs.ts';

/** The version of results.json's format written now. */
export const RUN_SCHEMA = 'l2bench-run/2';
/** The versions the reader takes: l2bench-run/1 files lack `complete` and `missing`. */
export const READABLE_SCHEMAS = ['l2bench-run/1', RUN_SCHEMA] as const;

/**
 * Where a run came from, so that it can be trusted and reproduced. This module's schemas are built
 * at their first use, by a reader: a run writes its results without them.
 */
export const provenanceShape = builtOnce(() => {
  const z = zod();
  return z.object({
    l2bench_version: z.string(),
    git_commit: z.string().nullable(),
    node_version: z.string(),
    v8_version: z.string(),
    cpu_model: z.string(),
    platform: z.string(),
    started_at: z.string(),
    command_line: z.array(z.string()),
    machine: z.record(z.string(), z.number()),
    /** The suite file the run came from, or '' for a run from flags. */
    suite: z.string(),
    /** The Linux versions whose allocators the run models (absent before runs said: v5.1). */
    kernels: z.array(z.string()).optional(),
    /** The platforms the run modelled (absent before the platform axis: mt8173 only). */
    platforms: z.array(z.string()).optional(),
    /** The time budget per cell in ms (spread over its rounds of timing), or null without throughput. */
    throughput_time_ms: z.number().nullable(),
    /** The cost table kernel_ns_per_op was computed with: its file ('default' for the shipped one), hash and content. */
    costs: z.object({ file: z.string(), sha256: z.string(), table: costTableShape() }).optional(),
    /** Worker threads that measured the exact metrics. */
    jobs: z.number().int().positive().optional(),
    /** The whole plan this run belongs to (its cells and their hash), and which shard of it this is. */
    plan: z
      .object({
        cells: z.number().int(),
        sha256: z.string(),
        shard: z.object({ index: z.number().int(), count: z.number().int() }).nullable(),
      })
      .nullable()
      .optional(),
    /** Uncommitted changes to tracked files of l2bench's git tree; null outside git. */
    git_dirty: z.boolean().nullable().optional(),
    /** Files the run read that git does not pin: user strategy modules and the suite, with their sha256. */
    input_files: z
      .array(z.object({ kind: z.enum(['strategy module', 'suite']), path: z.string(), sha256: z.string() }))
      .optional(),
    /** Strategies loaded from a file that ran without the invariant checker (--no-check): their figures are unchecked. */
    unchecked_strategies: z.array(z.string()).optional(),
    /** Rounds of timing per cell, each in a fresh isolate (throughput only). */
    throughput_rounds: z.number().int().positive().nullable().optional(),
  });
});

export type Provenance = z.infer<ReturnType<typeof provenanceShape>>;

/** A planned cell without a complete record, and why. */
export const missingShape = builtOnce(() => {
  const z = zod();
  return cellKeyShape().extend({
    /** The strategy's module file, or null for a built-in one. */
    module: z.string().nullable(),
    /**
     * failed: the strategy threw (or broke an invariant); timeout: it ran past the cell timeout; not
     * run: the run stopped first; not timed: measured, but its throughput was not (fully) timed.
     */
    reason: z.enum(['failed', 'timeout', 'not run', 'not timed']),
    /** Where it failed: the exact metrics or the throughput; null when not run. */
    step: z.enum(['metrics', 'throughput']).nullable(),
    /** The error, for failed and timeout. */
    error: z.string().nullable(),
    /** The cell's position in the whole plan, as its record's `detail.cell` (absent in older runs). */
    cell: z.number().int().nonnegative().optional(),
  });
});

export type MissingCell = z.infer<ReturnType<typeof missingShape>>;

const common = (z: ReturnType<typeof zod>) => ({
  provenance: provenanceShape(),
  records: z.array(recordShape()),
  /** True when the run was interrupted: the records are the cells that finished. */
  interrupted: z.boolean(),
  /** Cells the run was to measure (records may be fewer when interrupted). */
  cells: z.number().int().nonnegative(),
});

/** l2bench-run/1: no `complete` or `missing`; read as complete unless interrupted. */
const runShapeV1 = () => {
  const z = zod();
  return z.object({ schema: z.literal('l2bench-run/1'), ...common(z) });
};

/** Everything an exporter may read: results.json as written now. */
const runShape = () => {
  const z = zod();
  return z.object({
    schema: z.literal(RUN_SCHEMA),
    ...common(z),
    /**
     * True only when every planned cell has its record, fully timed, and none failed: written false
     * while the run goes, so a run killed midway never passes for complete.
     */
    complete: z.boolean(),
    /** The planned cells without a complete record, and why (empty when complete). */
    missing: z.array(missingShape()),
  });
};

export type RunResult = z.infer<ReturnType<typeof runShape>>;

/** A run's fields but its records and missing cells, as results.json holds them (l2bench-run/2, and /1 without complete). */
export const runHeaderShape = builtOnce(() => runShape().omit({ records: true, missing: true }));
export const runHeaderShapeV1 = builtOnce(() => runShapeV1().omit({ records: true }));

/** A run's fields besides its records and its missing cells: what is known before reading them. */
export type RunHeader = Omit<RunResult, 'records' | 'missing'>;

/** How many records a run holds, and its missing cells by reason. */
export interface RunSummary {
  records: number;
  missing: Record<MissingCell['reason'], number>;
}

/**
 * A run as the result files, the reports, `compare` and `merge` read it: its header, and its
 * records and missing cells one at a time, in plan order, as often as wanted. A run in memory, a
 * run being written from its spool and a results.json on disk (read as a stream, never whole) are
 * all one, so that memory never has to hold a run's records.
 */
export interface RunSource {
  readonly header: RunHeader;
  records(): Iterable<FullRecord>;
  /**
   * The same records as results.json lists them (JSON.stringify of each), for a source that holds
   * them as text (a run's spool): a string, or its UTF-8 bytes, each valid until the next is read.
   */
  recordsJson?(): Iterable<string | Uint8Array>;
  /** The same records as results.csv rows, each with its newline (results/csv.ts csvRow), as recordsJson gives them. */
  recordsCsv?(): Iterable<string | Uint8Array>;
  missing(): Iterable<MissingCell>;
  /**
   * The same cells as results.json lists them, for a source that keeps their text ready (a run
   * being saved, harness/missing-json.ts): each the JSON of one or more entries joined by
   * `,\n    ` (results/json.ts ENTRY_SEPARATOR), as a string or its UTF-8 bytes.
   */
  missingJson?(): Iterable<string | Uint8Array>;
  summary(): RunSummary;
}

/** How the reports rank; the data files ignore it. */
export interface ReportOptions {
  /** The memory figure the answer, the claims and the crossovers rank by: peak (default) or mean footprint. */
  objective?: 'peak' | 'mean';
  /** The cost table for the modelled kernel cost (default: the one the run recorded, else the shipped one). */
  costs?: CostTable;
}

/**
 * One output format, as hyperfine's exporters: a file name and a pure rendering, from a run in
 * memory or a RunSource (results/run-source.ts: a run read one record at a time). A rendering that
 * loads libraries on demand (the HTML report's charts) returns a promise.
 */
export interface Exporter {
  readonly format: string;
  readonly file: string;
  /** The whole file. */
  render(run: RunResult | RunSource, options?: ReportOptions): string | Promise<string>;
  /**
   * The same file written piece by piece, the records read one at a time: memory stays flat however
   * many records a run has. Each piece is text or its UTF-8 bytes, which `write` copies (or writes)
   * before it returns. The result files have it; reports do not.
   */
  stream?(run: RunSource, write: (text: string | Uint8Array) => void): void;
}
