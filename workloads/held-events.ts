import { CHUNK, ChunkWriter, type EventChunk, type Workload } from './events.ts';

/**
 * Events one thread holds in memory at most: 16 M events take 112 MB (7 bytes each). A workload's
 * stream is held so that it is generated once for all its strategies and replayed, untimed
 * generator aside, in the rounds of timing; a longer stream is generated again wherever it is
 * needed, and is not timed. The main thread holds at most this many of every stream it keeps.
 */
export const MAX_HELD_EVENTS = 1 << 24;

/** A workload's whole stream as one chunk in memory, or null when it is longer than MAX_HELD_EVENTS. */
export function holdEvents(workload: Workload): EventChunk | null {
  // Sized once when the count is known (a cached trace): growing by doubling copied and faulted in twice as much.
  const known = workload.events;
  const writer = new ChunkWriter(known !== undefined && known <= MAX_HELD_EVENTS ? Math.max(known, 1) : CHUNK);
  let n = 0;
  for (const chunk of workload.chunks()) {
    n += chunk.length;
    if (n > MAX_HELD_EVENTS) return null;
    writer.append(chunk);
  }
  return writer.take();
}

/**
 * The same events in one SharedArrayBuffer: posted to another thread, they are shared, not copied,
 * so the rounds of timing replay the stream the exact metrics generated instead of generating it again.
 */
export function shareEvents(events: EventChunk): EventChunk {
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
