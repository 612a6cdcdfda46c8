import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GUEST_CPUS, runGuest } from '../../kernel/guest/check.ts';
import { compareStrategy } from '../../kernel/guest/compare.ts';
import { GUEST_STRATEGIES } from '../../kernel/guest/protocol.ts';
import { LabInterrupted } from '../../kernel/lab/errors.ts';
import { labInfo } from '../../kernel/lab/info.ts';
import { takeCacheLockWaiting } from '../../kernel/live/cache-lock.ts';
import { l2bench } from '../cli.ts';
import { guestMutants } from '../mutants/guest-mutants.ts';

// The 6.1 models against the kernel's own allocators in a Linux 6.1 guest (kernel/guest-module/),
// event by event, and the mutants that must differ from them. Needs the lab (l2bench lab prepare).

const lab = labInfo();
const ready = lab.ready && lab.modulesReady;
const reason = ready ? '' : ` (skipped: the guest lab is not ready: ${lab.problems.join('; ') || 'not prepared'})`;
const LONG = 1_200_000;

const WORKLOADS = [
  'ramp:peak=1000,order=fifo',
  'churn:live=64,ops=20000,order=random,cpus=spread',
  'handoff:tables=300,rounds=4',
  'sawtooth:peak=512,cycles=8,order=random,cpus=spread',
  'frag-adversary:tables=4096,keep=32',
  'worst-case',
  // Tables freed in bursts leave holes of several sizes: the one that tells genalloc's first fit from best fit.
  'iommu:scenario=chromebook-day',
];
/** Events of each workload, in closed form: 2N, L + N, 2NR, 2NK, N + 2(N − N/keep), 2 × 4096; the IOMMU model's as it runs. */
const EVENTS = [2000, 20064, 2400, 8192, 4096 + 2 * (4096 - 128), 8192, undefined];

describe.skipIf(!ready)(`kernel check --guest 6.1: the kernel's own allocators${reason}`, () => {
  it(
    'the 6.1 models agree with the guest at every event of every strategy, and every mutant differs somewhere',
    async () => {
      const lock = await takeCacheLockWaiting(LONG);
      const run = await runGuest({ workloads: WORKLOADS }).finally(() => lock.release());
      expect(run.guest.release).toMatch(/^6\.1\./);
      for (const [i, w] of run.workloads.entries()) {
        for (const s of GUEST_STRATEGIES) {
          const c = compareStrategy(s, w, run.reports[i]?.get(s.letter) ?? [], { cpus: GUEST_CPUS, kernel: '6.1' });
          expect(c.firstDivergence, `${s.strategy} on ${w.spec}`).toBeNull();
          expect(c.matches).toBe(EVENTS[i] ?? c.events);
        }
      }
      const rows = guestMutants(GUEST_CPUS).map((m) => {
        const s = GUEST_STRATEGIES.find((g) => g.letter === m.letter);
        if (!s) throw new Error(m.letter);
        for (const [i, w] of run.workloads.entries()) {
          const c = compareStrategy(s, w, run.reports[i]?.get(s.letter) ?? [], {
            cpus: GUEST_CPUS,
            kernel: '6.1',
            create: m.create,
          });
          const d = c.firstDivergence;
          if (d) return { name: m.name, first: `${w.spec} after event ${d.event} (${d.kind}; ${d.fields.join(', ')})` };
        }
        return { name: m.name, first: 'SURVIVED' };
      });
      console.info(
        `guest mutation test (${run.wallSeconds.toFixed(0)} s): first divergence of each mutant\n${rows
          .map((r) => `  ${r.name.padEnd(58)} ${r.first}`)
          .join('\n')}`,
      );
      if (process.env.L2BENCH_CHECK_SUMMARY) {
        const events = run.workloads.reduce((n, _, i) => n + (run.reports[i]?.get('s')?.length ?? 0), 0);
        appendFileSync(
          process.env.L2BENCH_CHECK_SUMMARY,
          `${JSON.stringify({ check: 'guest', release: run.guest.release, cpus: run.guest.cpus, strategies: GUEST_STRATEGIES.map((s) => s.strategy), events, workloads: run.workloads.length, mutants: rows.length, killed: rows.filter((r) => r.first !== 'SURVIVED').length })}\n`,
        );
      }
      expect(rows.filter((r) => r.first === 'SURVIVED').map((r) => r.name)).toEqual([]);
    },
    LONG,
  );
});

describe('kernel check --guest: bad input and a lab that is not ready, in one line before any work', () => {
  it('refuses a guest kernel the lab does not run', async () => {
    const r = await l2bench(['kernel', 'check', '--guest', '5.1', '-w', 'hold:tables=1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^l2bench: --guest 5\.1: the guest lab runs Linux 6\.1 only\n$/);
  });

  it('refuses where the lab is not prepared, saying what to run', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'l2bench-nolab-'));
    try {
      const r = await l2bench(['kernel', 'check', '--guest', '6.1', '-w', 'hold:tables=1'], {
        env: { L2BENCH_LAB_DIR: empty },
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /^l2bench: kernel check: the guest lab is not ready: .*run l2bench lab prepare as root\)\n$/,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('refuses a strategy the module does not drive', async () => {
    const r = await l2bench(['kernel', 'check', '--guest', '6.1', '--strategy', 'slab-normal', '-w', 'hold:tables=1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--strategy slab-normal: not a strategy the guest module drives/);
  });
});

describe.skipIf(!ready)(`l2bench kernel check --guest 6.1 --strategy all${reason}`, () => {
  it(
    'stopped while the guest runs: the guest is stopped, its exchange folder removed and the lock given back',
    async () => {
      const mine = () => readdirSync(tmpdir()).filter((f) => f.startsWith('l2bench-guest-check-'));
      const before = mine();
      const abort = new AbortController();
      const lock = await takeCacheLockWaiting(LONG);
      const run = runGuest({
        workloads: ['churn:live=64,ops=200000'],
        signal: abort.signal,
        onBoot: () => setTimeout(() => abort.abort(), 3000),
      });
      await expect(run.finally(() => lock.release())).rejects.toBeInstanceOf(LabInterrupted);
      // No folder of this run is left (another run on the machine may come and go meanwhile).
      expect(mine().filter((f) => !before.includes(f))).toEqual([]);
      // Given back: another test file of the live check may hold it for a while, so wait for it.
      (await takeCacheLockWaiting(LONG)).release();
    },
    LONG,
  );

  it(
    'agrees event by event and says so, in JSON: every strategy, every event of the workload',
    async () => {
      const r = await l2bench(
        ['kernel', 'check', '--guest', '6.1', '--strategy', 'all', '-w', 'handoff:tables=100,rounds=2', '--json'],
        {
          env: { L2BENCH_LOCK_WAIT_MS: String(LONG) },
        },
      );
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.agreement).toBe(true);
      expect(j.guest.release).toMatch(/^6\.1\./);
      expect(j.events_checked).toEqual({
        'slab-dma32': 400,
        genalloc: 400,
        'page-frag': 400,
        'full-page': 400,
        'dma-pool:coherent_pool=0': 400,
      });
      expect(j.first_divergence).toBeNull();
    },
    LONG,
  );
});
