import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { LabError } from './errors.ts';
import { labDir, labFiles } from './paths.ts';

/** What `l2bench lab prepare` recorded in lab.json: what the lab was made from. */
const LabStateSchema = z.object({
  l2bench_lab: z.literal(1),
  prepared: z.string(),
  kernel: z.object({
    package: z.string(),
    version: z.string(),
    /** The version l2bench pins; version differs when the mirror served another. */
    expected_version: z.string(),
    release: z.string(),
    deb: z.string(),
    deb_sha256: z.string(),
    deb_bytes: z.number(),
  }),
  /** The base initramfs: the modules asked for (BASE_MODULES when built) and the files they came to. */
  initramfs: z.object({
    sha256: z.string(),
    bytes: z.number(),
    base_modules: z.array(z.string()),
    modules: z.array(z.string()),
  }),
  /** Host packages and their versions when the lab was prepared. */
  host_packages: z.record(z.string(), z.string()),
  /** Seconds each step of prepare took. */
  seconds: z.record(z.string(), z.number()),
});

export type LabState = z.infer<typeof LabStateSchema>;

/** lab.json of a lab folder, or undefined when it was never prepared; a damaged file throws. */
export function readLabState(dir = labDir()): LabState | undefined {
  const file = labFiles(dir).state;
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new LabError(`${file}: unreadable (${(e as Error).message}): run l2bench lab prepare again`);
  }
  const r = LabStateSchema.safeParse(parsed);
  if (!r.success) throw new LabError(`${file}: not a lab state this l2bench wrote: run l2bench lab prepare again`);
  return r.data;
}

/** Write lab.json atomically: the last step of prepare. */
export function writeLabState(dir: string, state: LabState): void {
  const file = labFiles(dir).state;
  const temp = join(dir, `.lab.json.${process.pid}.tmp`);
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temp, file);
}
