import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { EWOULDBLOCK, flock, LOCK_EX, LOCK_NB, LOCK_UN } from './libc.ts';

/**
 * The machine-wide lock that keeps two drivers of the msg_msg caches apart (two CLI runs, two
 * vitest files, two `npm test` runs): flock() on one file, which the kernel drops when the holder
 * exits however it exits. The holder writes its pid into the file so a refused instance can name it.
 */
export function lockPath(): string {
  return existsSync('/run/lock') ? '/run/lock/l2bench-msg_msg.lock' : '/tmp/l2bench-msg_msg.lock';
}

/** Another instance holds the lock. */
export class LockBusyError extends Error {
  constructor(
    readonly pid: number | null,
    readonly path: string,
  ) {
    super(
      `another l2bench instance${pid ? ` (pid ${pid})` : ''} is driving the msg_msg caches (lock ${path}); try again when it ends`,
    );
    this.name = 'LockBusyError';
  }
}

export interface HeldLock {
  readonly path: string;
  release(): void;
}

function holderPid(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, 'latin1').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function tryLock(path: string): HeldLock | null {
  const fd = openSync(path, 'a+', 0o644);
  const r = flock(fd, LOCK_EX | LOCK_NB);
  if (r === -EWOULDBLOCK) {
    closeSync(fd);
    return null;
  }
  if (r < 0) {
    closeSync(fd);
    throw new Error(`flock(${path}) failed: errno ${-r}`);
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`);
  let held = true;
  return {
    path,
    release() {
      if (!held) return;
      held = false;
      try {
        ftruncateSync(fd, 0);
      } catch {
        // the lock matters, not the pid note
      }
      flock(fd, LOCK_UN);
      closeSync(fd);
    },
  };
}

/** Take the lock now or throw LockBusyError naming the holder (the CLI: never wait). */
export function acquireLockNow(path = lockPath()): HeldLock {
  const held = tryLock(path);
  if (!held) throw new LockBusyError(holderPid(path), path);
  return held;
}

/** Take the lock, waiting for the holder up to `timeoutMs` (tests: two files never drive the cache at once). */
export async function acquireLockWaiting(timeoutMs: number, path = lockPath()): Promise<HeldLock> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const held = tryLock(path);
    if (held) return held;
    if (Date.now() >= deadline) throw new LockBusyError(holderPid(path), path);
    await sleep(50);
  }
}
