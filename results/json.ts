import type { FullRecord } from '../core/record.ts';
import type { Exporter, RunResult } from './run-schema.ts';

/** Stands for the records while the rest of the run is laid out. */
const RECORDS = '\u0000records\u0000';

/**
 * results.json: every record with its work counters, and the provenance. The provenance and the
 * run's fields are indented for people; each record is one compact line (a default suite's
 * 2,224 records took 891 k lines and 18 MB indented), so the file stays a diffable, greppable list.
 */
function stream(run: RunResult, records: Iterable<FullRecord>, write: (text: string) => void): void {
  const layout = JSON.stringify(
    run,
    function (this: unknown, key: string, value: unknown) {
      return this === run && key === 'records' ? RECORDS : value;
    },
    2,
  );
  const at = layout.indexOf(JSON.stringify(RECORDS));
  write(layout.slice(0, at));
  let first = true;
  for (const r of records) {
    write(`${first ? '[\n    ' : ',\n    '}${JSON.stringify(r)}`);
    first = false;
  }
  write(first ? '[]' : '\n  ]');
  write(`${layout.slice(at + JSON.stringify(RECORDS).length)}\n`);
}

export const jsonExporter: Exporter = {
  format: 'json',
  file: 'results.json',
  render: (run) => {
    const parts: string[] = [];
    stream(run, run.records, (t) => parts.push(t));
    return parts.join('');
  },
  stream,
};
