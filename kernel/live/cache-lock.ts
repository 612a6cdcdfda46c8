import { existsSync } from 'node:fs';
import { describeHolder, type HeldLock, LockBusyError, lockNow, lockWaiting } from '../../os/lock.ts';

/**
 * The machine-wide lock that keeps two drivers of the msg_msg caches apart (two CLI runs, two
 * vitest files, two `npm test` runs): its file, and what a refused instance is told. The lock is
 * os/lock.ts's flock, which the kernel drops when the holder exits however it exits.
 */
export function cacheLockPath(): string {
  return existsSync('/run/lock') ? '/run/lock/l2bench-msg_msg.lock' : '/tmp/l2bench-msg_msg.lock';
}

/** Another instance drives the caches. */
export class CacheBusyError extends Error {
  constructor(cause: LockBusyError) {
    const who = cause.holder ? ` (${describeHolder(cause.holder)})` : '';
    super(`another l2bench instance${who} is driving the msg_msg caches (lock ${cause.path}); try again when it ends`);
    this.name = 'CacheBusyError';
  }
}

const busy = (e: unknown) => (e instanceof LockBusyError ? new CacheBusyError(e) : e);

/** Take the cache lock now, or throw CacheBusyError naming the holder (the CLI: never wait). */
export function takeCacheLockNow(path = cacheLockPath()): HeldLock {
  try {
    return lockNow(path);
  } catch (e) {
    throw busy(e);
  }
}

/** Take the cache lock, waiting for its holder up to `timeoutMs` (tests: two files never drive the cache at once). */
export async function takeCacheLockWaiting(timeoutMs: number, path = cacheLockPath()): Promise<HeldLock> {
  try {
    return await lockWaiting(path, timeoutMs);
  } catch (e) {
    throw busy(e);
  }
}
