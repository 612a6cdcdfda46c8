import { FORMAT_FILES } from './output-formats.ts';
import type { Exporter, RunSource } from './run-schema.ts';
import { asSource, textOf } from './run-source.ts';

/** Stand for the arrays while the rest of the run is laid out. */
const RECORDS = '\u0000records\u0000';
const MISSING = '\u0000missing\u0000';

/** Between two elements of an array: each on a line of its own. */
export const ENTRY_SEPARATOR = ',\n    ';

/**
 * Write the elements of an array, one a line: `[`, then each, then `]` (`[]` when there are none).
 * Each text is one element's JSON, or several joined by ENTRY_SEPARATOR.
 */
function writeTexts(texts: Iterable<string | Uint8Array>, write: (text: string | Uint8Array) => void): void {
  let first = true;
  for (const text of texts) {
    write(first ? '[\n    ' : ENTRY_SEPARATOR);
    write(text);
    first = false;
  }
  write(first ? '[]' : '\n  ]');
}

function* asJson(items: Iterable<unknown>): Generator<string> {
  for (const item of items) yield JSON.stringify(item);
}

/**
 * results.json: the provenance and the run's fields indented for people, first (whether the run is
 * complete, and its cells, on the lines after the provenance), then every record, one compact line
 * each (a default suite's 2,224 records took 891 k lines and 18 MB indented), then every missing
 * cell, one a line: the file stays a diffable, greppable list that a reader takes a line at a time.
 */
function stream(run: RunSource, write: (text: string | Uint8Array) => void): void {
  const { schema, provenance, interrupted, complete, cells } = run.header;
  const layout = JSON.stringify(
    { schema, provenance, interrupted, complete, cells, records: RECORDS, missing: MISSING },
    null,
    2,
  );
  const records = layout.indexOf(JSON.stringify(RECORDS));
  const missing = layout.indexOf(JSON.stringify(MISSING));
  write(layout.slice(0, records));
  writeTexts(run.recordsJson?.() ?? asJson(run.records()), write);
  write(layout.slice(records + JSON.stringify(RECORDS).length, missing));
  writeTexts(run.missingJson?.() ?? asJson(run.missing()), write);
  write(`${layout.slice(missing + JSON.stringify(MISSING).length)}\n`);
}

export const jsonExporter: Exporter = {
  format: 'json',
  file: FORMAT_FILES.json,
  render: (run) => {
    const parts: string[] = [];
    stream(asSource(run), (t) => parts.push(textOf(t)));
    return parts.join('');
  },
  stream,
};
