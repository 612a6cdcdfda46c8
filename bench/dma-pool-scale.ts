/**
 * `node --import tsx bench/dma-pool-scale.ts [--json] [--ops N] [--rounds R] [--live L] [--strategy S]
 * [--kernel K]`:
 * what one event of dma-pool (or S) costs as the pool grows. For 10^3 to 10^6 live tables, a churn (random frees, one CPU,
 * a coherent IOMMU so that the pool may grow) is replayed with the meter on: the warm-up that
 * allocates the live tables untimed, then N operations timed (CPU time, median of R rounds), under
 * each kernel's model. Issue 13's goal: 10^6 live tables within 2× of 10^3 per event.
 */

import { KERNEL_VERSIONS } from '../core/kernel.ts';
import { parseParams } from '../core/params.ts';
import { type Cell, instantiate } from '../harness/cell.ts';
import { STRATEGIES } from '../strategies/index.ts';
import { DEFAULT_MACHINE } from '../strategies/machine/machine.ts';
import { holdEvents } from '../workloads/held-events.ts';
import { findWorkload } from '../workloads/index.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const flag = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const ops = flag('--ops', 1e6);
const rounds = flag('--rounds', 3);
const strategyAt = args.indexOf('--strategy');
const strategy = STRATEGIES.find((s) => s.name === (strategyAt >= 0 ? args[strategyAt + 1] : 'dma-pool'));
if (!strategy) throw new Error('no such strategy');
// dma-pool on a coherent IOMMU: the atomic pool would refuse this many tables.
const raw: Record<string, string> = strategy.name === 'dma-pool' ? { coherent_pool: '0' } : {};
const kind = findWorkload('churn');
if (!kind) throw new Error('no churn workload');

const rows: {
  strategy: string;
  kernel: string;
  live: number;
  ops: number;
  ns_per_event: number;
  pages_walked_per_event: number;
}[] = [];
const liveAt = args.indexOf('--live');
const sizes = liveAt >= 0 ? [Number(args[liveAt + 1])] : [1e3, 1e4, 1e5, 1e6];
for (const live of sizes) {
  const params = parseParams('churn', kind.params, { live: String(live), ops: String(ops), order: 'random' });
  const workload = kind.create(params, { seed: 1, cpus: 1 });
  const events = holdEvents(workload);
  if (!events) throw new Error('workload too long to buffer');
  const part = (from: number, to: number) => ({
    length: to - from,
    kind: events.kind.subarray(from, to),
    id: events.id.subarray(from, to),
    cpu: events.cpu.subarray(from, to),
    ids: events.ids,
  });
  const warmup = part(0, live);
  const timed = part(live, events.length);
  const kernelAt = args.indexOf('--kernel');
  for (const kernel of KERNEL_VERSIONS.filter((k) => kernelAt < 0 || k === args[kernelAt + 1])) {
    const cell: Cell = {
      strategy,
      strategyParams: parseParams(strategy.name, strategy.params, raw),
      strategyLabel: strategy.name,
      workload,
      machine: { ...DEFAULT_MACHINE, cpus: 1 },
      kernel,
      seed: 1,
      check: false,
      timed: true,
    };
    const times: number[] = [];
    let walked = 0;
    for (let r = 0; r < rounds; r++) {
      const { meter, tables } = instantiate(cell);
      meter.replay(warmup);
      const before = tables.work.pages_walked ?? 0;
      const t0 = process.cpuUsage();
      meter.replay(timed);
      const used = process.cpuUsage(t0);
      times.push(((used.user + used.system) * 1000) / timed.length);
      walked = ((tables.work.pages_walked ?? 0) - before) / timed.length;
    }
    times.sort((a, b) => a - b);
    rows.push({
      strategy: strategy.name,
      kernel,
      live,
      ops: timed.length,
      ns_per_event: Math.round(times[Math.floor(times.length / 2)] as number),
      pages_walked_per_event: +walked.toPrecision(6),
    });
    const row = rows[rows.length - 1];
    if (!json && row) {
      process.stdout.write(
        `${strategy.name} ${kernel.padEnd(4)} ${String(live).padStart(8)} live  ${String(row.ns_per_event).padStart(6)} ns/event (CPU)  ${row.pages_walked_per_event} pages walked/event\n`,
      );
    }
  }
}
if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
