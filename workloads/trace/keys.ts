/** Longest key the table holds, in bytes; longer IDs (rare) go to a Map of strings. */
export const KEY_BYTES = 24;
const WORDS = KEY_BYTES / 4;

/**
 * The live trace IDs and their table ids, keyed by the ID's UTF-8 bytes: an open-addressing hash
 * table over typed arrays (linear probing, at most half full), holding each key inline as six 32-bit
 * words and its length, so a lookup makes no string and no garbage. Deletion shifts the following
 * entries back (no tombstones), so the table only grows with the peak of live keys.
 *
 * A key is first loaded (load or loadString: its words, length and hash go to a scratch area), then
 * found, inserted or removed. Bytes equal exactly when the strings they encode are equal, so the
 * table keys the same IDs as a Map<string, number> over the decoded text does.
 */
export class KeyTable {
  size = 0;
  #mask = 0;
  #hash = new Int32Array(0);
  /** Table id + 1; 0 is an empty slot. */
  #val = new Int32Array(0);
  #len = new Uint8Array(0);
  #words = new Int32Array(0);

  // The loaded key.
  readonly #kw = new Int32Array(WORDS);
  #kn = 0;
  #kl = 0;
  #kh = 0;
  /** Where the last find stopped: the loaded key's slot, or the empty slot where it would go. */
  #slot = 0;
  /** UTF-8 of a string key: 24 UTF-16 units are at most 72 bytes. */
  readonly #utf8 = Buffer.alloc(3 * KEY_BYTES);

  /** capacity: slots at first, a power of two. */
  constructor(capacity = 1024) {
    if (capacity < 2 || (capacity & (capacity - 1)) !== 0) throw new RangeError(`capacity ${capacity}: a power of two`);
    this.#alloc(capacity);
  }

  /** Load the key b[s, t), at most KEY_BYTES bytes. */
  load(b: Uint8Array, s: number, t: number): void {
    const kw = this.#kw;
    let k = 0;
    let i = s;
    // Little-endian words, four bytes a step; the last word's missing high bytes are zeros.
    for (; i + 4 <= t; i += 4) {
      kw[k++] =
        (b[i] as number) | ((b[i + 1] as number) << 8) | ((b[i + 2] as number) << 16) | ((b[i + 3] as number) << 24);
    }
    if (i < t) {
      let w = 0;
      for (let shift = 0; i < t; i++, shift += 8) w |= (b[i] as number) << shift;
      kw[k++] = w;
    }
    // A word at a time (murmur3's body and finish), so that the low bits (the slot) depend on every byte.
    let h = 0x811c9dc5 ^ (t - s);
    for (let j = 0; j < k; j++) {
      let x = Math.imul(kw[j] as number, 0xcc9e2d51);
      x = Math.imul((x << 15) | (x >>> 17), 0x1b873593);
      h ^= x;
      h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    this.#kn = k;
    this.#kl = t - s;
    this.#kh = h;
  }

  /** Load key as its UTF-8 bytes; false, loading nothing, when they are more than KEY_BYTES. */
  loadString(key: string): boolean {
    if (key.length > KEY_BYTES) return false;
    const n = this.#utf8.write(key, 'utf8');
    if (n > KEY_BYTES) return false;
    this.load(this.#utf8, 0, n);
    return true;
  }

  /** The slot of the loaded key, or -1. */
  find(): number {
    const mask = this.#mask;
    const val = this.#val;
    const hash = this.#hash;
    const h = this.#kh;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      if (val[i] === 0) {
        this.#slot = i;
        return -1;
      }
      if (hash[i] === h && this.#len[i] === this.#kl && this.#same(i)) {
        this.#slot = i;
        return i;
      }
    }
  }

  /** The table id in slot i. */
  idAt(i: number): number {
    return (this.#val[i] as number) - 1;
  }

  /** Add the loaded key, which the last find() did not find, with table id. */
  insert(id: number): void {
    if ((this.size + 1) * 2 > this.#val.length) {
      this.#resize(this.#val.length * 2);
      this.find();
    }
    const i = this.#slot;
    this.#hash[i] = this.#kh;
    this.#len[i] = this.#kl;
    const base = i * WORDS;
    for (let k = 0; k < this.#kn; k++) this.#words[base + k] = this.#kw[k] as number;
    this.#val[i] = id + 1;
    this.size++;
  }

  /** Empty slot i, moving back the entries after it that probed past it (backward-shift deletion). */
  removeAt(i: number): void {
    const mask = this.#mask;
    const val = this.#val;
    const hash = this.#hash;
    for (let j = (i + 1) & mask; val[j] !== 0; j = (j + 1) & mask) {
      const home = (hash[j] as number) & mask;
      // The entry at j may fill the hole at i unless its home slot lies cyclically in (i, j].
      if (i < j ? i < home && home <= j : i < home || home <= j) continue;
      this.#move(j, i);
      i = j;
    }
    val[i] = 0;
    this.size--;
  }

  #same(i: number): boolean {
    const words = this.#words;
    const kw = this.#kw;
    const base = i * WORDS;
    for (let k = 0; k < this.#kn; k++) if (words[base + k] !== kw[k]) return false;
    return true;
  }

  #move(from: number, to: number): void {
    this.#hash[to] = this.#hash[from] as number;
    this.#len[to] = this.#len[from] as number;
    this.#val[to] = this.#val[from] as number;
    const words = this.#words;
    for (let k = 0; k < WORDS; k++) words[to * WORDS + k] = words[from * WORDS + k] as number;
  }

  #alloc(capacity: number): void {
    this.#mask = capacity - 1;
    this.#hash = new Int32Array(capacity);
    this.#val = new Int32Array(capacity);
    this.#len = new Uint8Array(capacity);
    this.#words = new Int32Array(capacity * WORDS);
  }

  #resize(capacity: number): void {
    const [hash, val, len, words] = [this.#hash, this.#val, this.#len, this.#words];
    this.#alloc(capacity);
    const mask = this.#mask;
    for (let j = 0; j < val.length; j++) {
      if (val[j] === 0) continue;
      let i = (hash[j] as number) & mask;
      while (this.#val[i] !== 0) i = (i + 1) & mask;
      this.#hash[i] = hash[j] as number;
      this.#len[i] = len[j] as number;
      this.#val[i] = val[j] as number;
      this.#words.set(words.subarray(j * WORDS, j * WORDS + WORDS), i * WORDS);
    }
  }
}
