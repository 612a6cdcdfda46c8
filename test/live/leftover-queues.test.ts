import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { cacheLockPath, takeCacheLockWaiting } from '../../kernel/live/cache-lock.ts';
import { queueListPath, removeLeftoverQueues } from '../../kernel/live/leftover-queues.ts';
import { readObjects, shrinkCache, sysvQueues } from '../../kernel/live/probe.ts';
import { ROOT } from '../cli.ts';
import { kernelClean, liveTitle, oracle } from './oracle.ts';

const LONG = 600_000;
const o = oracle('1k');

describe.skipIf(!o.usable)(liveTitle('what a killed driver of the cache leaves is removed', o), () => {
  it(
    'SIGKILL leaves its queues and messages; the next holder of the lock removes them',
    async () => {
      // Held throughout (for the child, then as its next holder): no other test sees the leftovers.
      const lock = await takeCacheLockWaiting(LONG);
      try {
        const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/live/killed-child.ts')], {
          cwd: ROOT,
          env: { ...process.env, NO_COLOR: '1' },
        });
        const ids = await new Promise<number[]>((resolve, reject) => {
          let out = '';
          child.stdout.on('data', (d) => {
            out += d;
            const m = /^queues ([\d,]+)\n/m.exec(out);
            if (m) resolve((m[1] as string).split(',').map(Number));
          });
          child.on('exit', (code) => reject(new Error(`exited ${code} before its messages were out`)));
        });
        expect(ids.length).toBe(1); // 5 messages of 976 bytes fit in one queue
        const exited = new Promise((resolve) => child.on('exit', resolve));
        child.kill('SIGKILL');
        await exited;
        // Killed: its queue and its 5 messages (5 objects of msg_msg-1k) are still there.
        const mine = () => sysvQueues().filter((q) => ids.includes(q.msqid));
        expect(mine().map((q) => q.qnum)).toEqual([5]);
        expect(readObjects('msg_msg-1k').objects).toBeGreaterThanOrEqual(5);
        // What taking the lock does first (kernel/live/cache-lock.ts).
        expect(removeLeftoverQueues(queueListPath(cacheLockPath()))).toBe(1);
        expect(mine()).toEqual([]);
        // Its messages were freed too: with none live, a shrink leaves the cache empty once the
        // kernel has finished freeing (deferred a moment after IPC_RMID): polled, up to a minute.
        for (let t = 0; t < 600 && readObjects('msg_msg-1k').objects > 0; t++) {
          shrinkCache('msg_msg-1k');
          await sleep(100);
        }
        expect(kernelClean()).toEqual({ objects: 0, queues: 0 });
      } finally {
        lock.release();
      }
    },
    LONG,
  );
});
