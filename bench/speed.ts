/**
 * `npm run speed [-- --json] [-- --events N]`: replay a churn workload (about 2000 live tables,
 * random frees, one CPU; 10^7 events by default) through each strategy with metering on and the
 * invariant checker off. Reports the median of several replays after a warmup, and the peak RSS.
 */
import { type Cell, instantiate } from '../harness/cell.ts';
import { bufferEvents } from '../harness/events-buffer.ts';
import { STRATEGIES } from '../strategies/index.ts';
import { DEFAULT_MACHINE } from '../strategies/machine/machine.ts';
import { parseParams } from '../strategies/params.ts';
import { findWorkload } from '../workloads/index.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const eventsArg = args.indexOf('--events');
const events = eventsArg >= 0 ? Number(args[eventsArg + 1]) : 1e7;
const only = args.indexOf('--strategy') >= 0 ? args[args.indexOf('--strategy') + 1] : undefined;
const REPEATS = 5;

const live = 2000;
const kind = findWorkload('churn');
if (!kind) throw new Error('no churn workload');
const params = parseParams('churn', kind.params, { live: String(live), ops: String(events - live), order: 'random' });
const workload = kind.create(params, { seed: 1, cpus: 1 });
const buffered = bufferEvents(workload, events + 1);
if (!buffered) throw new Error('workload too long to buffer');
const chunk = { length: buffered.length, kind: buffered.kind, id: buffered.id, cpu: buffered.cpu };

const rows: { strategy: string; events: number; events_per_sec: number; peak_rss_bytes: number }[] = [];
for (const strategy of STRATEGIES.filter((s) => !only || s.name === only)) {
  // dma-pool on a coherent IOMMU: the atomic pool would refuse 2000 live tables.
  const raw: Record<string, string> = strategy.name === 'dma-pool' ? { coherent_pool: '0' } : {};
  const cell: Cell = {
    strategy,
    strategyParams: parseParams(strategy.name, strategy.params, raw),
    strategyLabel: strategy.name,
    workload,
    machine: { ...DEFAULT_MACHINE, cpus: 1 },
    kernel: '5.1',
    seed: 1,
    check: false,
    timed: true,
  };
  const times: number[] = [];
  for (let r = 0; r < REPEATS + 1; r++) {
    const { meter } = instantiate(cell);
    const t0 = performance.now();
    meter.replay(chunk);
    const ms = performance.now() - t0;
    if (meter.events !== buffered.length) throw new Error('replay lost events');
    if (r > 0) times.push(ms); // the first replay is the warmup
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] as number;
  rows.push({
    strategy: strategy.name,
    events: buffered.length,
    events_per_sec: Math.round(buffered.length / (median / 1000)),
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
  });
}

if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
else {
  for (const r of rows) {
    process.stdout.write(
      `${r.strategy.padEnd(12)} ${(r.events_per_sec / 1e6).toFixed(1).padStart(6)} M events/s   peak RSS ${(r.peak_rss_bytes / 2 ** 20).toFixed(0)} MiB\n`,
    );
  }
}
