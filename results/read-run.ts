import { closeSync, fstatSync, openSync, readdirSync, readFileSync, type Stats, statSync } from 'node:fs';
import { join } from 'node:path';
import { type FullRecord, withRecordDefaults } from '../core/record.ts';
import { ResultsError } from './errors.ts';
import { fieldPath, RunChecks } from './run-checks.ts';
import { ARRAY_START, arrayElements, fileLines } from './run-lines.ts';
import type { RunHeader, RunResult, RunSource, RunSummary } from './run-schema.ts';
import {
  type MissingCell,
  provenanceShape,
  READABLE_SCHEMAS,
  RUN_SCHEMA,
  runHeaderShape,
  runHeaderShapeV1,
} from './run-schema.ts';
import { collectRun } from './run-source.ts';

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a folder',
};

/** A results file not in l2bench's layout (one record a line) is read whole only up to this size. */
const WHOLE_LIMIT = 256 << 20;

type ArrayKey = 'records' | 'missing';

/** What a first reading of a results file in l2bench's layout learnt: the header, the counts, where each array lies. */
interface Scanned {
  header: RunHeader;
  summary: RunSummary;
  ranges: Partial<Record<ArrayKey, [number, number]>>;
}

/** The results.json of a path: the file itself, or the one in the run folder it names. */
function resultsFile(path: string): { file: string; folder: boolean } {
  let folder = false;
  try {
    folder = statSync(path).isDirectory();
  } catch {
    // Reported by the open below.
  }
  return { file: folder ? join(path, 'results.json') : path, folder };
}

function openResults(path: string): { file: string; fd: number } {
  const { file, folder } = resultsFile(path);
  try {
    const fd = openSync(file, 'r');
    if (fstatSync(fd).isDirectory()) {
      closeSync(fd);
      throw Object.assign(new Error('is a folder'), { code: 'EISDIR' });
    }
    return { file, fd };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (folder && code === 'ENOENT') throw new ResultsError(`${path}: ${noResults(path)}`);
    throw new ResultsError(`${file}: cannot read: ${READ_ERRORS[code] ?? (e as Error).message}`);
  }
}

/** Why a folder holds no results.json: a run killed before its first save leaves its lock and spool, or nothing of a run. */
function noResults(dir: string): string {
  let files: string[] = [];
  try {
    files = readdirSync(dir);
  } catch {
    // Said as a folder with no results.json.
  }
  return files.some((f) => f.startsWith('.l2bench'))
    ? 'a run that was killed (or is still starting) before it saved results.json: no results to read'
    : 'a folder with no results.json';
}

/**
 * Open a results.json (or the run folder holding one) as a stream: it is read through once now,
 * every record and missing cell checked against the schema and against each other (RunChecks), and
 * its records and missing cells are read again, one at a time, each time they are asked for. Memory
 * holds one record, however many the file has. Any problem is one line naming the file and the field.
 */
export function openRun(path: string): RunSource {
  const { file, fd } = openResults(path);
  let stat: Stats;
  let scanned: Scanned | null;
  try {
    stat = fstatSync(fd);
    scanned = scanLayout(file, fd, stat.size);
  } finally {
    closeSync(fd);
  }
  if (scanned) return lineSource(file, stat, scanned);
  if (stat.size > WHOLE_LIMIT) {
    throw new ResultsError(
      `${file}: not in the layout l2bench writes (one record a line), and too large (${Math.round(stat.size / 2 ** 20)} MiB) to read whole`,
    );
  }
  return wholeSource(file, readFileSync(file, 'utf8'));
}

/** Read a results.json (or the run folder holding one) into memory, checked: for runs known to be small. */
export function readRun(path: string): RunResult {
  return collectRun(openRun(path));
}

/** The schema a run says it is in, or a one-line refusal. */
function schemaOf(data: unknown, file: string): (typeof READABLE_SCHEMAS)[number] {
  const schema = (data as { schema?: unknown } | null)?.schema;
  if (!(READABLE_SCHEMAS as readonly unknown[]).includes(schema)) {
    throw new ResultsError(
      `${file}: not an l2bench run: schema ${schema === undefined ? 'missing' : JSON.stringify(schema)}, expected ${READABLE_SCHEMAS.map((s) => `'${s}'`).join(' or ')}`,
    );
  }
  return schema as (typeof READABLE_SCHEMAS)[number];
}

/** The run's fields but its arrays, checked; an l2bench-run/1 header says nothing of completeness. */
function checkHeader(data: Record<string, unknown>, file: string, records: number): RunHeader {
  const schema = schemaOf(data, file);
  const shape = schema === RUN_SCHEMA ? runHeaderShape() : runHeaderShapeV1();
  const { records: _r, missing: _m, ...fields } = data;
  const parsed = shape.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ResultsError(
      `${file}: invalid l2bench run: ${issue ? fieldPath(issue.path) || 'top level' : 'top level'}: ${issue?.message}`,
    );
  }
  if (schema === RUN_SCHEMA) return parsed.data as RunHeader;
  const v1 = parsed.data as Omit<RunHeader, 'complete' | 'schema'>;
  // An older run said only whether it was interrupted: it is complete when it has every record.
  return { ...v1, schema: RUN_SCHEMA, complete: !v1.interrupted && records === v1.cells };
}

/** The provenance, read before the records (they are cells of its plan), checked. */
function checkPrefix(file: string, skeleton: readonly string[], checks: RunChecks): void {
  let data: { schema?: unknown; provenance?: unknown };
  try {
    data = JSON.parse(`${skeleton.join('\n').replace(/,\s*$/, '')}\n}`);
  } catch {
    return;
  }
  schemaOf(data, file);
  const p = provenanceShape().safeParse(data.provenance);
  if (!p.success) {
    const issue = p.error.issues[0];
    throw new ResultsError(
      `${file}: invalid l2bench run: ${fieldPath(issue?.path ?? [], 'provenance')}: ${issue?.message}`,
    );
  }
  checks.provenance(p.data);
}

/** An iterator that a `for … of` leaving early does not close, so that the next loop goes on from there. */
function shared<T>(it: Iterator<T>): Iterable<T> {
  return { [Symbol.iterator]: () => ({ next: () => it.next() }) };
}

/**
 * Read a results file in the layout l2bench writes (its fields indented, each element of `records`
 * and `missing` on its own line, or on lines of its own), checking every element as it goes. Null
 * when the file is not in that layout (it is then read whole, if small).
 */
function scanLayout(file: string, fd: number, size: number): Scanned | null {
  const checks = new RunChecks(file);
  const skeleton: string[] = [];
  const ranges: Scanned['ranges'] = {};
  const counts = { records: 0, missing: 0 };
  const lines = shared(fileLines(fd, 0, size)[Symbol.iterator]());
  let prefixChecked = false;
  for (const [line] of lines) {
    if (skeleton.length === 0 && line !== '{') return null;
    const open = ARRAY_START.exec(line);
    if (!open) {
      skeleton.push(line);
      continue;
    }
    const key = open[1] as ArrayKey;
    if (!prefixChecked) checkPrefix(file, skeleton, checks);
    prefixChecked = true;
    skeleton.push(`  "${key}": 0`);
    const range = scanArray(file, lines, key, checks, counts, size > WHOLE_LIMIT);
    if (!range) return null;
    if (range.comma) skeleton[skeleton.length - 1] += ',';
    ranges[key] = range.bytes;
  }
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(skeleton.join('\n'));
  } catch {
    return null;
  }
  const header = checkHeader(data, file, counts.records);
  if (!ranges.records && !Array.isArray(data.records)) return null;
  return { header, summary: checks.finish(header, data.schema === RUN_SCHEMA), ranges };
}

/** Check each element of one array as it is read; its bytes, or null when the layout breaks. */
function scanArray(
  file: string,
  lines: Iterable<[string, number]>,
  key: ArrayKey,
  checks: RunChecks,
  counts: Record<ArrayKey, number>,
  large: boolean,
): { bytes: [number, number]; comma: boolean } | null {
  let start = -1;
  for (const el of arrayElements(lines)) {
    if (el === null) return null;
    if ('end' in el) {
      const [line, at] = el.end;
      return { bytes: [start < 0 ? at : start, at], comma: line.endsWith(',') };
    }
    if (start < 0) start = el.at;
    let data: unknown;
    try {
      data = JSON.parse(el.text);
    } catch (e) {
      // A small file is read whole instead, which names the problem as JSON.parse sees it.
      if (!large) return null;
      throw new ResultsError(
        `${file}: not valid JSON: ${(e as Error).message.split('\n')[0]} (the line at byte ${el.at})`,
      );
    }
    if (key === 'records') checks.record(counts.records++, data);
    else checks.missing(counts.missing++, data);
  }
  return null;
}

/** A file that changed since it was checked is not read again. */
function unchanged(file: string, fd: number, stat: Stats): void {
  const now = fstatSync(fd);
  if (now.size !== stat.size || now.mtimeMs !== stat.mtimeMs) {
    throw new ResultsError(`${file}: changed while it was being read (another run writing it?)`);
  }
}

/** Each element of one array of a checked file, read again. */
function* readArray<T>(
  file: string,
  stat: Stats,
  range: [number, number] | undefined,
  each: (x: unknown) => T,
): Generator<T> {
  if (!range) return;
  const fd = openSync(file, 'r');
  try {
    unchanged(file, fd, stat);
    // The range holds the elements alone: the array ends where its lines do.
    for (const el of arrayElements(fileLines(fd, range[0], range[1]))) {
      if (el === null || 'end' in el) return;
      yield each(JSON.parse(el.text));
    }
  } finally {
    closeSync(fd);
  }
}

function lineSource(file: string, stat: Stats, scanned: Scanned): RunSource {
  return {
    header: scanned.header,
    records: () => readArray(file, stat, scanned.ranges.records, (x) => withRecordDefaults(x as FullRecord)),
    missing: () => readArray(file, stat, scanned.ranges.missing, (x) => x as MissingCell),
    summary: () => scanned.summary,
  };
}

/** A small results file in another layout, parsed whole and checked the same way. */
function wholeSource(file: string, text: string): RunSource {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ResultsError(`${file}: not valid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  schemaOf(data, file);
  const run = data as Record<string, unknown>;
  const checks = new RunChecks(file);
  const p = provenanceShape().safeParse(run.provenance);
  if (p.success) checks.provenance(p.data);
  const arrayOf = (key: ArrayKey) => {
    const v = run[key];
    if (v === undefined && key === 'missing') return [];
    if (!Array.isArray(v)) throw new ResultsError(`${file}: invalid l2bench run: ${key}: expected an array`);
    return v as unknown[];
  };
  const records = arrayOf('records').map((r, i) => checks.record(i, r));
  const missing = run.schema === RUN_SCHEMA ? arrayOf('missing').map((m, i) => checks.missing(i, m)) : [];
  const header = checkHeader(run, file, records.length);
  const summary = checks.finish(header, run.schema === RUN_SCHEMA);
  return { header, records: () => records, missing: () => missing, summary: () => summary };
}
