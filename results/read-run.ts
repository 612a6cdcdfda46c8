import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { costTableShape } from './costs.ts';
import { ResultsError } from './errors.ts';
import { METRICS } from './metrics.ts';
import { READABLE_SCHEMAS, RUN_SCHEMA, type RunResult } from './run.ts';

const numbers = z.array(z.number());

/** A record: the key columns, every metric of the registry with its type, and the detail. */
const recordShape = z.object({
  workload: z.string(),
  strategy: z.string(),
  cpus: z.number().int().positive(),
  // Runs written before the kernel axis modelled v5.1 only.
  kernel: z.string().min(1).default('5.1'),
  seed: z.number().int(),
  ...Object.fromEntries(
    METRICS.map((m) => [
      m.key,
      // Exact metrics are always numbers; a timing one is null when not timed, a modelled one when it
      // cannot be costed (and absent from runs older than it: it is computed again from the counts).
      m.unit === 'text'
        ? z.string()
        : m.kind === 'exact'
          ? z.number()
          : m.kind === 'modelled'
            ? z.number().nullable().default(null)
            : z.number().nullable(),
    ]),
  ),
  detail: z.object({
    cell: z.number().int().optional(),
    placement: z.enum(['dma32', 'any']).optional(),
    strategy_params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
    strategy_note: z.string().optional(),
    requirements: z.record(z.string(), z.number()).optional(),
    workload_category: z.enum(['synthetic', 'model', 'real trace']).optional(),
    work: z.record(z.string(), z.number()),
    series: z.object({ event: numbers, footprint_bytes: numbers, live_tables: numbers }),
    samples: numbers,
    rounds: numbers.optional(),
    workload_info: z.record(z.string(), z.union([z.string(), z.number()])),
  }),
});

const provenanceShape = z.object({
  l2bench_version: z.string(),
  git_commit: z.string().nullable(),
  node_version: z.string(),
  v8_version: z.string(),
  cpu_model: z.string(),
  platform: z.string(),
  started_at: z.string(),
  command_line: z.array(z.string()),
  machine: z.record(z.string(), z.number()),
  suite: z.string(),
  kernels: z.array(z.string()).optional(),
  throughput_time_ms: z.number().nullable(),
  costs: z.object({ file: z.string(), sha256: z.string(), table: costTableShape }).optional(),
  jobs: z.number().int().positive().optional(),
  plan: z
    .object({
      cells: z.number().int(),
      sha256: z.string(),
      shard: z.object({ index: z.number().int(), count: z.number().int() }).nullable(),
    })
    .nullable()
    .optional(),
  git_dirty: z.boolean().nullable().optional(),
  input_files: z
    .array(z.object({ kind: z.enum(['strategy module', 'suite']), path: z.string(), sha256: z.string() }))
    .optional(),
  throughput_rounds: z.number().int().positive().nullable().optional(),
});

const missingShape = z.object({
  workload: z.string(),
  strategy: z.string(),
  cpus: z.number().int().positive(),
  kernel: z.string().optional(),
  seed: z.number().int(),
  module: z.string().nullable(),
  reason: z.enum(['failed', 'timeout', 'not run', 'not timed']),
  step: z.enum(['metrics', 'throughput']).nullable(),
  error: z.string().nullable(),
});

const common = {
  provenance: provenanceShape,
  records: z.array(recordShape),
  interrupted: z.boolean(),
  cells: z.number().int(),
};

/** l2bench-run/1: no `complete` or `missing`; read as complete unless interrupted. */
const runShapeV1 = z.object({ schema: z.literal('l2bench-run/1'), ...common });
const runShape = z.object({
  schema: z.literal(RUN_SCHEMA),
  ...common,
  complete: z.boolean(),
  missing: z.array(missingShape),
});

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
