import { ALLOC, FREE } from '../events.ts';
import { IdPool } from '../ids.ts';
import { KeyTable } from './keys.ts';
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
 *
 * Keys are strings in a Map, unless byteKeys() was called before the first key: then keys of up to
 * KEY_BYTES bytes of UTF-8 go to a KeyTable, loaded from the read buffer by the native byte parser
 * (allocLoaded, freeLoaded) or from a string (alloc, free), and only longer ones to the Map.
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
  /** Highest trace CPU of the alloc and free events read (before folding onto the simulated CPUs); -1 if none. */
  maxCpu = -1;

  readonly #live = new Map<string, number>();
  #table: KeyTable | undefined;
  readonly #ids = new IdPool();
  readonly #line = new Slots();
  /** Event index of each live table's allocation, kept only when lifetimes are wanted. */
  readonly #born: Slots | undefined;

  /** onLifetime receives, for each freed table, the events from its allocation to its free. */
  constructor(readonly onLifetime?: (events: number) => void) {
    this.#born = onLifetime ? new Slots() : undefined;
  }

  get live(): number {
    return this.#live.size + (this.#table?.size ?? 0);
  }

  /** Key the live tables by bytes from now on (before any key is added); the table to load keys into. */
  byteKeys(): KeyTable {
    if (this.#table === undefined) {
      if (this.live > 0) throw new Error('byteKeys() after keys were added');
      this.#table = new KeyTable();
    }
    return this.#table;
  }

  /** Allocate a table for key; false, doing nothing, when key is live already. */
  alloc(key: string, cpu: number, line: number): boolean {
    let id: number;
    if (this.#table?.loadString(key)) {
      id = this.allocLoaded(line);
      if (id < 0) return false;
    } else {
      // Detach first, so the key's hash is computed once, for both lookups.
      const own = detach(key);
      if (this.#live.has(own)) return false;
      id = this.#ids.take();
      this.#live.set(own, id);
      this.#added(id, line);
    }
    this.#emit(ALLOC, id, cpu);
    return true;
  }

  /**
   * Allocate a table for the key loaded into byteKeys()'s table; its id, or -1, doing nothing, when
   * the key is live already. Counts the event; the caller emits it.
   */
  allocLoaded(line: number): number {
    const table = this.#table as KeyTable;
    if (table.find() >= 0) return -1;
    const id = this.#ids.take();
    table.insert(id);
    this.#added(id, line);
    return id;
  }

  /** Free the loaded key's table: its id, or -1, doing nothing, when the key is not live. Counts the event and the free. */
  freeLoaded(): number {
    const table = this.#table as KeyTable;
    const slot = table.find();
    if (slot < 0) return -1;
    const id = table.idAt(slot);
    table.removeAt(slot);
    this.#removed(id);
    this.frees++;
    return id;
  }

  /**
   * An allocation of the loaded key, as the ftrace reader sees one: if the key is live its free was
   * missed, so its table is freed (counted as realloc without free; returns its id, else -1); then,
   * when keep, a new table is allocated for the key, its id in lastAlloc. One lookup when the key is
   * not live (the common case). The caller emits the events.
   */
  reallocLoaded(keep: boolean, line: number): number {
    const table = this.#table as KeyTable;
    let old = -1;
    const slot = table.find();
    if (slot >= 0) {
      old = table.idAt(slot);
      table.removeAt(slot);
      this.#removed(old);
      this.reallocWithoutFree++;
      if (keep) table.find(); // where the key goes now
    }
    if (keep) {
      const id = this.#ids.take();
      table.insert(id);
      this.#added(id, line);
      this.lastAlloc = id;
    }
    return old;
  }

  /** The table id of the last allocation by reallocLoaded. */
  lastAlloc = -1;

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
    let id: number | undefined;
    if (this.#table?.loadString(key)) {
      const slot = this.#table.find();
      id = slot < 0 ? undefined : this.#table.idAt(slot);
    } else id = this.#live.get(key);
    return id === undefined ? 0 : this.#line.get(id);
  }

  #release(key: string, cpu: number): boolean {
    const table = this.#table;
    let id: number | undefined;
    if (table?.loadString(key)) {
      const slot = table.find();
      if (slot < 0) return false;
      id = table.idAt(slot);
      table.removeAt(slot);
    } else {
      id = this.#live.get(key);
      if (id === undefined) return false;
      this.#live.delete(key);
    }
    this.#removed(id);
    this.#emit(FREE, id, cpu);
    return true;
  }

  /** Table id was allocated on line: the event's bookkeeping. */
  #added(id: number, line: number): void {
    this.#line.set(id, line);
    this.#born?.set(id, this.events);
    this.allocations++;
    const live = this.live;
    if (live > this.peakLive) this.peakLive = live;
    this.events++;
  }

  /** Table id was freed (its key is gone already): the event's bookkeeping. */
  #removed(id: number): void {
    if (this.#born) this.onLifetime?.(this.events - this.#born.get(id));
    this.#ids.give(id);
    this.events++;
  }

  #emit(kind: number, id: number, cpu: number): void {
    const i = this.pending++;
    this.kind[i] = kind;
    this.id[i] = id;
    this.cpu[i] = cpu;
  }
}
