import { DEFAULT_KERNEL, type KernelVersion } from '../core/kernel.ts';
import { choiceParam } from '../core/params.ts';
import { MAX_TABLES_PER_PGTABLE, PAGE_SIZE, TABLE_SIZE as TABLE_BYTES } from '../core/sizes.ts';
import { V51_CANDIDATES } from '../core/v51-candidates.ts';
import { kmallocSize } from './kmalloc.ts';
import { hex } from './machine/constants.ts';
import { GFP_DMA32, GFP_KERNEL } from './machine/gfp.ts';
import type { PageAllocator, Strategy, TableAllocator } from './types.ts';

/** Module-local copies of imported constants: V8 folds these into the code, an imported binding is loaded and checked at every use. */
const TABLE_SIZE = TABLE_BYTES;
/** 1 / TABLE_SIZE, a power of two: multiplying by it is exact, where a float division is slow. */
const PER_TABLE = 1 / TABLE_BYTES;

/** gen_pool_create(10, -1): one bit per 1 KiB. */
const MIN_ALLOC_ORDER = 10;
/** The worst case, 4096 tables = 4 MiB, taken once with __get_free_pages(GFP_KERNEL | GFP_DMA32, 10). */
const POOL_ORDER = 10;
const POOL_BITS = MAX_TABLES_PER_PGTABLE;
const BITS_PER_LONG = 64;
/** struct gen_pool (56 bytes) from kmalloc: kmalloc-128 on arm64 v5.1 and 6.1 (KMALLOC_MIN_SIZE 128), kmalloc-64 on 6.18. */
const GEN_POOL_STRUCT = 56;
/** struct gen_pool_chunk (48 B; 56 B since chunk owners, 795ee30648c7, v5.3) + the 512 B bitmap, from vzalloc: one whole page. */
const CHUNK_VZALLOC_BYTES = PAGE_SIZE;

// Hot members are TypeScript `private`, not `#private`: V8's bytecode for a #private access is longer,
// and the replay's hot paths must stay within its inlining budget (README, Speed).
/**
 * A gen_pool (lib/genalloc.c, v5.1) over one preallocated 4 MiB DMA32 block. The bitmap is kept
 * in 32-bit halves but searched, and its cost counted, in the kernel's 64-bit words. The pool
 * never shrinks: its 4 MiB stay held whatever the load.
 *
 * 6.18: nothing relevant changed. The research note read the whole v5.1 → 6.18 diff of
 * lib/genalloc.c and lib/bitmap.c [src]: chunks walked in list order, a search from bit 0 with the
 * same first-fit and best-fit algorithms, the same avail accounting and frees; the changes are
 * wrappers, chunk owners (795ee30648c7, v5.3: a larger chunk header, still one vzalloc page) and
 * wider bit counts (36845663843f). Only the kmalloc bucket of struct gen_pool follows the 6.18 arm64
 * kmalloc caches (strategies/kmalloc.ts).
 *
 * 6.1: the same algorithms and accounting (lib/genalloc.c, lib/bitmap.c read in 6.1.0 [src]); its
 * struct gen_pool takes kmalloc-128, as on v5.1.
 */
class GenPool implements TableAllocator {
  readonly work = {
    /** bitmap words read by find_next_zero_bit / find_next_bit. */
    bitmap_words_scanned: 0,
    /** gen_pool_alloc calls that found no room. */
    pool_exhausted: 0,
  };

  private readonly bits = new Uint32Array(POOL_BITS / 32);
  /** One bit per 64-bit bitmap word that is full: the first clear bit without reading the full words. */
  private readonly full = new Uint32Array(POOL_BITS / 64 / 32);
  private readonly start: number;
  private avail: number;
  private readonly bestFit: boolean;
  /** The struct gen_pool's kmalloc bucket and the chunk's vzalloc page: fixed for the pool's life, found once, not per event. */
  private readonly fixedMetadataBytes: number;

  constructor(pages: PageAllocator, bestFit: boolean, kernel: KernelVersion) {
    this.bestFit = bestFit;
    this.fixedMetadataBytes = kmallocSize(GEN_POOL_STRUCT, kernel) + CHUNK_VZALLOC_BYTES;
    // If the order-10 block cannot be had, the pool has no chunk and every allocation fails, as
    // gen_pool_alloc does on an empty pool.
    this.start = pages.allocPages(GFP_KERNEL | GFP_DMA32, POOL_ORDER);
    this.avail = this.start < 0 ? 0 : POOL_BITS << MIN_ALLOC_ORDER;
  }

  /** gen_pool_alloc(pool, 1024): the chunk is skipped when avail < size; the search starts at bit 0. */
  alloc(): number {
    if (this.avail < TABLE_SIZE) {
      this.work.pool_exhausted++;
      return -1;
    }
    const bit = this.bestFit ? this.bestFitSearch(1) : this.firstFitOne();
    if (bit >= POOL_BITS) {
      this.work.pool_exhausted++;
      return -1;
    }
    this.set(bit);
    this.avail -= TABLE_SIZE;
    return this.start + bit * TABLE_SIZE;
  }

  /** gen_pool_free(): clear the bits; a bit already clear is a kernel BUG. */
  free(addr: number): void {
    const offset = addr - this.start;
    const bit = offset * PER_TABLE;
    if (this.start < 0 || offset < 0 || !Number.isInteger(bit) || bit >= POOL_BITS || !this.test(bit))
      notHandedOut(addr);
    this.clear(bit);
    this.avail += TABLE_SIZE;
  }

  metadataBytes(): number {
    return this.fixedMetadataBytes;
  }

  strandedBytes(): number {
    return 0;
  }

  private test(bit: number): boolean {
    return ((this.bits[bit >>> 5] as number) & (1 << (bit & 31))) !== 0;
  }

  private set(bit: number): void {
    this.bits[bit >>> 5] = (this.bits[bit >>> 5] as number) | (1 << (bit & 31));
    const w = bit >>> 6;
    if (~((this.bits[2 * w] as number) & (this.bits[2 * w + 1] as number)) === 0) {
      this.full[w >>> 5] = (this.full[w >>> 5] as number) | (1 << (w & 31));
    }
  }

  private clear(bit: number): void {
    this.bits[bit >>> 5] = (this.bits[bit >>> 5] as number) & ~(1 << (bit & 31));
    const w = bit >>> 6;
    this.full[w >>> 5] = (this.full[w >>> 5] as number) & ~(1 << (w & 31));
  }

  /**
   * gen_pool_first_fit() for one bit, as findZeroArea(0, 1) finds it and counts it, without the
   * walk: _find_next_bit reads the full 64-bit words before the first clear bit z and z's own word
   * (z / 64 + 1 words), then the check that z is clear reads that word again (1); a full bitmap is
   * all 64 words read, and the answer lies past the end.
   */
  private firstFitOne(): number {
    for (let s = 0; s < this.full.length; s++) {
      const notFull = ~(this.full[s] as number);
      if (notFull === 0) continue;
      const w = s * 32 + lowestBit(notFull);
      const lo = ~(this.bits[2 * w] as number);
      const bit = w * BITS_PER_LONG + (lo !== 0 ? lowestBit(lo) : 32 + lowestBit(~(this.bits[2 * w + 1] as number)));
      this.work.bitmap_words_scanned += w + 2;
      return bit;
    }
    this.work.bitmap_words_scanned += POOL_BITS / BITS_PER_LONG;
    return POOL_BITS + 1;
  }

  /**
   * _find_next_bit() (lib/find_bit.c): the first set bit (or clear bit, with invert) at or after
   * `start` below `nbits`, else nbits. Reads one 64-bit word at a time and counts them.
   */
  private findNext(nbits: number, start: number, invert: boolean): number {
    if (start >= nbits) return nbits;
    let word = Math.floor(start / BITS_PER_LONG);
    let first = true;
    for (;;) {
      this.work.bitmap_words_scanned++;
      for (let half = 0; half < 2; half++) {
        let v = this.bits[word * 2 + half] as number;
        if (invert) v = ~v;
        const base = word * BITS_PER_LONG + half * 32;
        if (first && start > base) v &= start - base >= 32 ? 0 : ~0 << (start - base);
        v >>>= 0;
        if (v !== 0) return Math.min(base + (31 - Math.clz32(v & -v)), nbits);
      }
      first = false;
      word++;
      if (word * BITS_PER_LONG >= nbits) return nbits;
    }
  }

  /** bitmap_find_next_zero_area_off() with no alignment: the first run of nr clear bits from start. */
  private findZeroArea(start: number, nr: number): number {
    for (;;) {
      const index = this.findNext(POOL_BITS, start, true);
      const end = index + nr;
      if (end > POOL_BITS) return end;
      const i = this.findNext(end, index, false);
      if (i >= end) return index;
      start = i + 1;
    }
  }

  /** gen_pool_best_fit(): the shortest run of clear bits that fits, stopping early on an exact fit. */
  private bestFitSearch(nr: number): number {
    let startBit = POOL_BITS;
    let len = POOL_BITS + 1;
    let index = this.findZeroArea(0, nr);
    while (index < POOL_BITS) {
      const nextBit = this.findNext(POOL_BITS, index + nr, false);
      if (nextBit - index < len) {
        len = nextBit - index;
        startBit = index;
        if (len === nr) return startBit;
      }
      index = this.findZeroArea(nextBit + 1, nr);
    }
    return startBit;
  }
}

// Kept out of the hot method, so that it stays small enough for V8 to inline.
function notHandedOut(addr: number): never {
  throw new Error(`genalloc: gen_pool_free(${hex(addr)}) of memory the pool did not hand out`);
}

/** The index of the lowest set bit of a non-zero 32-bit value (__ffs). */
function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}

export const genalloc: Strategy = {
  name: V51_CANDIDATES.genalloc,
  description: 'gen_pool over one preallocated 4 MiB DMA32 block (4096 tables), bitmap search, never shrinks',
  placement: 'dma32',
  // The 4 MiB pool: one order-10 GFP_KERNEL block when the page table is created; gen_pool_alloc
  // itself never sleeps (lib/genalloc.c).
  requires: [{ kind: 'dma32-pages' }, { kind: 'sleeping-setup' }, { kind: 'block-order', order: POOL_ORDER }],
  params: {
    algo: {
      kind: 'choice',
      description: 'gen_pool algorithm: gen_pool_first_fit (default) or gen_pool_best_fit',
      default: 'first',
      choices: ['first', 'best'],
    },
  },
  create: (ctx) => new GenPool(ctx.pages, choiceParam(ctx.params, 'algo') === 'best', ctx.kernel ?? DEFAULT_KERNEL),
};
