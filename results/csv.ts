import { stringify } from 'csv-stringify/sync';
import { CSV_COLUMNS } from './record.ts';
import type { Exporter } from './run.ts';

/** results.csv: one row per cell, stable column names, base units. */
export const csvExporter: Exporter = {
  format: 'csv',
  file: 'results.csv',
  render: (run) => stringify(run.records, { header: true, columns: [...CSV_COLUMNS] }),
};
