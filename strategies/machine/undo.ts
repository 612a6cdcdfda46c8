/** A per-page array of the machine (a whole number of values per page): what an undo log can save and restore. */
export type PageArray = Int8Array | Uint16Array | Int32Array | Float64Array;

/** Pages per block of the undo log: a touched page costs restoring its block (64 pages, 1.5 KiB). */
const BLOCK_SHIFT = 6;
const BLOCK = 1 << BLOCK_SHIFT;

// Hot members are TypeScript `private`, not `#private`: V8's bytecode for a #private access is longer,
// and the replay's hot paths must stay within its inlining budget (README, Speed).
/**
 * Copy-on-write undo of per-page arrays, block by block: once armed, the first write into a block
 * saves that block's values (as they were when armed) and logs it; `restore` copies back only the
 * logged blocks. Restoring costs O(pages touched), not O(DRAM), and a block's saved copy is kept,
 * so later rounds of touch and restore save nothing and allocate nothing.
 */
export class PageUndo {
  readonly #arrays: readonly PageArray[];
  /** Values per page of each array (a buddy's free-list links: two). */
  readonly #per: readonly number[];
  /** Saved copies, slot by slot (BLOCK pages' values each), one pool per array; grown by doubling. */
  #pools: PageArray[];
  /** Slot of each block's saved copy, or −1 before its first touch. */
  readonly #slot: Int32Array;
  #slots = 0;
  /** 1 when the block was touched since the last restore (or before arming: all 1, so touch is a no-op). */
  private readonly dirty: Uint8Array;
  #log: Int32Array;
  #logged = 0;

  constructor(arrays: readonly PageArray[], pages: number) {
    this.#arrays = arrays;
    this.#per = arrays.map((a) => a.length / pages);
    const blocks = Math.ceil(pages / BLOCK);
    this.#slot = new Int32Array(blocks).fill(-1);
    this.dirty = new Uint8Array(blocks).fill(1);
    this.#log = new Int32Array(64);
    this.#pools = arrays.map((a, k) => makeLike(a, 16 * BLOCK * (this.#per[k] as number)));
  }

  /** From now on, the current values are what `restore` brings back. */
  arm(): void {
    this.dirty.fill(0);
    this.#logged = 0;
  }

  /** Call before writing to `page` in any of the arrays. */
  touch(page: number): void {
    const block = page >>> BLOCK_SHIFT;
    if (this.dirty[block] === 0) this.first(block);
  }

  /** Call before writing to pages first..last (inclusive). */
  touchRange(first: number, last: number): void {
    for (let block = first >>> BLOCK_SHIFT; block <= last >>> BLOCK_SHIFT; block++) {
      if (this.dirty[block] === 0) this.first(block);
    }
  }

  /** Blocks touched since the last restore (for tests and tools). */
  get touchedBlocks(): number {
    return this.#logged;
  }

  /** Bring every touched block back to its value when armed. */
  restore(): void {
    for (let i = 0; i < this.#logged; i++) {
      const block = this.#log[i] as number;
      const slot = this.#slot[block] as number;
      this.#arrays.forEach((a, k) => {
        const span = BLOCK * (this.#per[k] as number);
        const at = block * span;
        const from = slot * span;
        a.set((this.#pools[k] as PageArray).subarray(from, from + Math.min(span, a.length - at)), at);
      });
      this.dirty[block] = 0;
    }
    this.#logged = 0;
  }

  private first(block: number): void {
    this.dirty[block] = 1;
    if (this.#logged === this.#log.length) this.#log = grow(this.#log);
    this.#log[this.#logged++] = block;
    if ((this.#slot[block] as number) >= 0) return;
    const slot = this.#slots++;
    if ((slot + 1) * BLOCK * (this.#per[0] as number) > (this.#pools[0] as PageArray).length) {
      this.#pools = this.#pools.map(grow);
    }
    this.#slot[block] = slot;
    this.#arrays.forEach((a, k) => {
      const span = BLOCK * (this.#per[k] as number);
      const at = block * span;
      (this.#pools[k] as PageArray).set(a.subarray(at, Math.min(a.length, at + span)), slot * span);
    });
  }
}

function makeLike<T extends PageArray>(a: T, length: number): T {
  return new (a.constructor as new (n: number) => T)(length);
}

function grow<T extends PageArray>(a: T): T {
  const b = makeLike(a, a.length * 2);
  b.set(a);
  return b;
}
