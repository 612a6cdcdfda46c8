/**
 * A set of non-negative integers that finds its largest member in O(log32 n): a bitmap with
 * summary levels above it, each bit of a level saying that a word of the level below is not zero.
 * Setting or clearing a bit climbs only while a word changes between zero and non-zero, and the
 * search goes down from the single top word with Math.clz32. The capacity grows by 32× (one level
 * more) when a larger member is set. A model's search helper, not a kernel structure: the kernel
 * walks a list where this finds the same element without walking.
 */
export class SummaryBitmap {
  /** levels[0] holds one bit per member; levels[k + 1] one bit per non-zero word of levels[k]; the last has one word. */
  #levels: Uint32Array[] = [new Uint32Array(1)];
  /** 32 ** levels.length. */
  #capacity = 32;

  set(i: number): void {
    if (i >= this.#capacity) this.#grow(i);
    const levels = this.#levels;
    for (let l = 0; l < levels.length; l++) {
      const level = levels[l] as Uint32Array;
      const w = i >>> 5;
      const old = level[w] as number;
      level[w] = old | (1 << (i & 31));
      if (old !== 0) return;
      i = w;
    }
  }

  clear(i: number): void {
    if (i >= this.#capacity) return;
    const levels = this.#levels;
    for (let l = 0; l < levels.length; l++) {
      const level = levels[l] as Uint32Array;
      const w = i >>> 5;
      const word = (level[w] as number) & ~(1 << (i & 31));
      level[w] = word;
      if (word !== 0) return;
      i = w;
    }
  }

  has(i: number): boolean {
    return i < this.#capacity && (((this.#levels[0] as Uint32Array)[i >>> 5] as number) & (1 << (i & 31))) !== 0;
  }

  /** The largest member, or −1 when the set is empty. */
  highest(): number {
    const levels = this.#levels;
    let i = 0;
    for (let l = levels.length - 1; l >= 0; l--) {
      const word = (levels[l] as Uint32Array)[i] as number;
      if (word === 0) return -1; // only the top word can be zero here
      i = (i << 5) | (31 - Math.clz32(word));
    }
    return i;
  }

  #grow(i: number): void {
    while (this.#capacity <= i) {
      const top = this.#levels[this.#levels.length - 1] as Uint32Array;
      this.#capacity *= 32;
      // Every level gets 32× the words; the old top word becomes bit 0 of a new top level.
      this.#levels = this.#levels.map((level) => {
        const wider = new Uint32Array(level.length * 32);
        wider.set(level);
        return wider;
      });
      this.#levels.push(Uint32Array.of((top[0] as number) !== 0 ? 1 : 0));
    }
  }
}
