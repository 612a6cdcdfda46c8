import { ALLOC, FREE } from '../events.ts';
import { IdPool } from '../ids.ts';
import { detach } from './text.ts';

/** Parses one meaningful line into tracker calls; start is the index of its first non-blank character. */
export type LineParser = (line: string, start: number, lineNo: number) => void;

/** A number per table id, growing with the largest id (so with the peak of live tables). */
class Slots {
  #a = new Float64Array(64);

  set(i: number, v: number): void {
    if (i >= this.#a.length) {
      const grown = new Float64Array(Math.max(this.#a.length * 2, i + 1));
      grown.set(this.#a);
      this.#a = grown;
    }
    this.#a[i] = v;
  }

  get(i: number): number {
    return this.#a[i] ?? 0;
  }
}

/**
 * The live tables of a trace, keyed by the trace's pointer or ID (only live keys are held), and the
 * events of the line being parsed: at most two, a missed free then an allocation. Table ids come
 * from an IdPool, so they are recycled and the largest stays near the peak of live tables.
 */
export class Tracker {
  readonly kind = new Uint8Array(2);
  readonly id = new Int32Array(2);
  readonly cpu = new Uint16Array(2);
  pending = 0;

  events = 0;
  allocations = 0;
  frees = 0;
  skippedFrees = 0;
  reallocWithoutFree = 0;
  peakLive = 0;

  readonly #live = new Map<string, number>();
  readonly #ids = new IdPool();
  readonly #line = new Slots();
  /** Event index of each live table's allocation, kept only when lifetimes are wanted. */
  readonly #born: Slots | undefined;

  /** onLifetime receives, for each freed table, the events from its allocation to its free. */
  constructor(readonly onLifetime?: (events: number) => void) {
    this.#born = onLifetime ? new Slots() : undefined;
  }

  get live(): number {
    return this.#live.size;
  }

  /** Allocate a table for key; false, doing nothing, when key is live already. */
  alloc(key: string, cpu: number, line: number): boolean {
    // Detach first, so the key's hash is computed once, for both lookups.
    const own = detach(key);
    if (this.#live.has(own)) return false;
    const id = this.#ids.take();
    this.#live.set(own, id);
    this.#line.set(id, line);
    this.#born?.set(id, this.events);
    this.allocations++;
    if (this.#live.size > this.peakLive) this.peakLive = this.#live.size;
    this.#emit(ALLOC, id, cpu);
    return true;
  }

  /** Free key's table; false, doing nothing, when key is not live. */
  free(key: string, cpu: number): boolean {
    if (!this.#release(key, cpu)) return false;
    this.frees++;
    return true;
  }

  /** Key was allocated again while live: its free is missing from the trace, so free its table now. */
  forget(key: string, cpu: number): boolean {
    if (!this.#release(key, cpu)) return false;
    this.reallocWithoutFree++;
    return true;
  }

  /** A free that frees no table. */
  skip(): void {
    this.skippedFrees++;
  }

  /** The line that allocated live key's table (0 if key is not live). */
  allocatedOn(key: string): number {
    const id = this.#live.get(key);
    return id === undefined ? 0 : this.#line.get(id);
  }

  #release(key: string, cpu: number): boolean {
    const id = this.#live.get(key);
    if (id === undefined) return false;
    this.#live.delete(key);
    if (this.#born) this.onLifetime?.(this.events - this.#born.get(id));
    this.#emit(FREE, id, cpu);
    this.#ids.give(id);
    return true;
  }

  #emit(kind: number, id: number, cpu: number): void {
    const i = this.pending++;
    this.kind[i] = kind;
    this.id[i] = id;
    this.cpu[i] = cpu;
    this.events++;
  }
}
