import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.ts';
import { takeCacheLockWaiting } from '../../kernel/live/cache-lock.ts';
import { type CheckOptions, runKernelCheck } from '../../kernel/live/check.ts';
import type { HeldLock } from '../../os/lock.ts';
import { kernelClean, liveTitle, oracle } from './oracle.ts';

// Figures observed on a live 6.18 kernel (kernel notes, section B2) and worked by hand from its
// rules: 2 online CPUs, msg_msg-1k with 16 objects per slab, cpu_partial_slabs 3, min_partial 5.

const o = oracle('1k');
const LONG = 600_000;

describe.skipIf(!o.usable)(liveTitle('kernel check against the live msg_msg-1k', o), () => {
  let lock: HeldLock;
  const dirs: string[] = [];
  beforeAll(async () => {
    // Held for the whole block: no other test file or CLI run drives the caches meanwhile, and the
    // cleanliness checks below see only what this file did.
    lock = await takeCacheLockWaiting(LONG);
  }, LONG);
  afterAll(() => {
    lock?.release();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const check = (workloads: string[], extra: Partial<CheckOptions> = {}) =>
    runKernelCheck({ workloads, lock, ...extra });
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'l2bench-kernel-'));
    dirs.push(d);
    return d;
  };

  it(
    'hold 100 then free in order on CPU 0: peak 7 slabs, final 7 (node partial 3; CPU 0 1 active + 3 partial)',
    async () => {
      const r = await check(['ramp:peak=100,order=fifo']);
      const w = r.results[0];
      expect(r.firstDivergence).toBeNull();
      expect(r.matches).toBe(r.checkpoints);
      expect(r.checkpoints).toBe(200);
      expect(w?.peakSlabs).toEqual({ live: 7, model: 7 });
      expect(w?.final.live).toEqual({ slabs: 7, partial: 3, cpu_slabs: 4, slabs_cpu_partial: 3 });
      expect(kernelClean()).toEqual({ objects: 0, queues: 0 });
    },
    LONG,
  );

  it(
    '1000 then all freed on CPU 0, in order or reversed: peak 63, final 8 (node partial 5; CPU 0 1 + 2)',
    async () => {
      const r = await check(['ramp:peak=1000,order=fifo', 'ramp:peak=1000,order=lifo']);
      expect(r.firstDivergence).toBeNull();
      expect(r.matches).toBe(4000);
      for (const w of r.results) {
        expect(w.peakSlabs.live).toBe(63);
        expect(w.final.live).toEqual({ slabs: 8, partial: 5, cpu_slabs: 3, slabs_cpu_partial: 2 });
      }
    },
    LONG,
  );

  it(
    '1000 on CPU 0 freed on CPU 1: final 8, node partial 5, CPU 1 2 partial, cpu_slabs 1',
    async () => {
      const d = tmp();
      const trace = join(d, 'cross.txt');
      const lines = ['# 1000 tables allocated on CPU 0, then freed in order on CPU 1'];
      for (let i = 0; i < 1000; i++) lines.push(`alloc,${i},0`);
      for (let i = 0; i < 1000; i++) lines.push(`free,${i},1`);
      writeFileSync(trace, `${lines.join('\n')}\n`);
      const r = await check([`trace:file=${trace}`]);
      expect(r.firstDivergence).toBeNull();
      expect(r.results[0]?.final.live).toEqual({ slabs: 8, partial: 5, cpu_slabs: 1, slabs_cpu_partial: 2 });
    },
    LONG,
  );

  it(
    'hold 100 without frees: 7 slabs, one of them CPU 0’s active slab',
    async () => {
      const r = await check(['hold:tables=100']);
      expect(r.firstDivergence).toBeNull();
      expect(r.results[0]?.final.live).toEqual({ slabs: 7, partial: 0, cpu_slabs: 1, slabs_cpu_partial: 0 });
      expect(kernelClean()).toEqual({ objects: 0, queues: 0 });
    },
    LONG,
  );

  it(
    'agrees at every event on one CPU: ramp (fifo, lifo, random), churn and sawtooth',
    async () => {
      const r = await check([
        'ramp:peak=700,order=random',
        'churn:live=300,ops=6000,order=random',
        'churn:live=300,ops=3000,order=fifo',
        'churn:live=300,ops=3000,order=lifo',
        'sawtooth:peak=200,cycles=5,order=random',
      ]);
      expect(r.firstDivergence).toBeNull();
      expect(r.matches).toBe(r.checkpoints);
      expect(r.results.map((w) => w.events)).toEqual([1400, 6300, 3300, 3300, 2000]);
    },
    LONG,
  );

  it(
    'agrees at every event with frees on the other CPU (cpus=spread)',
    async () => {
      // With spread, allocations and frees go round-robin over the 2 CPUs on their own counters:
      // lifo frees table N−1−j on CPU j mod 2, always the other CPU than the one that allocated it.
      const r = await check([
        'ramp:peak=400,order=lifo,cpus=spread',
        'ramp:peak=400,order=random,cpus=spread',
        'churn:live=300,ops=4000,cpus=spread',
        'sawtooth:peak=150,cycles=4,order=fifo,cpus=spread',
        'hold:tables=100,cpus=spread',
      ]);
      expect(r.firstDivergence).toBeNull();
      expect(r.matches).toBe(r.checkpoints);
    },
    LONG,
  );

  it(
    'a flush between events (flush_all): ramp of 100 freed in order, flushed after event 196: 5 slabs, all on the node',
    async () => {
      // 6 full slabs and S7 active with 4 live. Frees S1..S6: S4's first free drains [S3, S2, S1]
      // (empty) to the node, then [S6, S5, S4] (empty) sit on CPU 0's list. The flush deactivates S7
      // (4 live, no remote frees: to the head, nr_partial 4), then puts S6 (nr 4 < 5: kept), S5 and
      // S4 (discarded). The last 4 frees empty S7 on the node with nr_partial 5: discarded.
      const d = tmp();
      const r = await check(['ramp:peak=100,order=fifo'], { flushEvery: 196, outDir: d });
      expect(r.firstDivergence).toBeNull();
      expect(r.results[0]?.maintenance).toEqual({ shrinks: 0, flushes: 1, skipped: 0 });
      const flush = readFileSync(join(d, 'checkpoints.csv'), 'utf8')
        .split('\n')
        .find((l) => l.includes(',flush,'));
      // After the quoted workload: slabs, partial, cpu_slabs, slabs_cpu_partial, live and model side by side.
      expect(flush?.split(',').slice(2, 15)).toEqual([
        '196',
        'flush',
        '',
        '',
        '5',
        '5',
        '5',
        '5',
        '0',
        '0',
        '0',
        '0',
        '1',
      ]);
      expect(r.results[0]?.final.live).toEqual({ slabs: 4, partial: 4, cpu_slabs: 0, slabs_cpu_partial: 0 });
      expect(kernelClean()).toEqual({ objects: 0, queues: 0 });
    },
    LONG,
  );

  it(
    'skips a shrink or flush while two CPUs hold slabs (their flushes race), and agrees around the others',
    async () => {
      const r = await check(['churn:live=100,ops=1000,cpus=spread', 'handoff:tables=100,rounds=3'], {
        shrinkEvery: 50,
        flushEvery: 70,
      });
      expect(r.firstDivergence).toBeNull();
      expect(r.matches).toBe(r.checkpoints);
      const [spread, handoff] = r.results.map((w) => w.maintenance);
      expect(spread?.skipped).toBeGreaterThan(0);
      expect((handoff?.shrinks ?? 0) + (handoff?.flushes ?? 0)).toBeGreaterThan(0);
      const made = r.results.reduce((n, w) => n + w.maintenance.shrinks + w.maintenance.flushes, 0);
      expect(r.checkpoints).toBe(1100 + 600 + made);
    },
    LONG,
  );

  it(
    'folds workload CPUs beyond the online ones (cpu mod online) and says so',
    async () => {
      const r = await check(['churn:live=100,ops=1000,cpus=spread'], { cpus: 5 });
      expect(r.firstDivergence).toBeNull();
      expect(r.fold).toMatch(/folded onto the 2 online CPUs \(cpu mod 2\)/);
    },
    LONG,
  );

  it(
    'checks the geometry at other sizes: msg_msg-64, -512, -4k',
    async () => {
      for (const bucket of ['64', '512', '4k'] as const) {
        const b = oracle(bucket);
        if (!b.usable) continue;
        const r = await check(['ramp:peak=300,order=fifo', 'churn:live=100,ops=2000,cpus=spread'], { bucket });
        expect(r.firstDivergence, bucket).toBeNull();
        expect(kernelClean(`msg_msg-${bucket}`)).toEqual({ objects: 0, queues: 0 });
      }
      // 4 KiB: 8 objects per slab, cpu_partial 6 → 2 slabs, min_partial 6. 100 in, 100 out in order:
      // drains at S2, S4, …, S10; the first three keep 6 slabs on the node, the rest are discarded.
      const r = await check(['ramp:peak=100,order=fifo'], { bucket: '4k' });
      expect(r.results[0]?.peakSlabs.live).toBe(13);
      expect(r.results[0]?.final.live).toEqual({ slabs: 9, partial: 6, cpu_slabs: 3, slabs_cpu_partial: 2 });
    },
    LONG,
  );

  it(
    'writes the checkpoints CSV atomically, one row per checkpoint (--every 7: 28 and the last)',
    async () => {
      const d = tmp();
      const out = join(d, 'out');
      const r = await check(['ramp:peak=100,order=fifo'], { every: 7, outDir: out });
      expect(r.checkpoints).toBe(29);
      const rows = readFileSync(join(out, 'checkpoints.csv'), 'utf8').trim().split('\n');
      expect(rows[0]).toMatch(/^workload,event,kind,id,cpu,slabs_live,slabs_model,/);
      expect(rows).toHaveLength(30);
      expect(rows[1]).toMatch(/^"ramp:peak=100,order=fifo",7,alloc,6,0,1,1,/);
      expect(rows[29]).toMatch(/,200,end,,,7,7,3,3,4,4,3,3,1$/);
      expect(readdirSync(out)).toEqual(['checkpoints.csv']);
      await expect(check(['hold:tables=1'], { outDir: out })).rejects.toThrow(/checkpoints.csv exists/);
    },
    LONG,
  );

  it(
    'reports the first divergence of a deliberately wrong model, side by side',
    async () => {
      // cpu_partial 6 gives the model ceil(12 / 16) = 1 slab per CPU list: the first free of S1
      // (event 1017, after 1000 allocations and S0's 16 frees) drains S0 to the node; the kernel
      // keeps both on CPU 0's list.
      const r = await check(['ramp:peak=1000,order=fifo'], { modelCpuPartial: 6 });
      const d = r.firstDivergence;
      expect(d).toMatchObject({
        event: 1017,
        kind: 'free',
        id: 16,
        cpu: 0,
        fields: ['partial', 'cpu_slabs', 'slabs_cpu_partial'],
      });
      expect(d?.live).toMatchObject({ slabs: 63, partial: 0, cpu_slabs: 3, slabs_cpu_partial: 2, by_cpu: [2, 0] });
      expect(d?.model).toMatchObject({ slabs: 63, partial: 1, cpu_slabs: 2, slabs_cpu_partial: 1, by_cpu: [1, 0] });
      expect(r.matches).toBeLessThan(r.checkpoints);
      expect(kernelClean()).toEqual({ objects: 0, queues: 0 });
    },
    LONG,
  );

  it(
    'a model that throws stops its workload before the failing event, and the check after it',
    async () => {
      // ramp of 1000 allocates its first 1000 events: event 700 is an allocation.
      process.env.L2BENCH_TEST_MODEL_FAULT = 'throw@700';
      try {
        const r = await check(['ramp:peak=1000,order=random', 'hold:tables=10']);
        expect(r.modelError).toMatchObject({ workload: 'ramp:peak=1000,order=random', event: 699, step: 'alloc' });
        expect(r.results).toHaveLength(1);
        expect(r.results[0]).toMatchObject({ events: 699, checkpoints: 699, matches: 699, firstDivergence: null });
      } finally {
        delete process.env.L2BENCH_TEST_MODEL_FAULT;
      }
      expect(kernelClean()).toEqual({ objects: 0, queues: 0 });
    },
    LONG,
  );

  it(
    'cleans up after an error in the middle of a run: every message received, every queue removed',
    async () => {
      await expect(check(['ramp:peak=1000,order=random'], { injectFaultAt: 700 })).rejects.toThrow(
        /injected fault after 700 events/,
      );
      expect(kernelClean()).toEqual({ objects: 0, queues: 0 });
      // And the next check starts from scratch.
      const r = await check(['ramp:peak=100,order=fifo']);
      expect(r.firstDivergence).toBeNull();
    },
    LONG,
  );
});

describe('kernel check refuses bad input before touching the kernel', () => {
  const refused = (o: Partial<CheckOptions>, message: RegExp) =>
    expect(runKernelCheck({ workloads: ['hold:tables=1'], ...o })).rejects.toThrow(message);

  it('refuses without a workload, with an unknown one, or a bad parameter', async () => {
    await expect(runKernelCheck({ workloads: [] })).rejects.toBeInstanceOf(InputError);
    await refused({ workloads: ['nope'] }, /unknown workload 'nope'/);
    await refused({ workloads: ['hold:tables=0'] }, /out of range/);
  });

  it('refuses a bucket that is not a msg_msg bucket, every 0, maxEvents 0, cpus 0, naming the option', async () => {
    await refused({ bucket: '3k' as never }, /^bucket 3k: not a msg_msg bucket/);
    await refused({ every: 0 }, /^every 0: /);
    await refused({ maxEvents: 0 }, /^maxEvents 0: /);
    await refused({ cpus: 0 }, /^cpus 0: /);
  });

  it('leaves no file behind when refused', async () => {
    const d = mkdtempSync(join(tmpdir(), 'l2bench-kernel-'));
    try {
      await expect(runKernelCheck({ workloads: ['nope'], outDir: join(d, 'x') })).rejects.toThrow();
      expect(existsSync(join(d, 'x'))).toBe(false);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
