import { type CostTable, kernelNsPerOp } from './costs.ts';
import type { MissingCell, RunHeader, RunResult, RunSource, RunSummary } from './run-schema.ts';

/** No missing cell of any reason. */
export const NO_MISSING = (): RunSummary['missing'] => ({ failed: 0, timeout: 0, 'not run': 0, 'not timed': 0 });

/** A piece of a result file as text (a source may give its UTF-8 bytes). */
export const textOf = (piece: string | Uint8Array): string =>
  typeof piece === 'string' ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength).toString('utf8');

/** Count records and missing cells by reading them. */
function countRun(records: Iterable<unknown>, missing: Iterable<MissingCell>): RunSummary {
  let n = 0;
  for (const _ of records) n++;
  const byReason = NO_MISSING();
  for (const m of missing) byReason[m.reason]++;
  return { records: n, missing: byReason };
}

/** The header of a run: every field but its records and missing cells. */
export function headerOf(run: RunHeader & Partial<Pick<RunResult, 'records' | 'missing'>>): RunHeader {
  return {
    schema: run.schema,
    provenance: run.provenance,
    interrupted: run.interrupted,
    complete: run.complete,
    cells: run.cells,
  };
}

/** A run held in memory, as a source. */
function sourceOf(run: RunResult): RunSource {
  return {
    header: headerOf(run),
    records: () => run.records,
    missing: () => run.missing,
    summary: () => countRun(run.records, run.missing),
  };
}

/** A run in memory or a source, as a source. */
export function asSource(run: RunResult | RunSource): RunSource {
  return 'header' in run && typeof run.records === 'function' ? (run as RunSource) : sourceOf(run as RunResult);
}

/** Every record and missing cell of a source, in memory: for runs known to be small (the API, tests). */
export function collectRun(source: RunSource): RunResult {
  return { ...source.header, records: [...source.records()], missing: [...source.missing()] };
}

/**
 * A run whose records' kernel_ns_per_op come from another cost table, computed again from the
 * counts each record kept as it is read; the provenance names the table.
 */
export function withCosts(
  run: RunSource,
  costs: { provenance: { file: string; sha256: string }; table: CostTable },
): RunSource {
  return {
    header: {
      ...run.header,
      provenance: { ...run.header.provenance, costs: { ...costs.provenance, table: costs.table } },
    },
    *records() {
      for (const r of run.records()) yield { ...r, kernel_ns_per_op: kernelNsPerOp(r, costs.table) };
    },
    missing: () => run.missing(),
    summary: () => run.summary(),
  };
}
