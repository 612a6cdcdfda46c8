import { hex, PAGE_SIZE, TABLE_SIZE } from './machine/constants.ts';
import { __GFP_COMP, __GFP_NOMEMALLOC, __GFP_NORETRY, __GFP_NOWARN, GFP_ATOMIC, GFP_DMA32 } from './machine/gfp.ts';
import type { PageAllocator, Strategy, TableAllocator } from './types.ts';

/** PAGE_FRAG_CACHE_MAX_SIZE with 4 KiB pages: 32 KiB, order 3. */
const PAGE_FRAG_CACHE_MAX_ORDER = 3;
const PAGE_FRAG_CACHE_MAX_SIZE = PAGE_SIZE << PAGE_FRAG_CACHE_MAX_ORDER;
/** struct page_frag_cache (va, offset, size, pagecnt_bias, pfmemalloc: 24 bytes), embedded by the v3 patch. */
const PAGE_FRAG_CACHE_BYTES = 24;

/**
 * A page_frag_cache (mm/page_alloc.c, v5.1) handing out 1 KiB fragments for the v3 io-pgtable
 * patch. The page's refcount lives in page->private, as page->_refcount does in the kernel.
 */
class PageFrag implements TableAllocator {
  readonly work = {
    /** __page_frag_cache_refill calls that got a page. */
    refills: 0,
    /** Refills that fell back to order 0. */
    order0_fallbacks: 0,
    /** Times the cached page was reused because every fragment from it was free. */
    page_reuses: 0,
  };

  readonly #pages: PageAllocator;
  /** nc->va, or −1 when no page is cached. */
  #va = -1;
  #size = 0;
  #offset = 0;
  #bias = 0;
  /** Freed fragments on held pages that cannot be handed out again yet. */
  #strandedFragments = 0;

  constructor(pages: PageAllocator) {
    this.#pages = pages;
  }

  /** page_frag_alloc(nc, 1024, GFP_ATOMIC | GFP_DMA32). */
  alloc(): number {
    if (this.#va < 0 && !this.#refill()) return -1;
    let offset = this.#offset - TABLE_SIZE;
    if (offset < 0) {
      // page_ref_sub_and_test(page, pagecnt_bias): zero means every fragment came back.
      const refcount = this.#pages.getPrivate(this.#va) - this.#bias;
      this.#pages.setPrivate(this.#va, refcount);
      if (refcount !== 0) {
        // The page is retired: it lives on through its outstanding fragments.
        if (!this.#refill()) return -1;
        offset = this.#offset - TABLE_SIZE;
      } else {
        this.#strandedFragments -= this.#size / TABLE_SIZE;
        this.#pages.setPrivate(this.#va, PAGE_FRAG_CACHE_MAX_SIZE + 1);
        this.#bias = PAGE_FRAG_CACHE_MAX_SIZE + 1;
        offset = this.#size - TABLE_SIZE;
        this.work.page_reuses++;
      }
    }
    this.#bias--;
    this.#offset = offset;
    return this.#va + offset;
  }

  /** page_frag_free(): drop one reference; the page goes back to the buddy allocator at zero. */
  free(addr: number): void {
    if (addr % TABLE_SIZE !== 0) throw new Error(`page-frag: free of ${hex(addr)}, which is not a fragment start`);
    const refcount = this.#pages.getPrivate(addr) - 1;
    this.#pages.setPrivate(addr, refcount);
    this.#strandedFragments++;
    if (refcount === 0) {
      const head = this.#pages.compoundHead(addr);
      const order = this.#pages.compoundOrder(addr);
      this.#strandedFragments -= (PAGE_SIZE << order) / TABLE_SIZE;
      this.#pages.freePages(head, order);
    }
  }

  metadataBytes(): number {
    return PAGE_FRAG_CACHE_BYTES;
  }

  strandedBytes(): number {
    return this.#strandedFragments * TABLE_SIZE;
  }

  /** __page_frag_cache_refill(), then the setup of page_frag_alloc's refill label. */
  #refill(): boolean {
    const gfp = GFP_ATOMIC | GFP_DMA32;
    let order = PAGE_FRAG_CACHE_MAX_ORDER;
    let va = this.#pages.allocPages(gfp | __GFP_COMP | __GFP_NOWARN | __GFP_NORETRY | __GFP_NOMEMALLOC, order);
    if (va < 0) {
      order = 0;
      va = this.#pages.allocPages(gfp, order);
      if (va >= 0) this.work.order0_fallbacks++;
    }
    this.#va = va;
    if (va < 0) return false;
    this.work.refills++;
    this.#size = PAGE_SIZE << order;
    // page_ref_add(page, PAGE_FRAG_CACHE_MAX_SIZE): the allocation's own reference plus the bias.
    this.#pages.setPrivate(va, PAGE_FRAG_CACHE_MAX_SIZE + 1);
    this.#bias = PAGE_FRAG_CACHE_MAX_SIZE + 1;
    this.#offset = this.#size;
    return true;
  }
}

export const pageFrag: Strategy = {
  name: 'page-frag',
  description:
    'page_frag_cache carving 1 KiB fragments downward from 32 KiB pages; a page is reused or freed only when all its fragments are free',
  placement: 'dma32',
  params: {},
  create: (ctx) => new PageFrag(ctx.pages),
};
