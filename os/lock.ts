import { closeSync, fstatSync, ftruncateSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { EWOULDBLOCK, lastErrno, libcFunction } from './libc.ts';

/**
 * Every lock l2bench takes (a run's output folder, the machine-wide lock of the live kernel check):
 * flock(2) on a file. The kernel drops an flock when its holder exits however it exits, SIGKILL
 * included, so a lock is never stale: a file left by a killed holder locks nothing. The holder
 * writes its pid and host into the file, for the message of whoever is refused.
 */

const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;

let flockCall: ((fd: number, operation: number) => number) | undefined;

/** flock(fd, operation | LOCK_NB): true when taken, false when another open file holds it. */
function flockNow(fd: number, path: string, operation = LOCK_EX): boolean {
  flockCall ??= libcFunction('int flock(int fd, int operation)') as (fd: number, operation: number) => number;
  if (flockCall(fd, operation | LOCK_NB) === 0) return true;
  const errno = lastErrno();
  if (errno === EWOULDBLOCK) return false;
  throw new Error(`flock(${path}) failed: errno ${errno}`);
}

/** Who holds a lock, as the holder wrote it. */
export interface LockHolder {
  pid: number;
  host: string;
}

/** `pid 123`, `pid 123 on node7` for another host. */
export function describeHolder(holder: LockHolder | null): string {
  if (!holder) return 'starting';
  return `pid ${holder.pid}${holder.host && holder.host !== hostname() ? ` on ${holder.host}` : ''}`;
}

/** Another process holds the lock. */
export class LockBusyError extends Error {
  constructor(
    readonly path: string,
    readonly holder: LockHolder | null,
  ) {
    super(`${path} is locked by another process (${describeHolder(holder)})`);
    this.name = 'LockBusyError';
  }
}

export interface HeldLock {
  readonly path: string;
  /** Let the lock go (idempotent): the file is removed first when the lock was taken with `remove`. */
  release(): void;
}

export interface LockOptions {
  /**
   * Remove the file as the lock is let go (a run's output folder keeps no trace of its lock). A
   * file many programs share stays: an older l2bench that opened it before it went, and locked it
   * after, would hold a lock on a file no one else sees.
   */
  remove?: boolean;
}

/** The holder a lock file names (`PID HOST`, or a bare pid), or null when it names none. */
export function lockHolder(path: string): LockHolder | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const [pid, host = ''] = text.trim().split(/\s+/);
  const n = Number(pid);
  return Number.isInteger(n) && n > 0 ? { pid: n, host } : null;
}

/** Does the open file still have this name? (The last holder removes the file as it lets go.) */
function stillNamed(fd: number, path: string): boolean {
  try {
    const named = statSync(path);
    const open = fstatSync(fd);
    return named.ino === open.ino && named.dev === open.dev;
  } catch {
    return false;
  }
}

/**
 * Take the lock if it is free: null if another process holds it. Errors opening the file (a folder
 * that cannot be written) are thrown as they are.
 */
export function tryLock(path: string, options: LockOptions = {}): HeldLock | null {
  for (;;) {
    const fd = openSync(path, 'a+', 0o644);
    let taken = false;
    try {
      taken = flockNow(fd, path);
    } finally {
      if (!taken) closeSync(fd);
    }
    if (!taken) return null;
    // The holder we waited for removed the file as it let go: the lock to take is on the next one.
    if (!stillNamed(fd, path)) {
      closeSync(fd);
      continue;
    }
    ftruncateSync(fd, 0);
    writeSync(fd, `${process.pid} ${hostname()}\n`);
    let held = true;
    return {
      path,
      release() {
        if (!held) return;
        held = false;
        try {
          // Removed while still held, so that no one takes a lock on a file about to go; else the
          // holder's note goes, the lock matters.
          if (options.remove && stillNamed(fd, path)) rmSync(path, { force: true });
          else ftruncateSync(fd, 0);
        } finally {
          closeSync(fd);
        }
      },
    };
  }
}

/**
 * Does a process hold the lock now? Looked at without taking it and without touching the file
 * (a shared lock, let go at once): a file left by a killed holder is not held.
 */
export function isLocked(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false;
  }
  try {
    return !flockNow(fd, path, LOCK_SH);
  } finally {
    closeSync(fd);
  }
}

/** Take the lock now, or throw LockBusyError naming the holder. */
export function lockNow(path: string, options: LockOptions = {}): HeldLock {
  const held = tryLock(path, options);
  if (!held) throw new LockBusyError(path, lockHolder(path));
  return held;
}

/** Take the lock, waiting for its holder up to `timeoutMs`, then throw LockBusyError. */
export async function lockWaiting(path: string, timeoutMs: number, options: LockOptions = {}): Promise<HeldLock> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const held = tryLock(path, options);
    if (held) return held;
    if (Date.now() >= deadline) throw new LockBusyError(path, lockHolder(path));
    await sleep(50);
  }
}
