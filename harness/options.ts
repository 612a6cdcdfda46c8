import type { z } from 'zod';
import { builtOnce } from '../core/built-once.ts';
import { InputError, type OptionName } from '../core/errors.ts';
import { zod } from '../core/zod.ts';

/**
 * The ranges of every count and time of a run, in one place: the API's schema below checks them,
 * and the CLI parses its flags against the same numbers (cli/commands/run.ts).
 */
export const LIMITS = {
  cpus: { min: 1, max: 4096 },
  seeds: { min: 0, max: 2 ** 31 - 1 },
  jobs: { min: 1, max: 256 },
  /** Throughput budget per cell, ms. */
  timeMs: { min: 1, max: 600_000 },
  rounds: { min: 1, max: 1000 },
  /**
   * A cell's timeout, ms: setTimeout takes at most 2^31 − 1 ms (about 24.8 days); a longer delay
   * overflows and fires at once, which would time out every cell.
   */
  cellTimeoutMs: { min: 1, max: 2 ** 31 - 1 },
  /** A shard's index and count (`--shard i/n`). */
  shard: { min: 1, max: 2 ** 31 - 1 },
} as const;

/** Rounds of timing per cell by default, each timed in a fresh isolate (harness/run-cells.ts, throughput.ts). */
export const DEFAULT_ROUNDS = 8;

/** BenchmarkOptions as the API takes them (harness/benchmark.ts); unknown keys are refused. */
function optionsObject() {
  const z = zod();
  const whole = (r: { min: number; max: number }) => {
    const error = `expected a whole number from ${r.min} to ${r.max}`;
    return z.number({ error }).refine((n) => Number.isInteger(n) && n >= r.min && n <= r.max, { error });
  };
  const list = <T extends z.ZodType>(item: T) => z.array(item, { error: 'expected a list' });
  const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { error: 'expected a function' });
  const object = z.custom<object>((v) => typeof v === 'object' && v !== null, { error: 'expected an object' });
  /** A Strategy object given to the API: what the plan reads of it before any cell (its methods are checked when it runs). */
  const strategyObject = z.custom<object>(
    (v) =>
      typeof v === 'object' &&
      v !== null &&
      typeof (v as { name?: unknown }).name === 'string' &&
      typeof (v as { create?: unknown }).create === 'function',
    { error: 'expected a strategy spec, a module path, or a Strategy object (a name and create())' },
  );

  return z.strictObject({
    suite: z.string().min(1).optional(),
    strategies: list(z.union([z.string().min(1), strategyObject])).optional(),
    workloads: list(z.string().min(1)).optional(),
    cpus: list(whole(LIMITS.cpus)).optional(),
    kernels: list(z.string({ error: "expected a version as text ('5.1')" })).optional(),
    platforms: list(z.string().min(1)).optional(),
    seeds: list(whole(LIMITS.seeds)).optional(),
    machine: z
      .union([
        z.string(),
        z.strictObject({
          dramBase: z.number().optional(),
          dramBytes: z.number().optional(),
          fragmentDma32: z.number().optional(),
        }),
      ])
      .optional(),
    check: z.boolean().optional(),
    throughput: z.union([z.literal(false), z.strictObject({ timeMs: whole(LIMITS.timeMs) })]).optional(),
    rounds: whole(LIMITS.rounds).optional(),
    signal: z.instanceof(AbortSignal, { error: 'expected an AbortSignal' }).optional(),
    onProgress: fn.optional(),
    onStart: fn.optional(),
    onFailure: fn.optional(),
    result: object.optional(),
    records: object.optional(),
    jobs: whole(LIMITS.jobs).optional(),
    cellTimeoutMs: z
      .number()
      .refine((n) => n >= LIMITS.cellTimeoutMs.min && n <= LIMITS.cellTimeoutMs.max, {
        error: `expected milliseconds from ${LIMITS.cellTimeoutMs.min} to ${LIMITS.cellTimeoutMs.max} (the timer's limit)`,
      })
      .optional(),
    shard: z
      .strictObject({ index: whole(LIMITS.shard), count: whole(LIMITS.shard) })
      .refine((s) => s.index <= s.count, { error: 'index must be at most count' })
      .optional(),
    costs: z.string().min(1).optional(),
  });
}

/** Built at the first check (core/zod.ts: the CLI checks its options while its first cell replays). */
export const benchmarkOptionsSchema = builtOnce(optionsObject);

/** The option a schema path starts with, as InputError names options (the CLI turns them into flags). */
const OPTION_OF: Partial<Record<string, OptionName>> = {
  suite: 'suite',
  strategies: 'strategies',
  workloads: 'workloads',
  cpus: 'cpus',
  kernels: 'kernels',
  platforms: 'platforms',
  seeds: 'seeds',
  machine: 'machine',
  jobs: 'jobs',
  rounds: 'rounds',
  cellTimeoutMs: 'cellTimeout',
  shard: 'shard',
  throughput: 'throughput',
  check: 'check',
  costs: 'costs',
};

function describe(v: unknown): string {
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v;
}

/**
 * Check the options of runBenchmark and planBenchmark before anything else: a non-object, an
 * unknown key, a value of the wrong type or out of range is an InputError naming the option.
 */
export function checkBenchmarkOptions(o: unknown): void {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    throw new InputError(`the options must be an object, not ${describe(o)}`);
  }
  const parsed = benchmarkOptionsSchema().safeParse(o);
  if (parsed.success) return;
  const issue = parsed.error.issues[0] as z.core.$ZodIssue;
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    throw new InputError(
      `${where}unknown option${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`,
    );
  }
  const [head, ...rest] = issue.path;
  const option = OPTION_OF[String(head)];
  const v = valueAt(o, issue.path);
  // The value as given: a list item by itself, a field of an object as key=value.
  const shown = v === undefined || (typeof v === 'object' && v !== null) || typeof v === 'function' ? '' : describe(v);
  const key = rest.filter((p) => typeof p !== 'number').join('.');
  const value = shown && key ? `${key}=${shown}` : shown || key;
  if (!option) throw new InputError(`${String(head)}${value ? ` ${value}` : ''}: ${issue.message}`);
  throw new InputError(issue.message, { option, ...(value ? { value } : {}) });
}

function valueAt(o: unknown, path: readonly PropertyKey[]): unknown {
  let v = o;
  for (const p of path) v = (v as Record<PropertyKey, unknown> | undefined)?.[p];
  return v;
}
