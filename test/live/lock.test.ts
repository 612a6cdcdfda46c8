import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireLockNow, acquireLockWaiting, LockBusyError } from '../../kernel/live/lock.ts';

// A lock file of its own, so these tests never wait for (or block) a real check.
const dir = mkdtempSync(join(tmpdir(), 'l2bench-lock-'));
const path = join(dir, 'test.lock');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the machine-wide lock (flock)', () => {
  it('a second acquire fails at once while the lock is held, naming the holder’s pid', () => {
    const held = acquireLockNow(path);
    try {
      expect(() => acquireLockNow(path)).toThrow(LockBusyError);
      expect(() => acquireLockNow(path)).toThrow(new RegExp(`another l2bench instance \\(pid ${process.pid}\\)`));
    } finally {
      held.release();
    }
    acquireLockNow(path).release(); // free again once released
  });

  it('a waiting acquire gets the lock when the holder releases it, or gives up at its deadline', async () => {
    const held = acquireLockNow(path);
    await expect(acquireLockWaiting(120, path)).rejects.toBeInstanceOf(LockBusyError);
    setTimeout(() => held.release(), 100);
    const next = await acquireLockWaiting(10_000, path);
    next.release();
  });
});
