import { describe, expect, it } from 'vitest';
import { ALLOC, CHUNK, ChunkWriter, type EventChunk, FREE, type Workload } from '../../workloads/events.ts';
import { holdEvents, MAX_HELD_EVENTS } from '../../workloads/held-events.ts';

/** A workload made of the given chunks, as a producer would hand them out. */
function workloadOf(chunks: readonly EventChunk[]): Workload {
  return { spec: 'test', kind: 'test', category: 'synthetic', params: {}, chunks: () => chunks };
}

const chunk = (events: readonly [number, number, number][], ids: number): EventChunk => ({
  length: events.length,
  kind: Uint8Array.from(events, (e) => e[0]),
  id: Int32Array.from(events, (e) => e[1]),
  cpu: Uint16Array.from(events, (e) => e[2]),
  ids,
});

describe('one event buffer: a whole stream held as one chunk', () => {
  it('holds every event of every chunk, in order, with the largest bound on the ids', () => {
    const a = chunk(
      [
        [ALLOC, 0, 1],
        [ALLOC, 5, 0],
      ],
      6,
    );
    const b = chunk([[FREE, 5, 3]], 9);
    const held = holdEvents(workloadOf([a, b])) as EventChunk;
    expect(held.length).toBe(3);
    expect([...held.kind]).toEqual([ALLOC, ALLOC, FREE]);
    expect([...held.id]).toEqual([0, 5, 5]);
    expect([...held.cpu]).toEqual([1, 0, 3]);
    expect(held.ids).toBe(9);
  });

  it('grows past one chunk: 3 chunks and a half of events come back whole', () => {
    const n = 3 * CHUNK + CHUNK / 2;
    const w = new ChunkWriter();
    for (let i = 0; i < n; i++) w.push(i % 2, i % 1000, i % 7);
    const all = w.take();
    const held = holdEvents(workloadOf([all, all])) as EventChunk;
    expect(held.length).toBe(2 * n);
    expect(held.id[n + 1234]).toBe(1234 % 1000);
    expect(held.cpu[2 * n - 1]).toBe((n - 1) % 7);
    expect(held.ids).toBe(1000);
  });

  it('holds every event whatever count the workload announces (sized for it, grown past it)', () => {
    const n = 2 * CHUNK + 17;
    const w = new ChunkWriter();
    for (let i = 0; i < n; i++) w.push(i % 2, i, i % 3);
    const all = w.take();
    for (const events of [0, 1, n, n + 5, MAX_HELD_EVENTS + 1]) {
      const held = holdEvents({ ...workloadOf([all]), events }) as EventChunk;
      expect(held.length).toBe(n);
      expect(held.id[n - 1]).toBe(n - 1);
      expect(held.cpu[n - 1]).toBe((n - 1) % 3);
    }
  });

  it('holds nothing of a stream longer than MAX_HELD_EVENTS (null: it is generated again where needed)', () => {
    const long: EventChunk = { ...chunk([[ALLOC, 0, 0]], 1), length: MAX_HELD_EVENTS + 1 };
    expect(holdEvents(workloadOf([chunk([[ALLOC, 0, 0]], 1), long]))).toBeNull();
  });
});
