import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { takeCacheLockWaiting } from '../../kernel/live/cache-lock.ts';
import { readObjects, sysvQueues } from '../../kernel/live/probe.ts';
import { BIN, l2bench, ROOT } from '../cli.ts';
import { liveTitle, oracle } from './oracle.ts';

// A model that never returns or that throws, under `kernel check` (L2BENCH_TEST_MODEL_FAULT, the
// check's test hook): a stop signal still stops the check and every message and queue goes, and a
// divergence found before a model throws is still reported.

const LONG = 600_000;
/** Queue up behind another test file's check instead of refusing. */
const WAIT = { L2BENCH_LOCK_WAIT_MS: String(LONG) };
/**
 * How long a stopped check may take to exit before the test calls it deaf to the signal: far above
 * any clean-up (it receives 4096 messages), so it says whether the check stops, not how fast.
 */
const DEAF_AFTER_MS = 120_000;

const o = oracle('1k');

/** msg_msg-1k's objects and the System V queues, read under the lock: no other check is half-way. */
async function kernelState(): Promise<{ objects: number; queues: number[] }> {
  const lock = await takeCacheLockWaiting(LONG);
  try {
    return { objects: readObjects('msg_msg-1k').objects, queues: sysvQueues().map((q) => q.msqid) };
  } finally {
    lock.release();
  }
}

/** Messages out in the queues the child sent to last. */
function messagesOf(child: ChildProcess): number {
  const rows = readFileSync('/proc/sysvipc/msg', 'latin1').trim().split('\n').slice(1);
  let n = 0;
  for (const row of rows) {
    const f = row.trim().split(/\s+/);
    if (Number(f[5]) === child.pid) n += Number(f[4]);
  }
  return n;
}

/** Wait until the child has `n` messages out (or has exited): how many it has then. */
async function untilMessagesOut(child: ChildProcess, n: number): Promise<number> {
  for (;;) {
    const out = messagesOf(child);
    if (out >= n || child.exitCode !== null) return out;
    await sleep(20);
  }
}

/** The child's exit code, or null (after killing it) when it has not exited after `ms`. */
async function exitWithin(child: ChildProcess, ms: number): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  const deaf = sleep(ms).then(() => 'deaf' as const);
  const first = await Promise.race([exited, deaf]);
  if (first !== 'deaf') return first;
  child.kill('SIGKILL');
  await exited;
  return null;
}

describe.skipIf(!o.usable)(liveTitle('kernel check with a model that hangs or throws', o), () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
    ['SIGHUP', 129],
  ] as const) {
    it(
      `a model stuck in a loop: ${signal} stops the check (exit ${code}); msg_msg-1k and the queues are as before`,
      async () => {
        const before = await kernelState();
        // hold frees nothing; the model loops at event 6000, in the second batch of 4096 events. The
        // model thread runs one batch ahead of the live cache, which therefore stops at exactly 4096
        // messages out, and the check waits for the model for ever: the signal finds it waiting.
        const child = spawn(process.execPath, [BIN, 'kernel', 'check', '-w', 'hold:tables=100000'], {
          cwd: ROOT,
          env: { ...process.env, NO_COLOR: '1', L2BENCH_DEBUG: '', ...WAIT, L2BENCH_TEST_MODEL_FAULT: 'hang@6000' },
        });
        let stderr = '';
        child.stderr?.on('data', (d) => {
          stderr += d;
        });
        expect(await untilMessagesOut(child, 4096)).toBe(4096);
        child.kill(signal);
        expect(await exitWithin(child, DEAF_AFTER_MS)).toBe(code);
        expect(stderr).toBe(
          `l2bench: kernel check interrupted by ${signal}; every message received, every queue removed\n`,
        );
        expect(await kernelState()).toEqual(before);
      },
      LONG,
    );
  }

  it(
    'a model that throws after a divergence: the divergence in text, JSON and checkpoints.csv, and one line naming the error',
    async () => {
      // --model-cpu-partial 6 first differs after event 1017 (kernel-check.test.ts works it out); the
      // model throws at event 1500, so 1499 events are checked, each a checkpoint.
      const env = { ...WAIT, L2BENCH_TEST_MODEL_FAULT: 'throw@1500' };
      const args = ['kernel', 'check', '-w', 'ramp:peak=1000,order=fifo', '--model-cpu-partial', '6'];
      const error =
        'l2bench: kernel check: the model threw after event 1499 of ramp:peak=1000,order=fifo (free): injected model fault at event 1500 (L2BENCH_TEST_MODEL_FAULT); the check stopped there\n';
      const d = mkdtempSync(join(tmpdir(), 'l2bench-kernel-'));
      dirs.push(d);
      const json = await l2bench([...args, '--json', '--out', d], { env });
      expect(json.code).toBe(1);
      expect(json.stderr).toBe(error);
      const j = JSON.parse(json.stdout);
      expect(j).toMatchObject({
        agreement: false,
        checkpoints: 1499,
        first_divergence: {
          event: 1017,
          kind: 'free',
          id: 16,
          cpu: 0,
          fields: ['partial', 'cpu_slabs', 'slabs_cpu_partial'],
        },
        model_error: { workload: 'ramp:peak=1000,order=fifo', event: 1499, step: 'free' },
      });
      expect(j.first_divergence.live).toMatchObject({ partial: 0, cpu_slabs: 3, slabs_cpu_partial: 2, by_cpu: [2, 0] });
      expect(j.first_divergence.model).toMatchObject({
        partial: 1,
        cpu_slabs: 2,
        slabs_cpu_partial: 1,
        by_cpu: [1, 0],
      });
      expect(readdirSync(d)).toEqual(['checkpoints.csv']);
      const rows = readFileSync(join(d, 'checkpoints.csv'), 'utf8').trim().split('\n');
      expect(rows).toHaveLength(1 + 1499);
      // Event 1017: partial, cpu_slabs and slabs_cpu_partial differ (live, model side by side), match 0.
      expect(rows[1017]).toMatch(/^"ramp:peak=1000,order=fifo",1017,free,16,0,63,63,0,1,3,2,2,1,0$/);

      const text = await l2bench(args, { env });
      expect(text.code).toBe(1);
      expect(text.stderr).toBe(error);
      expect(text.stdout).toMatch(
        /first divergence in ramp:peak=1000,order=fifo after event 1017 \(free of table 16 on CPU 0\)/,
      );
      expect(text.stdout).toMatch(/1499 events, 1499 checkpoints .*\(stopped: the model threw\)/);
      expect(await kernelState()).toMatchObject({ objects: 0 });
    },
    LONG,
  );
});

describe('kernel check: the model fault hook', () => {
  it(
    'refuses a test hook it cannot read, in one line, before touching the kernel',
    async () => {
      const r = await l2bench(['kernel', 'check', '-w', 'hold:tables=1'], {
        env: { ...WAIT, L2BENCH_TEST_MODEL_FAULT: 'loop' },
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('l2bench: L2BENCH_TEST_MODEL_FAULT=loop: expected hang@N or throw@N (N from 1)\n');
    },
    LONG,
  );
});
