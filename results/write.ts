import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { OutDirError, ResultsError } from './errors.ts';
import { EXPORTERS } from './index.ts';
import type { ReportOptions, RunResult } from './run.ts';

/** Write a file atomically: a temporary file beside it, then rename, so no reader sees half of it. */
function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Prepare an output folder. A given folder may exist only if empty: an earlier run is never
 * overwritten. Without one, a new runs/<timestamp>/ folder is made (with a suffix if taken).
 */
export function prepareOutDir(out: string | undefined, now: Date, root = 'runs'): string {
  if (out !== undefined) {
    if (!makeDir(out)) {
      let entries: string[];
      try {
        entries = readdirSync(out);
      } catch (e) {
        throw new OutDirError(out, (e as Error).message);
      }
      if (entries.length > 0) throw new OutDirError(out, 'folder is not empty; refusing to overwrite a run');
    }
    probeWritable(out);
    return out;
  }
  const stamp = now
    .toISOString()
    .replace(/[:]/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  for (let n = 0; ; n++) {
    const dir = join(root, n === 0 ? stamp : `${stamp}-${n}`);
    if (makeDir(dir)) return dir;
  }
}

/** Fail now, not after the run, when results could not be written into `dir`. */
function probeWritable(dir: string): void {
  const probe = join(dir, `.l2bench-probe.${process.pid}.tmp`);
  try {
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (e) {
    throw new OutDirError(dir, `folder is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/**
 * mkdir one folder and its missing parents: true if made, false if it existed. Each level is made
 * on its own, because Node's recursive mkdir spins forever on some file systems (/proc).
 */
function makeDir(dir: string): boolean {
  try {
    mkdirSync(dir);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    const parent = dirname(dir);
    if (code === 'ENOENT' && parent !== dir) {
      try {
        makeDir(parent);
        mkdirSync(dir);
        return true;
      } catch {
        // fall through to the one-line error about the folder asked for
      }
    }
    throw new OutDirError(dir, `cannot create the folder (${code ?? (e as Error).message})`);
  }
}

/** Write a run in the given formats (csv, json…) into a folder, each file atomically. Returns the files. */
export function writeResults(
  dir: string,
  run: RunResult,
  formats: readonly string[] = ['csv', 'json'],
  options: ReportOptions = {},
): string[] {
  const exporters = formats.map((format) => {
    const exporter = EXPORTERS.find((e) => e.format === format);
    if (!exporter)
      throw new ResultsError(`unknown format '${format}' (allowed: ${EXPORTERS.map((e) => e.format).join(', ')})`);
    return exporter;
  });
  return exporters.map((exporter) => {
    const file = join(dir, exporter.file);
    writeAtomic(file, exporter.render(run, options));
    return file;
  });
}
