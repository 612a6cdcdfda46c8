import { CacheBusyError, takeCacheLockNow } from '../../kernel/live/cache-lock.ts';
import { type Bucket, probeKernel, readObjects, sysvQueues } from '../../kernel/live/probe.ts';
import type { HeldLock } from '../../os/lock.ts';

/** Set (to anything but '' or 0), it turns off every test that drives the live kernel (README: Quick start). */
const NO_LIVE = 'L2BENCH_NO_LIVE';

/** Are the tests that drive the live kernel (its msg_msg cache, System V queues, tracefs) turned off? */
export function liveTestsOff(): boolean {
  const v = process.env[NO_LIVE];
  return v !== undefined && v !== '' && v !== '0';
}

/**
 * Whether the running kernel can serve as the oracle, decided when a test file is collected. System
 * V queues in use count only when the lock is free: while another test file (or CLI run) holds it,
 * the queues are its own.
 */
export function oracle(bucket: Bucket = '1k'): { usable: boolean; reason: string } {
  if (liveTestsOff()) return { usable: false, reason: `${NO_LIVE} is set` };
  let lock: HeldLock | null = null;
  let lockProblem = '';
  try {
    lock = takeCacheLockNow();
  } catch (e) {
    if (!(e instanceof CacheBusyError)) lockProblem = `cannot take the lock: ${(e as Error).message}`;
  }
  try {
    const info = probeKernel(bucket);
    const problems = [...(lock ? info.problems : info.staticProblems), ...(lockProblem ? [lockProblem] : [])];
    return { usable: problems.length === 0, reason: problems.join('; ') };
  } catch (e) {
    return { usable: false, reason: (e as Error).message };
  } finally {
    lock?.release();
  }
}

/** The title of a live describe block: says why it is skipped when it is. */
export function liveTitle(title: string, o: { usable: boolean; reason: string }): string {
  return o.usable ? title : `${title} (skipped: the kernel cannot serve as the oracle: ${o.reason})`;
}

/** Nothing of ours left in the kernel: no object in the cache, no System V queue. */
export function kernelClean(cache = 'msg_msg-1k'): { objects: number; queues: number } {
  return { objects: readObjects(cache).objects, queues: sysvQueues().length };
}
