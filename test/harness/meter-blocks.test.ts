import { describe, expect, it } from 'vitest';
import { parseParams } from '../../core/params.ts';
import { PAGE_SIZE } from '../../core/sizes.ts';
import { type Cell, instantiate } from '../../harness/cell.ts';
import { findStrategy } from '../../strategies/index.ts';
import { DEFAULT_MACHINE } from '../../strategies/machine/machine.ts';
import { ALLOC, type EventChunk } from '../../workloads/events.ts';
import { holdEvents } from '../../workloads/held-events.ts';
import { workload } from '../workload-helpers.ts';

const events = holdEvents(workload('churn', { live: '300', ops: '50000', cpus: 'spread' })) as EventChunk;

function fullPageCell(): Cell {
  const s = findStrategy('full-page');
  if (!s) throw new Error('full-page');
  return {
    strategy: s,
    strategyParams: parseParams(s.name, s.params, {}),
    strategyLabel: 'full-page',
    workload: workload('churn'),
    machine: DEFAULT_MACHINE,
    kernel: '5.1',
    seed: 1,
    check: false,
    timed: false,
  };
}

/** The stream as chunks of the given lengths, then one chunk of the rest. */
function* sliced(lengths: readonly number[]): Generator<EventChunk> {
  let at = 0;
  for (const n of [...lengths, events.length]) {
    const end = Math.min(at + n, events.length);
    if (end > at) {
      yield {
        length: end - at,
        kind: events.kind.subarray(at, end),
        id: events.id.subarray(at, end),
        cpu: events.cpu.subarray(at, end),
        ids: events.ids,
      };
    }
    at = end;
  }
}

function replayed(chunks: Iterable<EventChunk>) {
  const { meter } = instantiate(fullPageCell());
  for (const chunk of chunks) meter.replay(chunk);
  return { values: meter.exactValues(), work: meter.work(), series: meter.series.columns() };
}

describe('Meter blocks', () => {
  it('meters the same stream to the same record however it is cut into chunks (short blocks first, then blocks across chunks)', () => {
    const whole = replayed([events]);
    // full-page holds one page per live table: footprint after each event is the live count, worked out here.
    let live = 0;
    let peak = 0;
    let sum = 0;
    for (let i = 0; i < events.length; i++) {
      live += events.kind[i] === ALLOC ? 1 : -1;
      peak = Math.max(peak, live);
      sum += live;
    }
    expect(whole.values.events).toBe(events.length);
    expect(whole.values.peak_footprint_bytes).toBe(peak * PAGE_SIZE);
    expect(whole.values.mean_footprint_bytes).toBe((sum / events.length) * PAGE_SIZE);
    for (const lengths of [
      [1],
      [255, 1, 4096],
      [256, 4095, 4097, 3],
      [5000, 5000],
      [1, 1, 1, 8191],
      [32767, 2, 4095, 1],
    ]) {
      expect(replayed(sliced(lengths))).toEqual(whole);
    }
  });
});
