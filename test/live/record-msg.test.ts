import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeCacheLockWaiting } from '../../kernel/live/cache-lock.ts';
import { MsgMsgCache } from '../../kernel/live/msg-cache.ts';
import { bucketSpec, probeKernel, shrinkCache } from '../../kernel/live/probe.ts';
import { record } from '../../kernel/tracefs/record.ts';
import type { HeldLock } from '../../os/lock.ts';
import { tempDir } from '../tmp.ts';
import { kernelClean, liveTitle, oracle } from './oracle.ts';

const o = oracle('1k');

/**
 * l2bench record against a known source: System V messages of 976 bytes of text are exactly one
 * 1024-byte allocation each in the dedicated msg_msg-1k cache (kmalloc events from load_msg), and
 * receiving one frees exactly that allocation (kfree). Driven while recording, the counts must be
 * exact: every send an allocation, every receive a free, nothing else from load_msg.
 */
describe.skipIf(!o.usable)(liveTitle('record counts the msg_msg-1k allocations and frees it saw, exactly', o), () => {
  let lock: HeldLock;
  beforeAll(async () => {
    // No other test file drives the msg_msg caches meanwhile.
    lock = await takeCacheLockWaiting(600_000);
  }, 660_000);
  afterAll(() => lock?.release());

  it('50 messages sent and 30 received while recording: 50 allocations, 30 frees', async () => {
    const out = join(tempDir('l2bench-record-msg-'), 'msg.trace');
    const info = probeKernel('1k');
    const abort = new AbortController();
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const recording = record({
      cache: 'msg_msg-1k',
      callSite: 'load_msg',
      out,
      signal: abort.signal,
      onStart: () => started(),
    });
    await running;
    const cache = new MsgMsgCache(bucketSpec('1k'), info.cpus, info.limits?.msgmnb ?? 16384);
    try {
      for (let id = 0; id < 50; id++) cache.alloc(id, 0);
      for (let id = 0; id < 30; id++) cache.free(id, 0);
    } finally {
      abort.abort();
      const result = await recording;
      cache.dispose();
      // Every message received: a shrink gives the emptied slabs back, as kernel check leaves the cache.
      shrinkCache('msg_msg-1k');
      expect([result.counts.allocations, result.counts.frees, result.lost.total]).toEqual([50, 30, 0]);
    }
    // The trace file holds the same: 50 alloc lines, 30 free lines, each free of an allocated id.
    const lines = readFileSync(out, 'utf8')
      .split('\n')
      .filter((l) => /^(alloc|free),/.test(l));
    expect(lines.filter((l) => l.startsWith('alloc,'))).toHaveLength(50);
    expect(lines.filter((l) => l.startsWith('free,'))).toHaveLength(30);
    expect(kernelClean()).toEqual({ objects: 0, queues: 0 });
  });
});
