import type { Exporter } from './run.ts';

/** Stands for the records while the rest of the run is laid out. */
const RECORDS = '\u0000records\u0000';

/**
 * results.json: every record with its work counters, and the provenance. The provenance and the
 * run's fields are indented for people; each record is one compact line (a default suite's
 * 2,224 records took 891 k lines and 18 MB indented), so the file stays a diffable, greppable list.
 */
export const jsonExporter: Exporter = {
  format: 'json',
  file: 'results.json',
  render: (run) => {
    const layout = JSON.stringify(
      run,
      function (this: unknown, key: string, value: unknown) {
        return this === run && key === 'records' ? RECORDS : value;
      },
      2,
    );
    const records = run.records.length
      ? `[\n    ${run.records.map((r) => JSON.stringify(r)).join(',\n    ')}\n  ]`
      : '[]';
    return `${layout.replace(JSON.stringify(RECORDS), () => records)}\n`;
  },
};
