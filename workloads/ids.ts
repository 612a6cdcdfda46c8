/**
 * Table ids for event streams: the lowest freed id is not needed, only reuse, so freed ids go on a
 * stack and the largest id stays at the peak number of live tables.
 */
export class IdPool {
  #free = new Int32Array(64);
  #freeCount = 0;
  #next = 0;

  /** An id not live now. */
  take(): number {
    if (this.#freeCount > 0) return this.#free[--this.#freeCount] as number;
    return this.#next++;
  }

  /** Give back an id whose table was freed. */
  give(id: number): void {
    if (this.#freeCount === this.#free.length) {
      const grown = new Int32Array(this.#free.length * 2);
      grown.set(this.#free);
      this.#free = grown;
    }
    this.#free[this.#freeCount++] = id;
  }

  /** Ids handed out so far, at most: the size a consumer's id-indexed array needs. */
  get highWater(): number {
    return this.#next;
  }
}
