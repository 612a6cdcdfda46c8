import { PAGE_SIZE, TABLE_SIZE } from '../core/sizes.ts';
import { type AtomicPool618, atomicPoolFor, atomicPoolRequirements, type PoolGrowth } from './atomic-pool.ts';
import { kmallocSize } from './kmalloc.ts';
import { hex, isAligned } from './machine/constants.ts';
import { GFP_ATOMIC, GFP_DMA32 } from './machine/gfp.ts';
import type { PageAllocator, TableAllocator } from './types.ts';

/** struct dma_page on 64-bit 6.18: list_head, vaddr, dma (the in_use and offset fields are gone). */
const DMA_PAGE_STRUCT = 32;
/** struct dma_pool on 64-bit 6.18 (kzalloc_node'ed once). */
const DMA_POOL_STRUCT = 128;

/**
 * pool_initialise_page() of 6.18: the block offsets of a page of `allocation` bytes. A block is
 * placed while it fits in the allocation, and only a block that would cross a boundary moves to the
 * next one (`offset + size > next_boundary`): v5.1's `>=` skipped a block that merely ended on it.
 * The comparison was rewritten by da9619a30e73 "dmapool: link blocks across pages" (v6.4; research
 * note: id from the stable push list, the code read in the 6.18.0 mm/dmapool.c). For 1 KiB blocks
 * on 4 KiB pages: 0, 1024, 2048, 3072.
 */
export function blockOffsets618(size: number, allocation: number, boundary: number): number[] {
  const out: number[] = [];
  let offset = 0;
  let nextBoundary = boundary;
  while (offset + size <= allocation) {
    if (offset + size > nextBoundary) {
      offset = nextBoundary;
      nextBoundary += boundary;
      continue;
    }
    out.push(offset);
    offset += size;
  }
  return out;
}

/**
 * A dma_pool of Linux 6.18 (mm/dmapool.c after the v6.4 rework, da9619a30e73) created as
 * dma_pool_create(name, iommu, 1024, 1024, 0): one pool-wide LIFO stack of free blocks
 * (pool->next_block, the link kept inside each free block). dma_pool_free pushes the block,
 * dma_pool_alloc pops the top, and when the stack is empty a new page's blocks are linked in
 * ascending order with its first block on top (Keith Busch's "dmapool: push new blocks in ascending
 * order", in the 6.18 code, most likely folded into da9619a30e73 [inference]). So the most recently
 * freed block anywhere is reused first, and no page list is walked (pool_find_page exists only under
 * DMAPOOL_DEBUG): pages_walked stays 0. Pages are still never freed before dma_pool_destroy.
 *
 * Pages come from dma_alloc_coherent(allocation = 4 KiB): from the 6.18 atomic pool for the
 * non-coherent MT8173 IOMMU (GFP_ATOMIC), or plain order-0 pages for a coherent one.
 */
export class DmaPool618 implements TableAllocator {
  readonly work = {
    /** Always 0 on 6.18: no list is walked without DMAPOOL_DEBUG. */
    pages_walked: 0,
    atomic_pool_exhausted: 0,
    atomic_pool_pages: 0,
    atomic_pool_grows: 0,
    atomic_pool_grown_pages: 0,
  };

  readonly #pages: PageAllocator;
  readonly #offsets = blockOffsets618(TABLE_SIZE, PAGE_SIZE, PAGE_SIZE);
  /** Whether a page offset starts a block, by offset / TABLE_SIZE. */
  readonly #isBlock = new Uint8Array(PAGE_SIZE / TABLE_SIZE);
  /** pool->next_block and the links below it: free block addresses, the top at #depth − 1. */
  #stack = new Float64Array(64);
  #depth = 0;
  /** The pool's pages (pool->page_list, only counted), one bit per page frame number. */
  #pool = new Uint32Array(1024);
  #poolPages = 0;
  /** null: a DMA-coherent device, plain pages from the page allocator. */
  readonly #atomic: AtomicPool618 | null;
  /** Whether a requirement on coherent_pool= can be stated: the pool of a boot chunk, not grown. */
  readonly #poolBound: boolean;

  /**
   * @param coherentPoolKiB coherent_pool= in KiB (0: a coherent device; −1: not given, the size
   *   from RAM); @param totalramPages totalram_pages() for the default size.
   */
  constructor(pages: PageAllocator, coherentPoolKiB: number, totalramPages: number, growth: PoolGrowth) {
    this.#pages = pages;
    for (const offset of this.#offsets) this.#isBlock[offset / TABLE_SIZE] = 1;
    this.#atomic =
      coherentPoolKiB === 0 ? null : atomicPoolFor(pages, this.work, coherentPoolKiB, totalramPages, growth);
    this.#poolBound = coherentPoolKiB === 0 || growth === 'none';
  }

  /** dma_pool_alloc(): pop the top of the stack; when it is empty, a new page's blocks first. */
  alloc(): number {
    if (this.#depth === 0 && !this.#addPage()) return -1;
    return this.#stack[--this.#depth] as number;
  }

  /** dma_pool_free(): push the block on the stack. */
  free(addr: number): void {
    const pfn = Math.floor(addr / PAGE_SIZE);
    const offset = addr - pfn * PAGE_SIZE;
    if (!this.#inPool(pfn) || !isAligned(offset, TABLE_SIZE) || this.#isBlock[offset / TABLE_SIZE] !== 1) {
      throw new Error(`dma-pool: dma_pool_free(${hex(addr)}) of memory the pool did not hand out`);
    }
    this.#push(addr);
  }

  /** The usable blocks per page: 4 (v5.1: 3). */
  get blocksPerPage(): number {
    return this.#offsets.length;
  }

  /**
   * The pool struct (kmalloc-128), a struct dma_page per page (32 bytes: kmalloc-32 on 6.18 arm64 with
   * kmalloc bouncing, see strategies/kmalloc.ts), and a vzalloc'ed gen_pool_chunk header (a page)
   * per chunk the atomic pool's worker added for this pool.
   */
  metadataBytes(): number {
    return (
      kmallocSize(DMA_POOL_STRUCT, '6.18') +
      kmallocSize(DMA_PAGE_STRUCT, '6.18') * this.#poolPages +
      PAGE_SIZE * (this.#atomic?.grownChunks ?? 0)
    );
  }

  /** Freed blocks go back on the stack: nothing is stranded. */
  strandedBytes(): number {
    return 0;
  }

  /**
   * coherent_pool: the KiB of pool the pages taken so far need (plus a page once one was refused),
   * when that is a value coherent_pool= could give: a boot chunk holds at most 4 MiB, and a pool that
   * grows needs no larger one.
   */
  requirements(): Readonly<Record<string, number>> {
    return atomicPoolRequirements(this.#poolPages, this.work, this.#poolBound);
  }

  /** pool_alloc_page() and pool_initialise_page(): a page whose blocks go on the stack, first on top. */
  #addPage(): boolean {
    const page = this.#atomic ? this.#atomic.take() : this.#pages.allocPages(GFP_ATOMIC | GFP_DMA32, 0);
    if (page < 0) return false;
    this.#addToPool(page / PAGE_SIZE);
    for (let i = this.#offsets.length - 1; i >= 0; i--) this.#push(page + (this.#offsets[i] as number));
    return true;
  }

  #push(addr: number): void {
    if (this.#depth === this.#stack.length) {
      const deeper = new Float64Array(this.#stack.length * 2);
      deeper.set(this.#stack);
      this.#stack = deeper;
    }
    this.#stack[this.#depth++] = addr;
  }

  #inPool(pfn: number): boolean {
    return pfn >= 0 && pfn < this.#pool.length * 32 && ((this.#pool[pfn >>> 5] as number) & (1 << (pfn & 31))) !== 0;
  }

  #addToPool(pfn: number): void {
    if (pfn >>> 5 >= this.#pool.length) {
      const wider = new Uint32Array(Math.max(this.#pool.length * 2, (pfn >>> 5) + 1));
      wider.set(this.#pool);
      this.#pool = wider;
    }
    this.#pool[pfn >>> 5] = (this.#pool[pfn >>> 5] as number) | (1 << (pfn & 31));
    this.#poolPages++;
  }
}
