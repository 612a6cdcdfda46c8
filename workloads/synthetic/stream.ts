import { ALLOC, ChunkWriter, type EventChunk, FREE } from '../events.ts';
import { IdPool } from '../ids.ts';
import { type FreeOrder, LiveSet } from '../live-set.ts';
import { type Rng, seeded } from '../random.ts';

/**
 * The bookkeeping every synthetic generator shares: ids, the live set, the seeded RNG and the CPU
 * of each event. With `spread`, allocations go round-robin over the CPUs and frees round-robin
 * too, on their own counter, so a table is often freed on another CPU than the one that
 * allocated it (as an IOMMU unmap from interrupt context would).
 */
export class Stream {
  readonly live = new LiveSet();
  readonly rng: Rng;
  readonly #writer = new ChunkWriter();
  readonly #ids = new IdPool();
  readonly #cpus: number;
  #allocs = 0;
  #frees = 0;

  constructor(seed: number, cpus: number, spread: boolean) {
    this.rng = seeded(seed);
    this.#cpus = spread ? cpus : 1;
  }

  /** Allocate a new table; true when a chunk is full and must be yielded with take(). */
  alloc(): boolean {
    const id = this.#ids.take();
    this.live.add(id);
    return this.#writer.push(ALLOC, id, this.#allocs++ % this.#cpus);
  }

  /** Free a live table chosen by `order`; true when a chunk is full. */
  free(order: FreeOrder): boolean {
    const id = this.live.remove(order, this.rng);
    this.#ids.give(id);
    return this.#writer.push(FREE, id, this.#frees++ % this.#cpus);
  }

  /** Allocate a new table on a given CPU; true when a chunk is full. */
  allocOn(cpu: number): boolean {
    const id = this.#ids.take();
    this.live.add(id);
    return this.#writer.push(ALLOC, id, cpu);
  }

  /** Free a live table chosen by `order` on a given CPU; true when a chunk is full. */
  freeOn(order: FreeOrder, cpu: number): boolean {
    const id = this.live.remove(order, this.rng);
    this.#ids.give(id);
    return this.#writer.push(FREE, id, cpu);
  }

  /** Free a table by id, outside the live set (for patterns that free by position); true when a chunk is full. */
  freeId(id: number): boolean {
    this.#ids.give(id);
    return this.#writer.push(FREE, id, this.#frees++ % this.#cpus);
  }

  take(): EventChunk {
    return this.#writer.take();
  }

  /** The last, partly filled chunk, if any. */
  *rest(): Iterable<EventChunk> {
    if (this.#writer.pending > 0) yield this.#writer.take();
  }
}
