import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../../harness/spec.ts';
import type { RunResult } from '../run.ts';
import { EXACT_METRICS } from './metrics.ts';

export const RUN_SCHEMA = 'l2bench-run/1';

/** What compare reads of a run; other fields are kept as they are. */
const recordShape = z.looseObject({
  workload: z.string(),
  strategy: z.string(),
  cpus: z.number(),
  seed: z.number(),
  // JSON writes NaN and ±Infinity as null.
  ...Object.fromEntries(EXACT_METRICS.map((m) => [m, z.number().nullable()])),
  detail: z.looseObject({ samples: z.array(z.number()) }),
});

const runShape = z.looseObject({
  schema: z.literal(RUN_SCHEMA),
  provenance: z.looseObject({
    l2bench_version: z.string(),
    machine: z.record(z.string(), z.number()),
  }),
  records: z.array(recordShape),
  interrupted: z.boolean(),
  cells: z.number(),
});

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a folder',
};

/**
 * Read a results.json (or the run folder holding one). Any problem is a UsageError of one line that
 * names the file.
 */
export function loadRun(path: string): RunResult {
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
    if (folder && code === 'ENOENT') throw new UsageError(`${path}: a folder with no results.json`);
    throw new UsageError(`${file}: cannot read: ${READ_ERRORS[code] ?? (e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  const schema = (data as { schema?: unknown } | null)?.schema;
  if (schema !== RUN_SCHEMA) {
    throw new UsageError(
      `${file}: not an l2bench run: schema ${schema === undefined ? 'missing' : JSON.stringify(schema)}, expected '${RUN_SCHEMA}'`,
    );
  }
  const parsed = runShape.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('') ?? '';
    throw new UsageError(`${file}: invalid l2bench run: ${where.replace(/^\./, '') || 'top level'}: ${issue?.message}`);
  }
  // Validated as far as compare reads it; the rest is as the run wrote it.
  return data as RunResult;
}
