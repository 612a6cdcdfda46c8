import type { Rng } from './random.ts';

/** How a generator picks the table to free. */
export type FreeOrder = 'fifo' | 'lifo' | 'random';

/** The live table ids of a generator, in allocation order, with O(1) oldest, newest and random removal. */
export class LiveSet {
  #ring = new Int32Array(64);
  #head = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(id: number): void {
    if (this.#size === this.#ring.length) this.#grow();
    this.#ring[(this.#head + this.#size) & (this.#ring.length - 1)] = id;
    this.#size++;
  }

  /** Remove and return a live id: the oldest, the newest, or one picked uniformly. */
  remove(order: FreeOrder, rng: Rng): number {
    if (this.#size === 0) throw new RangeError('no live table to free');
    const mask = this.#ring.length - 1;
    if (order === 'fifo') {
      const id = this.#ring[this.#head] as number;
      this.#head = (this.#head + 1) & mask;
      this.#size--;
      return id;
    }
    const last = (this.#head + this.#size - 1) & mask;
    if (order === 'random') {
      const at = (this.#head + rng.int(0, this.#size - 1)) & mask;
      const id = this.#ring[at] as number;
      this.#ring[at] = this.#ring[last] as number;
      this.#size--;
      return id;
    }
    this.#size--;
    return this.#ring[last] as number;
  }

  /** The id at position k in allocation order (0 = oldest); for patterns that free by position. */
  at(k: number): number {
    return this.#ring[(this.#head + k) & (this.#ring.length - 1)] as number;
  }

  #grow(): void {
    const next = new Int32Array(this.#ring.length * 2);
    for (let k = 0; k < this.#size; k++) next[k] = this.at(k);
    this.#ring = next;
    this.#head = 0;
  }
}
