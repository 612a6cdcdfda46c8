import type { Workload } from '../workloads/events.ts';

/** A workload's events held in memory once, for timed replays that must not time the generator. */
export interface EventBuffer {
  readonly length: number;
  readonly kind: Uint8Array;
  readonly id: Int32Array;
  readonly cpu: Uint16Array;
  /** 1 + the largest table id. */
  readonly ids: number;
}

/** Events kept in memory for timing, at most: 16 M events take 112 MB. Longer streams are timed streaming. */
const MAX_BUFFERED_EVENTS = 1 << 24;

/** Collect the whole stream, or null when it is longer than `max` events. */
export function bufferEvents(workload: Workload, max = MAX_BUFFERED_EVENTS): EventBuffer | null {
  let kind = new Uint8Array(1 << 12);
  let id = new Int32Array(1 << 12);
  let cpu = new Uint16Array(1 << 12);
  let n = 0;
  let ids = 0;
  for (const c of workload.chunks()) {
    if (n + c.length > max) return null;
    while (n + c.length > kind.length) {
      const grow = <T extends Uint8Array | Int32Array | Uint16Array>(a: T, make: (len: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      kind = grow(kind, (l) => new Uint8Array(l));
      id = grow(id, (l) => new Int32Array(l));
      cpu = grow(cpu, (l) => new Uint16Array(l));
    }
    kind.set(c.kind, n);
    id.set(c.id, n);
    cpu.set(c.cpu, n);
    for (let i = 0; i < c.length; i++) if ((c.id[i] as number) >= ids) ids = (c.id[i] as number) + 1;
    n += c.length;
  }
  return { length: n, kind: kind.subarray(0, n), id: id.subarray(0, n), cpu: cpu.subarray(0, n), ids };
}

/**
 * The same events in one SharedArrayBuffer: posted to another thread, they are shared, not copied,
 * so the rounds of timing replay the stream the exact metrics generated instead of generating it again.
 */
export function shareEvents(events: EventBuffer): EventBuffer {
  const n = events.length;
  // kind (1 byte), cpu (2) and id (4) per event, each array aligned to its element size.
  const cpuAt = n + (n & 1);
  const idAt = (cpuAt + 2 * n + 3) & ~3;
  const memory = new SharedArrayBuffer(Math.max(4, idAt + 4 * n));
  const kind = new Uint8Array(memory, 0, n);
  const cpu = new Uint16Array(memory, cpuAt, n);
  const id = new Int32Array(memory, idAt, n);
  kind.set(events.kind);
  cpu.set(events.cpu);
  id.set(events.id);
  return { length: n, kind, id, cpu, ids: events.ids };
}
