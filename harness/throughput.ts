import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  mean,
  medianAbsoluteDeviation,
  quantileSorted,
  sampleStandardDeviation,
  studentTQuantile,
} from '../results/statistics.ts';
import type { Machine } from '../strategies/machine/machine.ts';
import type { TableAllocator } from '../strategies/types.ts';
import type { EventChunk } from '../workloads/events.ts';
import { ALLOC } from '../workloads/events.ts';
import { type Cell, instantiateTables } from './cell.ts';

/** Samples per round at least, whatever the budget: a median of three survives one outlier. */
const MIN_ROUND_SAMPLES = 3;
/** Samples per round at most: enough for the statistics, small enough for results.json. */
const MAX_ROUND_SAMPLES = 200;
/** A sample times replays adding up to about this (ms): long against the timer, short against a time slice. */
const SAMPLE_MS = 0.25;
/** Share of a round's budget spent warming up at least, and at most (unless the code is still cold). */
const WARMUP_SHARE = 0.25;
const MAX_WARMUP_SHARE = 0.5;
/** Warm-up of a strategy's first cell in an isolate stops here (ms, of CPU and of wall time) even if replays are still getting faster. */
const WARMUP_CAP_MS = 100;
/** Warm: the last three replays are no faster than this share of the fastest before them. */
const WARM_RATIO = 0.9;

export interface Throughput {
  ops_per_sec: number;
  ops_per_sec_rme: number;
  replay_median_ms: number;
  replay_mad_ms: number;
  replay_p99_ms: number;
  replay_samples: number;
  /** Every sample: the mean time of one replay over the replays of the sample, in ms; rounds in order. */
  samples: number[];
  /**
   * The fastest sample of each round, in ms: the unit of replication between isolates. Preemption,
   * interrupts and a busy machine only ever add time, so the fastest sample is the least disturbed
   * figure of what the code costs in that isolate.
   */
  rounds: number[];
}

type Replay = (tables: TableAllocator, ev: EventChunk, addr: Float64Array) => number;

/**
 * The replay loop being timed: every event into the strategy, with no metering. Its source is
 * compiled afresh for each cell (`freshReplay`), so its `alloc`/`free` call sites only ever see one
 * strategy class: a loop shared by every strategy goes megamorphic after the first few and makes
 * whichever strategy is timed later look slower. Returns a checksum of the addresses.
 */
const REPLAY_BODY = `
  let check = 0;
  const kind = ev.kind, id = ev.id, cpu = ev.cpu, length = ev.length;
  for (let i = 0; i < length; i++) {
    const t = id[i];
    if (kind[i] === ALLOC) {
      const a = tables.alloc(cpu[i]);
      addr[t] = a;
      check += a;
    } else {
      const a = addr[t];
      if (a >= 0) tables.free(a, cpu[i]);
      addr[t] = -1;
    }
  }
  return check;`;

function freshReplay(): Replay {
  // A new Function is the point: new source text is compiled anew, with call sites of its own.
  return new Function('ALLOC', `return function replay(tables, ev, addr) {${REPLAY_BODY}\n};`)(ALLOC) as Replay;
}

/**
 * Where replay checksums go: an exported sum the JIT cannot prove unused.
 * @public
 */
export let sink = 0;

type Gc = (options?: { type: 'minor' | 'major' }) => void;
let gc: Gc | null | undefined;

/**
 * Empty the young generation (a scavenge, about 0.3 ms), so that the samples start with room to
 * allocate: V8's gc() is exposed through the flag when bin/l2bench.js did not already. A full
 * collection costs 15–20 ms and the old generation barely grows during replays, so none is asked.
 */
function collectYoungGarbage(): void {
  if (gc === undefined) {
    gc = (globalThis as { gc?: Gc }).gc ?? null;
    if (!gc) {
      try {
        setFlagsFromString('--expose-gc');
        gc = runInNewContext('gc') as Gc;
      } catch {
        gc = null;
      }
    }
  }
  gc?.({ type: 'minor' });
}

/** Strategies whose code this isolate has run in a timed round: warm. */
const warmed = new WeakSet<object>();

/**
 * Time one round of a cell in this thread, within `budgetMs` of wall clock: warm up, then take
 * samples. Every replay starts from `machine` reset to its boot state and a fresh strategy
 * instance, made outside the timed part; each replay is timed on its own and a sample is the mean
 * of k replays, k chosen so that a sample times about SAMPLE_MS of replays. Garbage is collected
 * once before the cell, never between samples. Returns the samples, in ms per replay.
 */
export function timeRound(cell: Cell, events: EventChunk, machine: Machine, budgetMs: number): number[] {
  const cold = !warmed.has(cell.strategy);
  warmed.add(cell.strategy);
  const replay = freshReplay();
  const addr = new Float64Array(Math.max(1, events.ids));
  const plain = { ...cell, check: false };
  const once = (): number => {
    const { tables } = instantiateTables(plain, machine);
    addr.fill(-1);
    const t0 = performance.now();
    sink += replay(tables, events, addr);
    return performance.now() - t0;
  };
  collectYoungGarbage();
  const start = performance.now();
  const elapsed = () => performance.now() - start;
  // Warm up until the JIT is done: the fastest of the last three replays no faster than the
  // fastest before them (by 10 %), and a share of the budget spent. A round runs in a fresh isolate,
  // so the first cell of each strategy starts cold: its warm-up may exceed the budget, up to a cap;
  // later cells run warm code, and warm up within the budget.
  const times: number[] = [];
  const ends: number[] = [];
  const minOf = (from: number, to: number) => Math.min(...times.slice(from, to));
  const warm = (): boolean => {
    const n = times.length;
    return n >= 4 && minOf(n - 3, n) >= WARM_RATIO * minOf(0, n - 3) && elapsed() >= budgetMs * WARMUP_SHARE;
  };
  // The cap counts CPU time as well as wall time: on a busy machine the JIT's compiler threads
  // wait too, and a wall-clock cap would end the warm-up of code still being compiled.
  const cap = cold ? Math.max(budgetMs * MAX_WARMUP_SHARE, WARMUP_CAP_MS) : budgetMs * MAX_WARMUP_SHARE;
  const cpu0 = process.cpuUsage();
  const cpuElapsed = () => {
    const used = process.cpuUsage(cpu0);
    return (used.user + used.system) / 1000;
  };
  do {
    times.push(once());
    ends.push(elapsed());
  } while (!warm() && (elapsed() < cap || cpuElapsed() < cap));
  const n = times.length;
  const recent = Math.max(0, n - 3);
  const replayMs = Math.max(minOf(recent, n), 1e-6);
  // What one replay costs in wall clock now (set-up included), to fit the samples into the budget.
  const wallPerReplay = ((ends[n - 1] as number) - (recent > 0 ? (ends[recent - 1] as number) : 0)) / (n - recent);
  const left = Math.max(0, budgetMs - elapsed());
  let k = Math.max(1, Math.round(SAMPLE_MS / replayMs));
  k = Math.max(1, Math.min(k, Math.floor(left / (MIN_ROUND_SAMPLES * wallPerReplay))));
  const samples: number[] = [];
  const sampleStart = performance.now();
  while (
    samples.length < MIN_ROUND_SAMPLES ||
    (samples.length < MAX_ROUND_SAMPLES && performance.now() - sampleStart < left)
  ) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += once();
    samples.push(sum / k);
  }
  return samples;
}

/**
 * The timing columns of a cell from its rounds of samples (ms per replay). ops_per_sec is the
 * events over the mean sample; the margin of error is Student's at 95 % over all samples.
 */
export function summarizeTiming(events: number, rounds: readonly (readonly number[])[]): Throughput {
  const samples = rounds.flat();
  const n = samples.length;
  if (n === 0) throw new RangeError('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const average = mean(samples);
  const sd = n > 1 ? sampleStandardDeviation(samples) : 0;
  const rme = n > 1 && average > 0 ? ((studentTQuantile(0.975, n - 1) * sd) / Math.sqrt(n) / average) * 100 : 0;
  return {
    ops_per_sec: events / (average / 1000),
    ops_per_sec_rme: rme,
    replay_median_ms: quantileSorted(sorted, 0.5),
    replay_mad_ms: n > 1 ? medianAbsoluteDeviation(samples) : 0,
    replay_p99_ms: quantileSorted(sorted, 0.99),
    replay_samples: n,
    samples,
    rounds: rounds.filter((r) => r.length > 0).map((r) => Math.min(...r)),
  };
}
