import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describeHolder, isLocked, lockHolder, tryLock } from '../../os/lock.ts';
import { OutDirError } from '../../results/errors.ts';
import { FORMAT_FILES } from '../../results/output-formats.ts';
import { SPOOL_FILE } from '../../results/record-store.ts';
import { makeDir, prepareOutDir } from '../../results/write.ts';

/** The lock a run holds on its output folder while it writes there (os/lock.ts: flock). */
const LOCK_FILE = '.l2bench.lock';

const escaped = (name: string) => name.replaceAll('.', '\\.');
/** The files a run writes into its folder, and the temporary files of its writes (`results.csv.PID.tmp`). */
const RUN_FILES = (() => {
  const results = Object.values(FORMAT_FILES).map(escaped).join('|');
  return new RegExp(
    `^(?:(?:${results}|\\.l2bench-probe)\\.\\d+\\.tmp|${results}|${escaped(LOCK_FILE)}|${escaped(SPOOL_FILE)}(?:\\.csv)?(?:\\.compact)?)$`,
  );
})();

/** Is this a file a run writes into its folder (or a temporary file of one, left by a killed write)? */
export const isRunFile = (name: string): boolean => RUN_FILES.test(name);

/** A run's output folder, held by it until `release`; `replaced` says what unfinished run it replaced, if any. */
export interface ClaimedDir {
  dir: string;
  release(): void;
  replaced: string | null;
}

const entriesBut = (dir: string, except: string): string[] => {
  try {
    return readdirSync(dir).filter((f) => f !== except);
  } catch (e) {
    throw new OutDirError(dir, (e as Error).message);
  }
};

const busy = (dir: string) =>
  `another l2bench run (${describeHolder(lockHolder(join(dir, LOCK_FILE)))}) is writing into this folder`;

/** Lock the folder, or refuse it when a live run holds it. */
function lock(dir: string): () => void {
  let held: ReturnType<typeof tryLock>;
  try {
    held = tryLock(join(dir, LOCK_FILE), { remove: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new OutDirError(dir, `folder is not writable (${code ?? (e as Error).message})`);
  }
  if (!held) throw new OutDirError(dir, busy(dir));
  return () => held.release();
}

const NOT_EMPTY = 'folder is not empty; refusing to overwrite a run';

/**
 * An output folder for a run, held by it: a given folder must be empty (an earlier run is never
 * overwritten), or a new runs/<timestamp>/ is made; then it is locked (flock on `.l2bench.lock`)
 * until `release`, so two runs never write into one folder: the second is refused before it writes
 * anything. The kernel drops the lock of a run killed outright, so its lock file blocks nothing.
 * `rerun`, when given, may let the run take a folder that holds an unfinished run: called with the
 * folder locked, it says what the folder holds (its run's files are then removed, and `replaced`
 * says what was) or returns null (refused, as any folder that is not empty).
 */
export function claimOutDir(
  out: string | undefined,
  now: Date,
  root = 'runs',
  rerun?: (dir: string) => string | null,
): ClaimedDir {
  if (out === undefined) {
    const dir = prepareOutDir(undefined, now, root);
    return { dir, release: lock(dir), replaced: null };
  }
  const made = makeDir(out);
  if (!made && entriesBut(out, LOCK_FILE).length > 0) {
    // A finished (or killed) run's folder is refused untouched, before any lock is tried, unless a
    // rerun may replace it; a live run's, always.
    if (isLocked(join(out, LOCK_FILE))) throw new OutDirError(out, busy(out));
    if (!rerun?.(out)) throw new OutDirError(out, NOT_EMPTY);
    return replace(out, rerun);
  }
  const release = lock(out);
  // Another run may have written here between the look and the lock.
  if (entriesBut(out, LOCK_FILE).length > 0) {
    release();
    throw new OutDirError(out, NOT_EMPTY);
  }
  return { dir: out, release, replaced: null };
}

/** Take a folder whose unfinished run a rerun replaces: asked again under the lock, then its run's files removed. */
function replace(out: string, rerun: (dir: string) => string | null): ClaimedDir {
  const release = lock(out);
  try {
    // Another run may have written here since.
    const replaced = rerun(out);
    if (replaced === null) throw new OutDirError(out, NOT_EMPTY);
    for (const f of entriesBut(out, LOCK_FILE)) rmSync(join(out, f), { force: true });
    return { dir: out, release, replaced };
  } catch (e) {
    release();
    throw e;
  }
}
