import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { FullRecord } from '../core/record.ts';
import { OutDirError, ResultsError } from './errors.ts';
import { EXPORTERS } from './index.ts';
import { SPOOL_FILE } from './record-store.ts';
import type { Exporter, ReportOptions, RunResult } from './run-schema.ts';

/** Where a file is written before it is renamed into place. */
const tmpOf = (file: string) => `${file}.${process.pid}.tmp`;

/** Write a file atomically: a temporary file beside it, then rename, so no reader sees half of it. */
function writeAtomic(file: string, text: string): void {
  const tmp = tmpOf(file);
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

/** The lock file a run keeps in its output folder while it writes there. */
const LOCK_FILE = '.l2bench.lock';

const escaped = (name: string) => name.replaceAll('.', '\\.');
/** The files a run writes into its folder, and the temporary files of its writes (`results.csv.PID.tmp`). */
const RUN_FILES = (() => {
  const results = EXPORTERS.map((e) => escaped(e.file)).join('|');
  return new RegExp(
    `^(?:(?:${results}|\\.l2bench-probe)\\.\\d+\\.tmp|${results}|${escaped(LOCK_FILE)}|${escaped(SPOOL_FILE)})$`,
  );
})();

/** Is this a file a run writes into its folder (or a temporary file of one, left by a killed write)? */
export const isRunFile = (name: string): boolean => RUN_FILES.test(name);

/** What a lock file says: who holds the folder. */
interface LockHolder {
  pid: number;
  host: string;
}

/**
 * Is the run that wrote this lock still alive? Its pid is checked on this host; a lock from another
 * host is taken as alive. A lock with no readable holder is being written (alive) unless older
 * than a few seconds (a run killed between creating and writing it).
 */
function holderAlive(file: string): { alive: boolean; holder: LockHolder | null } {
  let holder: LockHolder | null = null;
  try {
    holder = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
  } catch {
    // Unreadable: judged by age below.
  }
  if (!holder || typeof holder.pid !== 'number') {
    let age = 0;
    try {
      age = Date.now() - statSync(file).mtimeMs;
    } catch {
      return { alive: false, holder: null };
    }
    return { alive: age < 5000, holder: null };
  }
  if (holder.host !== hostname()) return { alive: true, holder };
  if (holder.pid === process.pid) return { alive: false, holder };
  try {
    process.kill(holder.pid, 0);
    return { alive: true, holder };
  } catch (e) {
    return { alive: (e as NodeJS.ErrnoException).code === 'EPERM', holder };
  }
}

/** Why the folder is busy (a live run holds its lock), or null. */
function heldBy(dir: string): string | null {
  const file = join(dir, LOCK_FILE);
  let exists = true;
  try {
    statSync(file);
  } catch {
    exists = false;
  }
  if (!exists) return null;
  const { alive, holder } = holderAlive(file);
  if (!alive) return null;
  const who = holder ? `pid ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`}` : 'starting';
  return `another l2bench run (${who}) is writing into this folder`;
}

/** Take the folder's lock (O_EXCL), or fail if a live run holds it; a stale lock is replaced. */
function lock(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  const me = JSON.stringify({ pid: process.pid, host: hostname() } satisfies LockHolder);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, me, { flag: 'wx' });
      return () => {
        // Only our own lock: never one that replaced it.
        try {
          if (readFileSync(file, 'utf8') === me) rmSync(file, { force: true });
        } catch {
          // Already gone.
        }
      };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new OutDirError(dir, `folder is not writable (${code ?? (e as Error).message})`);
      const held = heldBy(dir);
      if (held) throw new OutDirError(dir, held);
      // A stale lock from a run that was killed: take its place.
      rmSync(file, { force: true });
    }
  }
  throw new OutDirError(dir, 'cannot take the folder lock: other runs keep taking it');
}

const entriesBut = (dir: string, except: string): string[] => {
  try {
    return readdirSync(dir).filter((f) => f !== except);
  } catch (e) {
    throw new OutDirError(dir, (e as Error).message);
  }
};

/**
 * An output folder for a run, held by it: as prepareOutDir, and locked with an exclusive lock file
 * (O_EXCL, holding the pid) until `release`, so two runs can never write into one folder: the
 * second is refused before it writes anything. A lock left by a killed run does not block: its pid
 * is not alive. `rerun`, when given, may let the run take a folder that holds an unfinished run:
 * called with the folder locked, it says what the folder holds (its run's files are then removed,
 * and `replaced` says what was) or returns null (refused, as any folder that is not empty).
 */
export function claimOutDir(
  out: string | undefined,
  now: Date,
  root = 'runs',
  rerun?: (dir: string) => string | null,
): { dir: string; release: () => void; replaced: string | null } {
  if (out === undefined) {
    const dir = prepareOutDir(undefined, now, root);
    return { dir, release: lock(dir), replaced: null };
  }
  const made = makeDir(out);
  if (!made && entriesBut(out, LOCK_FILE).length > 0) {
    // A finished (or killed) run's folder is refused untouched, before any lock is tried, unless
    // a rerun may replace it; a live run's, always.
    const held = heldBy(out);
    const refusal = held ?? 'folder is not empty; refusing to overwrite a run';
    if (held || !rerun?.(out)) throw new OutDirError(out, refusal);
    const release = lock(out);
    try {
      // Asked again under the lock: another run may have written here since.
      const replaced = rerun(out);
      if (replaced === null) throw new OutDirError(out, refusal);
      for (const f of entriesBut(out, LOCK_FILE)) rmSync(join(out, f), { force: true });
      return { dir: out, release, replaced };
    } catch (e) {
      release();
      throw e;
    }
  }
  const release = lock(out);
  // Another run may have written here between the look and the lock.
  if (entriesBut(out, LOCK_FILE).length > 0) {
    release();
    throw new OutDirError(out, 'folder is not empty; refusing to overwrite a run');
  }
  return { dir: out, release, replaced: null };
}

/** Fail now, not after the run, when results could not be written into `dir`. */
function probeWritable(dir: string): void {
  const probe = join(dir, tmpOf('.l2bench-probe'));
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

/** The exporters of these formats, in order; an unknown format is refused before anything is written. */
function exportersOf(formats: readonly string[]): Exporter[] {
  return formats.map((format) => {
    const exporter = EXPORTERS.find((e) => e.format === format);
    if (!exporter)
      throw new ResultsError(`unknown format '${format}' (allowed: ${EXPORTERS.map((e) => e.format).join(', ')})`);
    return exporter;
  });
}

/**
 * Write a run in the given formats (csv, json, md, html) into a folder, one after another, each file
 * atomically. Resolves to the files. (The HTML report loads its chart libraries on first use.)
 * `records`, when given, are the run's records (read one at a time from a store on disk) in place
 * of `run.records`: the result files stream them, the reports read them all.
 */
export async function writeResults(
  dir: string,
  run: RunResult,
  formats: readonly string[] = ['csv', 'json'],
  options: ReportOptions = {},
  records?: Iterable<FullRecord>,
): Promise<string[]> {
  const files: string[] = [];
  let held: RunResult | undefined;
  for (const exporter of exportersOf(formats)) {
    const file = join(dir, exporter.file);
    if (!streamTo(file, exporter, run, records)) {
      held ??= records ? { ...run, records: [...records] } : run;
      writeAtomic(file, await exporter.render(held, options));
    }
    files.push(file);
  }
  return files;
}

/**
 * writeResults at once, for the formats that render without waiting (csv, json): the saves while a
 * run goes, and the last one on a second Ctrl-C, which cannot wait. Returns the files.
 */
export function writeResultsNow(
  dir: string,
  run: RunResult,
  formats: readonly string[],
  options: ReportOptions = {},
  records?: Iterable<FullRecord>,
): string[] {
  return exportersOf(formats).map((exporter) => {
    const file = join(dir, exporter.file);
    if (streamTo(file, exporter, run, records)) return file;
    const text = exporter.render(records ? { ...run, records: [...records] } : run, options);
    if (typeof text !== 'string') throw new ResultsError(`format '${exporter.format}' cannot be written at once`);
    writeAtomic(file, text);
    return file;
  });
}

/** Write a result file piece by piece if its exporter streams; false if it does not. */
function streamTo(file: string, exporter: Exporter, run: RunResult, records?: Iterable<FullRecord>): boolean {
  if (!exporter.stream) return false;
  const stream = exporter.stream.bind(exporter);
  writeAtomicWith(file, (write) => stream(run, records ?? run.records, write));
  return true;
}

/** As writeAtomic, the text written piece by piece. */
function writeAtomicWith(file: string, produce: (write: (text: string) => void) => void): void {
  const tmp = tmpOf(file);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'w');
    const out = fd;
    produce((text) => {
      const bytes = Buffer.from(text);
      for (let done = 0; done < bytes.length; ) done += writeSync(out, bytes, done);
    });
    closeSync(fd);
    fd = null;
    renameSync(tmp, file);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}
