import { stringify } from 'csv-stringify/sync';
import type { FullRecord } from '../core/record.ts';
import { CSV_COLUMNS } from '../core/record.ts';
import { FORMAT_FILES } from './output-formats.ts';
import type { Exporter, RunSource } from './run-schema.ts';
import { asSource, textOf } from './run-source.ts';

/** Rows rendered at a time when streaming. */
const BATCH = 1000;

const columns = [...CSV_COLUMNS];
/** Booleans as words (csv-stringify writes 1 and '' by default); absent (older records) stays empty. */
const cast = { boolean: (value: boolean) => String(value) };

/** The first line of results.csv: the column names. */
const HEADER = stringify([], { header: true, columns, cast });

/**
 * A record's row, its newline included: what results.csv holds for it (csv-stringify makes each
 * row from its record alone, so the rows made one at a time are the rows of the whole file).
 */
export const csvRow = (record: FullRecord): string => stringify([record], { columns, cast });

function stream(run: RunSource, write: (text: string | Uint8Array) => void): void {
  write(HEADER);
  const rows = run.recordsCsv?.();
  if (rows) {
    for (const row of rows) write(row);
    return;
  }
  let batch: FullRecord[] = [];
  for (const r of run.records()) {
    batch.push(r);
    if (batch.length === BATCH) {
      write(stringify(batch, { columns, cast }));
      batch = [];
    }
  }
  if (batch.length) write(stringify(batch, { columns, cast }));
}

/** results.csv: one row per cell, stable column names, base units. */
export const csvExporter: Exporter = {
  format: 'csv',
  file: FORMAT_FILES.csv,
  render: (run) => {
    const parts: string[] = [];
    stream(asSource(run), (t) => parts.push(textOf(t)));
    return parts.join('');
  },
  stream,
};
