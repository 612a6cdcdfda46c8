import { existsSync } from 'node:fs';
import { describeHolder, type HeldLock, LockBusyError, lockNow, lockWaiting } from '../../os/lock.ts';
import { queueListPath, removeLeftoverQueues } from './leftover-queues.ts';

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

/** Just taken: the queues a killed holder left (and their messages in msg_msg-*) are removed first. */
function clean(lock: HeldLock, path: string): HeldLock {
  removeLeftoverQueues(queueListPath(path));
  return lock;
}

const busy = (e: unknown) => (e instanceof LockBusyError ? new CacheBusyError(e) : e);

/** Take the cache lock now, or throw CacheBusyError naming the holder (the CLI: never wait). */
export function takeCacheLockNow(path = cacheLockPath()): HeldLock {
  try {
    return clean(lockNow(path), path);
  } catch (e) {
    throw busy(e);
  }
}

/** Take the cache lock, waiting for its holder up to `timeoutMs` (tests: two files never drive the cache at once). */
export async function takeCacheLockWaiting(timeoutMs: number, path = cacheLockPath()): Promise<HeldLock> {
  try {
    return clean(await lockWaiting(path, timeoutMs), path);
  } catch (e) {
    throw busy(e);
  }
}
