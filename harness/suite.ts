import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { z } from 'zod';
import { builtOnce } from '../core/built-once.ts';
import { InputError } from '../core/errors.ts';
import { notRegularFile } from '../core/file-kind.ts';
import { KERNEL_VERSIONS } from '../core/kernel.ts';
import { packageFile } from '../core/package-file.ts';
import { PLATFORMS } from '../core/platforms.ts';
import { formatSpec, parseSpec, renameSpec, specName } from '../core/spec.ts';
import { zod } from '../core/zod.ts';

/** The yaml parser, loaded when a YAML suite is read, not with a run's modules (25 ms). */
const yaml = () => createRequire(import.meta.url)('yaml') as typeof import('yaml');

const list = <T extends z.ZodType>(item: T) => zod().array(item).min(1);
const PLATFORM_NAMES = PLATFORMS.map((p) => p.name) as [string, ...string[]];

/** A suite file (JSON or YAML): defaults for the whole suite, and groups of workloads. */
function suiteObject() {
  const z = zod();
  const size = z.union([z.string(), z.number().int().nonnegative()]);
  /**
   * A kernel version, as text: YAML reads `5.10` as the number 5.1, so a number is refused rather than
   * guessed at (`kernel: ['5.1', '6.18']`).
   */
  const kernel = z.unknown().transform((v, ctx) => {
    if (typeof v === 'number') {
      ctx.addIssue({
        code: 'custom',
        message: `${v} is a number: write kernel versions as text, quoted ('${v}'), since YAML reads 5.10 as 5.1`,
      });
      return z.NEVER;
    }
    const text = String(v);
    if (!(KERNEL_VERSIONS as readonly string[]).includes(text)) {
      ctx.addIssue({ code: 'custom', message: `expected one of ${KERNEL_VERSIONS.join(', ')}` });
      return z.NEVER;
    }
    return text as (typeof KERNEL_VERSIONS)[number];
  });

  /** A platform of core/platforms.ts, by name. */
  const platform = z.enum(PLATFORM_NAMES, { error: `expected one of ${PLATFORM_NAMES.join(', ')}` });

  const group = z.strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    workloads: list(z.string().min(1)),
    strategies: list(z.string().min(1)).optional(),
    /** The group's platforms, instead of the suite's. */
    platform: list(platform).optional(),
    throughput: z.boolean().optional(),
  });

  return z.strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    strategies: list(z.string().min(1)).optional(),
    cpus: list(z.number().int().min(1).max(4096)).optional(),
    kernel: list(kernel).optional(),
    /** The platforms every group runs on unless it names its own (default: DEFAULT_PLATFORM). */
    platform: list(platform).optional(),
    seeds: list(
      z
        .number()
        .int()
        .min(0)
        .max(2 ** 31 - 1),
    ).optional(),
    machine: z
      .strictObject({ dram: size.optional(), base: size.optional(), fragment: z.number().min(0).lt(1).optional() })
      .optional(),
    check: z.boolean().optional(),
    throughput: z
      .union([z.literal(false), z.strictObject({ time_ms: z.number().int().min(1).max(600_000) })])
      .optional(),
    groups: list(group),
  });
}

/** Built when a suite is read: a run of workloads named on the command line reads none. */
const suiteSchema = builtOnce(suiteObject);

export type Suite = z.infer<ReturnType<typeof suiteSchema>>;

/** Suites shipped with l2bench, by name. */
const BUILT_IN: Record<string, string> = {
  default: packageFile('harness/suites/default.yaml'),
};

/** A path written in a suite, as seen from the working directory: relative paths are relative to the suite file. */
function fromSuiteDir(path: string, suiteFile: string): string {
  return isAbsolute(path) ? path : relative(process.cwd(), resolve(dirname(suiteFile), path)) || '.';
}

/**
 * A relative trace path in a suite's workload (`trace:file=`, `iommu:trace=`) is relative to the suite
 * file, so suites travel with their traces.
 */
export function resolveSuitePaths(workload: string, suiteFile: string): string {
  let spec: ReturnType<typeof parseSpec>;
  try {
    spec = parseSpec(workload, 'workload');
  } catch {
    return workload; // refused where the plan reads it, with the suite's group named
  }
  const { name, params } = spec;
  if (params.file === undefined && params.trace === undefined) return workload;
  return formatSpec(
    name,
    Object.entries(params).map(
      ([k, v]) => [k, k === 'file' || k === 'trace' ? fromSuiteDir(v, suiteFile) : v] as const,
    ),
  );
}

/** A strategy module named in a suite (`./mine.ts:slots=2`), its path made relative to the suite file. */
export function resolveSuiteModule(spec: string, suiteFile: string): string {
  const resolved = fromSuiteDir(specName(spec), suiteFile);
  return renameSpec(spec, resolved.startsWith('.') || isAbsolute(resolved) ? resolved : `./${resolved}`);
}

/** Read and validate a suite file; errors name the file and the field path. */
export function loadSuite(nameOrFile: string): { suite: Suite; file: string } {
  const file = BUILT_IN[nameOrFile] ?? nameOrFile;
  const kind = notRegularFile(file);
  if (kind) {
    // Read twice (planned, then hashed for provenance): a FIFO's second read would wait forever.
    throw new InputError(
      `${kind}, not a regular file: a suite is read twice (to plan, then to hash it); save it to a file first`,
      {
        option: 'suite',
        value: nameOrFile,
      },
    );
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, {
      option: 'suite',
      value: nameOrFile,
    });
  }
  let data: unknown;
  try {
    data = file.endsWith('.json') ? JSON.parse(text) : yaml().parse(text);
  } catch (e) {
    throw new InputError(
      `${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  const parsed = suiteSchema().safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    const path = issue.path.length ? issue.path.join('.') : '(top level)';
    throw new InputError(`${file}: ${path}: ${issue.message}`);
  }
  return { suite: parsed.data, file };
}
