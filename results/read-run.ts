import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ResultsError } from './errors.ts';
import { READABLE_SCHEMAS, RUN_SCHEMA, type RunResult, runShape, runShapeV1 } from './run-schema.ts';

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a folder',
};

/** `records[3].strategy` from a zod issue path. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
}

/**
 * Check parsed JSON against the run schema: the one reader of results.json for report, compare and
 * merge. Any problem is one line naming the file and the field.
 */
function parseRun(data: unknown, file: string): RunResult {
  const schema = (data as { schema?: unknown } | null)?.schema;
  if (!(READABLE_SCHEMAS as readonly unknown[]).includes(schema)) {
    throw new ResultsError(
      `${file}: not an l2bench run: schema ${schema === undefined ? 'missing' : JSON.stringify(schema)}, expected ${READABLE_SCHEMAS.map((s) => `'${s}'`).join(' or ')}`,
    );
  }
  const parsed = (schema === RUN_SCHEMA ? runShape : runShapeV1).safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? fieldPath(issue.path) : '';
    throw new ResultsError(`${file}: invalid l2bench run: ${where || 'top level'}: ${issue?.message}`);
  }
  if (parsed.data.schema === RUN_SCHEMA) return parsed.data as RunResult;
  // An older run said only whether it was interrupted; it names no missing cell.
  const run = parsed.data as unknown as Omit<RunResult, 'schema' | 'complete' | 'missing'>;
  return { ...run, schema: RUN_SCHEMA, complete: !run.interrupted, missing: [] };
}

/** Read a results.json, or the run folder holding one. */
export function readRun(path: string): RunResult {
  let file = path;
  let folder = false;
  try {
    folder = statSync(path).isDirectory();
  } catch {
    // Reported by the read below.
  }
  if (folder) file = join(path, 'results.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (folder && code === 'ENOENT') throw new ResultsError(`${path}: a folder with no results.json`);
    throw new ResultsError(`${file}: cannot read: ${READ_ERRORS[code] ?? (e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ResultsError(`${file}: not valid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  return parseRun(data, file);
}
