import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { LabError, labInput } from './errors.ts';
import { runOk } from './host.ts';
import { headersDir, labInfo } from './info.ts';
import { labDir } from './paths.ts';

/**
 * Build an out-of-tree kernel module for the guest from a source folder (a Kbuild or Makefile with
 * obj-m): `make -C /usr/src/linux-headers-RELEASE M=DIR modules` on a copy of the folder (the
 * source stays clean), with the host's gcc (Debian built the guest kernel with the same gcc 12).
 * The .ko files are copied into outDir; their paths are returned, ready to be GuestFiles.
 */
export async function buildModule(
  sourceDir: string,
  outDir: string,
  o: { signal?: AbortSignal; dir?: string } = {},
): Promise<string[]> {
  if (!existsSync(sourceDir) || !statSync(sourceDir).isDirectory()) throw labInput(`${sourceDir}: not a folder`);
  const info = labInfo(o.dir ?? labDir());
  if (!info.modulesReady) {
    const h = info.items.find((i) => i.name === 'headers');
    throw new LabError(`cannot build modules for the guest: ${h?.detail ?? 'no headers'}`);
  }
  mkdirSync(outDir, { recursive: true });
  const build = mkdtempSync(join(outDir, '.build-'));
  try {
    cpSync(sourceDir, build, { recursive: true });
    await runOk(`make modules in ${sourceDir}`, 'make', ['-C', headersDir(), `M=${build}`, 'modules'], {
      signal: o.signal,
    });
    const kos = readdirSync(build).filter((f) => f.endsWith('.ko'));
    if (kos.length === 0) throw new LabError(`make modules in ${sourceDir} built no .ko (is obj-m set?)`);
    return kos.map((f) => {
      const dest = join(outDir, basename(f));
      copyFileSync(join(build, f), dest);
      return dest;
    });
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
}
