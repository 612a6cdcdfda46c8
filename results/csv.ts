import { stringify } from 'csv-stringify/sync';
import type { FullRecord } from '../core/record.ts';
import { CSV_COLUMNS } from '../core/record.ts';
import type { Exporter } from './run-schema.ts';
import { asSource } from './run-source.ts';

/** Rows rendered at a time when streaming. */
const BATCH = 1000;

const columns = [...CSV_COLUMNS];
/** Booleans as words (csv-stringify writes 1 and '' by default); absent (older records) stays empty. */
const cast = { boolean: (value: boolean) => String(value) };

function stream(records: Iterable<FullRecord>, write: (text: string) => void): void {
  write(stringify([], { header: true, columns, cast }));
  let batch: FullRecord[] = [];
  for (const r of records) {
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
  file: 'results.csv',
  render: (run) => {
    let text = '';
    stream(asSource(run).records(), (t) => {
      text += t;
    });
    return text;
  },
  stream: (run, write) => stream(run.records(), write),
};
