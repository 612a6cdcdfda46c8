import { medianAbsoluteDeviation } from 'simple-statistics';
import { Bench } from 'tinybench';
import { TABLE_SIZE } from '../strategies/machine/constants.ts';
import { Machine } from '../strategies/machine/machine.ts';
import type { TableAllocator } from '../strategies/types.ts';
import { ALLOC } from '../workloads/events.ts';
import { type Cell, instantiate } from './cell.ts';
import type { EventBuffer } from './events-buffer.ts';

export interface ThroughputOptions {
  /** Wall-clock budget per cell in ms, fresh instances included; at least 5 samples are taken. */
  readonly timeMs: number;
}

const MIN_SAMPLES = 5;
const MAX_SAMPLES = 10_000;

export interface Throughput {
  ops_per_sec: number;
  ops_per_sec_rme: number;
  replay_median_ms: number;
  replay_mad_ms: number;
  replay_p99_ms: number;
  replay_samples: number;
  samples: number[];
}

/**
 * Replay every event into a strategy with no metering: the work being timed. Returns a checksum of
 * the addresses so the JIT cannot drop the calls.
 */
function replayBare(tables: TableAllocator, ev: EventBuffer, addr: Float64Array): number {
  let check = 0;
  const { kind, id, cpu, length } = ev;
  for (let i = 0; i < length; i++) {
    const t = id[i] as number;
    if (kind[i] === ALLOC) {
      const a = tables.alloc(cpu[i] as number);
      addr[t] = a;
      check += a;
    } else {
      const a = addr[t] as number;
      if (a >= 0) tables.free(a, cpu[i] as number);
      addr[t] = -1;
    }
  }
  return check / TABLE_SIZE;
}

/**
 * Where replay checksums go: an exported sum the JIT cannot prove unused, so replays are not dropped.
 * @public
 */
export let sink = 0;

/**
 * Time one cell: each sample replays the whole stream on the cell's machine, reset, and a fresh
 * strategy made in beforeEach, outside the timed part, after warmup. tinybench's own budget counts only timed work,
 * so a stream of a few events would need thousands of untimed set-ups: instead one trial replay
 * (set-up included) sizes the number of samples to the wall-clock budget.
 */
export async function timeCell(cell: Cell, events: EventBuffer, opts: ThroughputOptions): Promise<Throughput> {
  let tables: TableAllocator | null = null;
  // One machine for every replay of the cell, reset before each: O(pages touched), not O(DRAM).
  const machine = new Machine(cell.machine);
  const addr = new Float64Array(Math.max(1, events.ids));
  const trialStart = performance.now();
  addr.fill(-1);
  sink += replayBare(instantiate({ ...cell, check: false }, machine).tables, events, addr);
  const trialMs = Math.max(0.01, performance.now() - trialStart);
  const samples = Math.min(MAX_SAMPLES, Math.max(MIN_SAMPLES, Math.floor(opts.timeMs / trialMs)));
  const bench = new Bench({
    time: 0,
    iterations: samples,
    warmup: true,
    warmupTime: 0,
    warmupIterations: Math.min(samples, MIN_SAMPLES),
    retainSamples: true,
    throws: true,
  });
  bench.add(
    cell.strategyLabel,
    () => {
      sink += replayBare(tables as TableAllocator, events, addr);
    },
    {
      beforeEach() {
        addr.fill(-1);
        // No forced GC here: measured, a gc() per sample made replays 4× slower and noisier.
        tables = instantiate({ ...cell, check: false }, machine).tables;
      },
    },
  );
  await bench.run();
  const task = bench.tasks[0];
  const r = task?.result;
  if (!r || (r.state !== 'completed' && r.state !== 'aborted-with-statistics')) {
    throw new Error(`timing ${cell.strategyLabel} on ${cell.workload.spec} failed (${r?.state ?? 'no result'})`);
  }
  const times = [...(r.latency.samples ?? [])];
  return {
    ops_per_sec: events.length / (r.latency.mean / 1000),
    ops_per_sec_rme: r.latency.rme,
    replay_median_ms: r.latency.p50,
    replay_mad_ms: times.length ? medianAbsoluteDeviation(times) : 0,
    replay_p99_ms: r.latency.p99,
    replay_samples: times.length,
    samples: times,
  };
}
