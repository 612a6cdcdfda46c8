import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { takeCacheLockWaiting } from '../../kernel/live/cache-lock.ts';
import { BIN, l2bench, ROOT } from '../cli.ts';
import { kernelClean, liveTitle, oracle } from './oracle.ts';

const LONG = 600_000;
/** Queue up behind another test file's check instead of refusing. */
/** The live cache may be busy with another test: wait for it. */
const WAIT = { env: { L2BENCH_LOCK_WAIT_MS: String(LONG) } };
const ENV = { ...process.env, NO_COLOR: '1', L2BENCH_DEBUG: '', ...WAIT.env };

function expectOneLine(stderr: string, message: RegExp): void {
  expect(stderr).toMatch(/^l2bench: [^\n]*\n$/);
  expect(stderr).not.toMatch(/\bat .*:\d+:\d+|internal error/);
  expect(stderr).toMatch(message);
}

describe('l2bench kernel: bad input is one line and exit 2, before touching the kernel', () => {
  // The messages themselves are checked in-process (kernel-check.test.ts); these check the CLI's
  // one-line refusal and exit code, with few spawns since the suite runs CLI tests side by side.
  it.each([
    [['kernel', 'check'], /^l2bench: --workload: kernel check needs a workload/],
    [['kernel', 'check', '-w', 'hold:tables=1', '--every', '0'], /--every 0/],
    [['kernel', 'check', '-w', 'hold:tables=1', '--flush-every', 'x'], /--flush-every x/],
    [['kernel', 'info', '--bucket', '8k'], /--bucket 8k/],
  ])(
    'refuses %j',
    async (args, message) => {
      const r = await l2bench(args as string[], WAIT);
      expectOneLine(r.stderr, message);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
    },
    60_000,
  );
});

const o = oracle('1k');

describe.skipIf(!o.usable)(liveTitle('l2bench kernel on the live kernel', o), () => {
  it('kernel info says usable, with the geometry, and exits 0', async () => {
    const r = await l2bench(['kernel', 'info', '--json'], WAIT);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ usable: true, model: '6.18', root: true, cache: 'msg_msg-1k', problems: [] });
    expect(j.geometry).toMatchObject({ sheaf_capacity: 0, aliases: 0, object_size: 1024 });
  }, 60_000);

  it(
    'kernel check --json: checkpoints, matches, first_divergence; exit 0 on agreement',
    async () => {
      const r = await l2bench(['kernel', 'check', '-w', 'ramp:peak=100,order=fifo', '--json'], WAIT);
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j).toMatchObject({ checkpoints: 200, matches: 200, first_divergence: null, agreement: true });
      expect(j.workloads[0].final.live).toEqual({ slabs: 7, partial: 3, cpu_slabs: 4, slabs_cpu_partial: 3 });
    },
    LONG,
  );

  it(
    'kernel check exits 1 on a divergence and names it',
    async () => {
      const r = await l2bench(['kernel', 'check', '-w', 'ramp:peak=1000,order=fifo', '--model-cpu-partial', '6'], WAIT);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        /first divergence in ramp:peak=1000,order=fifo after event 1017 \(free of table 16 on CPU 0\)/,
      );
      expect(r.stdout).toMatch(/^ {2}partial +0 +1 +<$/m);
    },
    LONG,
  );

  it(
    'kernel check --flush-every and --shrink-every flush or shrink the cache and the model between events',
    async () => {
      const r = await l2bench(
        ['kernel', 'check', '-w', 'ramp:peak=100,order=fifo', '--flush-every', '196', '--shrink-every', '150'],
        WAIT,
      );
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        /ramp:peak=100,order=fifo: 200 events, 202 checkpoints \(every 1; 1 shrinks, 1 flushes\)/,
      );
      expect(r.stdout).toMatch(/^agreement: 202 of 202 checkpoints match$/m);
    },
    LONG,
  );

  it(
    'an uncaught exception in the middle of a check: exit 1, one line, and the kernel left clean',
    async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/live/uncaught-child.ts')], {
        cwd: ROOT,
        env: ENV,
      });
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      expect(await exited).toBe(1);
      expect(stderr).toBe('l2bench: internal error during kernel check: boom from a timer\n');
      const lock = await takeCacheLockWaiting(LONG);
      try {
        expect(kernelClean()).toEqual({ objects: 0, queues: 0 });
      } finally {
        lock.release();
      }
    },
    LONG,
  );

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(
      `${signal} in the middle of a check: exit ${code}, every message received, every queue removed`,
      async () => {
        const child = spawn(process.execPath, [BIN, 'kernel', 'check', '-w', 'churn:live=3000,ops=100000000'], {
          cwd: ROOT,
          env: ENV,
        });
        let stderr = '';
        child.stderr.on('data', (d) => {
          stderr += d;
        });
        const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
        await untilItDrives(child);
        child.kill(signal);
        expect(await exited).toBe(code);
        expectOneLine(stderr, /interrupted by SIG(INT|TERM); every message received, every queue removed/);
        // Checked under the lock, so no other test file's check is half-way.
        const lock = await takeCacheLockWaiting(LONG);
        try {
          expect(kernelClean()).toEqual({ objects: 0, queues: 0 });
        } finally {
          lock.release();
        }
      },
      LONG,
    );
  }
});

/** Wait until the child has sent messages: a queue whose last sender (lspid) is the child. */
async function untilItDrives(child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the check ended early (exit ${child.exitCode})`);
    const rows = readFileSync('/proc/sysvipc/msg', 'latin1').trim().split('\n').slice(1);
    if (rows.some((row) => Number(row.trim().split(/\s+/)[5]) === child.pid)) return;
    await sleep(20);
  }
}
