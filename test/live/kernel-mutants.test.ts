import { appendFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeCacheLockWaiting } from '../../kernel/live/cache-lock.ts';
import { type CheckOptions, runKernelCheck } from '../../kernel/live/check.ts';
import type { VariantDivergence } from '../../kernel/live/check-types.ts';
import type { HeldLock } from '../../os/lock.ts';
import { SLUB_MUTANTS } from '../mutants/slub-mutants.ts';
import { kernelClean, liveTitle, oracle } from './oracle.ts';

// The live check is only as good as its workloads: each mutant of the SLUB 6.18 model (one rule
// changed, test/mutants/slub-mutants.ts) must differ from the kernel's own counters somewhere, while
// the model agrees everywhere. The workloads: the default suite's synthetic ones and
// churn:live=256; then the cases that reach what they leave untested: a CPU that frees before it
// ever allocates, cross-CPU frees and refills after a full drain (handoff), slabs emptied one by one
// (ramp fifo), and flush_all and kmem_cache_shrink between events, which call flush_cpu_slab,
// deactivate_slab and __kmem_cache_do_shrink.

const o = oracle('1k');
const LONG = 900_000;

type Run = Pick<CheckOptions, 'workloads' | 'flushEvery' | 'shrinkEvery'>;
const BUILT_IN: Run[] = [
  {
    workloads: [
      'churn:live=64,ops=20000,order=random,cpus=spread',
      'churn:live=2000,ops=50000,order=random,cpus=spread',
      'churn:live=2000,ops=50000,order=fifo',
      'sawtooth:peak=512,cycles=8,order=random,cpus=spread',
      'frag-adversary:tables=4096,keep=32',
      'worst-case',
      'churn:live=256',
    ],
  },
];
const ADDED: Run[] = [
  {
    workloads: [
      'handoff:tables=300,rounds=4',
      'handoff:tables=300,rounds=4,order=random',
      'handoff:tables=1000,rounds=3',
    ],
  },
  { workloads: ['ramp:peak=300,order=random', 'churn:live=300,ops=3000'], flushEvery: 37 },
  { workloads: ['churn:live=300,ops=3000'], shrinkEvery: 97 },
  // A flush once the active slab is the last one with live tables (ramp of 100: 7 slabs), and one
  // after everything is freed (ramp of 200: the active slab empty, 5 slabs on the node).
  { workloads: ['ramp:peak=100,order=fifo'], flushEvery: 196 },
  { workloads: ['ramp:peak=200,order=fifo'], flushEvery: 400 },
];

const label = (r: Run, workload: string) =>
  `${workload}${r.flushEvery ? ` flush/${r.flushEvery}` : ''}${r.shrinkEvery ? ` shrink/${r.shrinkEvery}` : ''}`;

/** Each mutant, replayed in the check's model thread (slub-mutant-variants.ts). */
const VARIANTS = new URL('./slub-mutant-variants.ts', import.meta.url).href;

describe.skipIf(!o.usable)(liveTitle('mutants of the SLUB 6.18 model against the live msg_msg-1k', o), () => {
  let lock: HeldLock;
  beforeAll(async () => {
    lock = await takeCacheLockWaiting(LONG);
  }, LONG);
  afterAll(() => lock?.release());

  it(
    'the model agrees at every checkpoint, and every mutant differs from the kernel on some workload',
    async () => {
      /** mutant → workload label → where it first differed. */
      const kills = new Map<string, Map<string, VariantDivergence>>(SLUB_MUTANTS.map((m) => [m.name, new Map()]));
      const labels: string[] = [];
      const builtIn = new Set<string>();
      let checkpoints = 0;
      for (const run of [...BUILT_IN, ...ADDED]) {
        const r = await runKernelCheck({ ...run, variantsModule: VARIANTS, lock });
        expect(r.firstDivergence, run.workloads.join(' ')).toBeNull();
        expect(r.matches).toBe(r.checkpoints);
        checkpoints += r.checkpoints;
        for (const w of r.results) {
          labels.push(label(run, w.workload));
          if (BUILT_IN.includes(run)) builtIn.add(label(run, w.workload));
          for (const v of w.variants) if (v.divergence) kills.get(v.name)?.set(label(run, w.workload), v.divergence);
        }
      }
      const table = SLUB_MUTANTS.map((m) => {
        const k = kills.get(m.name) as Map<string, VariantDivergence>;
        const first = labels.find((l) => k.has(l));
        const d = first ? k.get(first) : undefined;
        return {
          mutant: m.name,
          first: d ? `${first} after event ${d.event} (${d.step}; ${d.error ?? d.fields.join(', ')})` : 'SURVIVED',
          builtIn: [...k.keys()].filter((l) => builtIn.has(l)).length,
          added: [...k.keys()].filter((l) => !builtIn.has(l)).length,
        };
      });
      console.info(
        `mutation test of the live check: ${checkpoints} checkpoints agree; mutants killed (first workload; built-in / added workloads that kill it):\n${table
          .map((t) => `  ${t.mutant.padEnd(46)} ${t.first}; ${t.builtIn} / ${t.added}`)
          .join('\n')}`,
      );
      // CI prints what was checked against what (.ci/run sets the file).
      if (process.env.L2BENCH_CHECK_SUMMARY) {
        appendFileSync(
          process.env.L2BENCH_CHECK_SUMMARY,
          `${JSON.stringify({ check: 'live', checkpoints, workloads: labels.length, mutants: table.length, killed: table.filter((t) => t.first !== 'SURVIVED').length })}\n`,
        );
      }
      expect(table.filter((t) => t.first === 'SURVIVED').map((t) => t.mutant)).toEqual([]);
      // The built-in workloads alone leave the flush and shrink mutants alive: no built-in check calls them.
      expect(table.filter((t) => t.builtIn === 0).map((t) => t.mutant)).toEqual(
        SLUB_MUTANTS.filter((m) => m.flushOrShrink).map((m) => m.name),
      );
      expect(kernelClean()).toEqual({ objects: 0, queues: 0 });
    },
    LONG,
  );
});
