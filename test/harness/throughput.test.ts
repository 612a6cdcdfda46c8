import { describe, expect, it } from 'vitest';
import { planBenchmark } from '../../harness/benchmark.ts';
import { Machines, measureCell } from '../../harness/cell.ts';
import { summarizeTiming, timeRound } from '../../harness/throughput.ts';
import type { EventChunk } from '../../workloads/events.ts';
import { holdEvents, shareEvents } from '../../workloads/held-events.ts';

describe('timing columns from rounds of samples', () => {
  it('ops_per_sec is the events over the mean sample; rme is Student’s 95 % margin of that mean', () => {
    const rounds = [
      [1.0, 1.2, 1.1],
      [0.9, 1.3],
      [1.0, 1.0, 1.5],
    ];
    const t = summarizeTiming(5000, rounds);
    const all = rounds.flat();
    const mean = all.reduce((s, x) => s + x, 0) / all.length;
    expect(t.ops_per_sec).toBe(5000 / (mean / 1000));
    expect(t.samples).toEqual(all);
    expect(t.replay_samples).toBe(8);
    // sd of the 8 samples, t(0.975, 7) = 2.3646242510102993 (scipy t.ppf).
    const sd = Math.sqrt(all.reduce((s, x) => s + (x - mean) ** 2, 0) / 7);
    expect(t.ops_per_sec_rme).toBeCloseTo(((2.3646242510102993 * sd) / Math.sqrt(8) / mean) * 100, 8);
    expect(t.replay_median_ms).toBe(1.05);
    expect(t.rounds).toEqual([1.0, 0.9, 1.0]);
  });

  it('refuses no samples at all', () => {
    expect(() => summarizeTiming(10, [[], []])).toThrow(RangeError);
  });
});

describe('timeRound', () => {
  it('times replays on a reused machine and leaves it as a fresh one for the next cell', async () => {
    const plan = await planBenchmark({
      workloads: ['churn:live=50,ops=500', 'hold:tables=1'],
      strategies: ['slab-dma32', 'genalloc'],
      machine: 'dram=64M,base=0',
    });
    const machines = new Machines();
    for (const cell of plan.cells) {
      const machine = machines.get(cell.machine);
      const events = holdEvents(cell.workload) as EventChunk;
      const samples = timeRound(cell, events, machine, 5);
      expect(samples.length).toBeGreaterThanOrEqual(3);
      for (const s of samples) expect(s).toBeGreaterThan(0);
      // Timing does not disturb the exact metrics measured on the same machine next.
      expect(measureCell(cell, machine)).toEqual(measureCell(cell));
    }
  });
});

describe('shared event streams', () => {
  it('shareEvents holds the same events in one SharedArrayBuffer, each array aligned, for any length', () => {
    // Odd lengths put the cpu and id arrays at unaligned offsets if the layout is wrong (a RangeError).
    for (const n of [0, 1, 2, 3, 5, 1001]) {
      const events: EventChunk = {
        length: n,
        kind: Uint8Array.from({ length: n }, (_, i) => i % 2),
        id: Int32Array.from({ length: n }, (_, i) => i * 7 - 3),
        cpu: Uint16Array.from({ length: n }, (_, i) => (i * 13) % 65536),
        ids: n * 7,
      };
      const shared = shareEvents(events);
      expect(shared.kind.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(shared.id.buffer).toBe(shared.kind.buffer);
      expect([...shared.kind]).toEqual([...events.kind]);
      expect([...shared.id]).toEqual([...events.id]);
      expect([...shared.cpu]).toEqual([...events.cpu]);
      expect([shared.length, shared.ids]).toEqual([n, n * 7]);
    }
  });
});
