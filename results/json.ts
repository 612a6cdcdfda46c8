import type { Exporter } from './run.ts';

/** results.json: every record with its work counters, and the provenance. */
export const jsonExporter: Exporter = {
  format: 'json',
  file: 'results.json',
  render: (run) => `${JSON.stringify(run, null, 2)}\n`,
};
