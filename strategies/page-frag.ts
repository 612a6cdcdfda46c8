import { DEFAULT_KERNEL, type KernelVersion } from '../core/kernel.ts';
import { PAGE_SIZE as PAGE_BYTES, TABLE_SIZE as TABLE_BYTES } from '../core/sizes.ts';
import { V51_CANDIDATES } from '../core/v51-candidates.ts';
import { hex, isAligned } from './machine/constants.ts';
import { __GFP_COMP, __GFP_NOMEMALLOC, __GFP_NORETRY, __GFP_NOWARN, GFP_ATOMIC, GFP_DMA32 } from './machine/gfp.ts';
import type { PageAllocator, Strategy, TableAllocator } from './types.ts';

/** Module-local copies of imported constants: V8 folds these into the code, an imported binding is loaded and checked at every use. */
const PAGE_SIZE = PAGE_BYTES;
const TABLE_SIZE = TABLE_BYTES;

/** PAGE_FRAG_CACHE_MAX_SIZE with 4 KiB pages: 32 KiB, order 3. */
const PAGE_FRAG_CACHE_MAX_ORDER = 3;
const PAGE_FRAG_CACHE_MAX_SIZE = PAGE_SIZE << PAGE_FRAG_CACHE_MAX_ORDER;
/**
 * struct page_frag_cache, embedded by the v3 patch: v5.1 keeps va, offset, size, pagecnt_bias and
 * pfmemalloc apart (24 bytes on 64-bit); 6.18 packs va, order and pfmemalloc into one
 * `encoded_page` word beside two __u32 (16 bytes), since 0c3ce2f50261 "mm: page_frag: reuse existing
 * space for 'size' and 'pfmemalloc'" (v6.13; research note: commit id from the log, struct read in a
 * 6.18.0 mm_types_task.h).
 */
const PAGE_FRAG_CACHE_BYTES: Record<KernelVersion, number> = { '5.1': 24, '6.1': 24, '6.18': 16 };
/**
 * Which way a page is carved: down from its end (v5.1, and 6.1, whose page_frag_alloc_align in
 * mm/page_alloc.c still starts at nc->offset = size [src]) or up from offset 0 (6.18, 8218f62c9c9b).
 */
const CARVES_UPWARD: Record<KernelVersion, boolean> = { '5.1': false, '6.1': false, '6.18': true };

// Hot members are TypeScript `private`, not `#private`: V8's bytecode for a #private access is longer,
// and the replay's hot paths must stay within its inlining budget (README, Speed).
/**
 * A page_frag_cache handing out 1 KiB fragments for the v3 io-pgtable patch: mm/page_alloc.c in
 * v5.1, mm/page_frag_cache.c in 6.18. The page's refcount lives in page->private, as page->_refcount
 * does in the kernel.
 *
 * v5.1 carves each page downward from its end. 6.18 carves upward from offset 0 — fragment k of a
 * page at 1024·k — since 8218f62c9c9b "mm: page_frag: use initial zero offset for
 * page_frag_alloc_align()" (v6.13; research note: commit id from the log, the 6.18.0 file read).
 * 6.1 is v5.1's code with an alignment mask (page_frag_alloc_align, v5.12) and a pfmemalloc guard
 * (read in 6.1.0 and 6.1.166 mm/page_alloc.c [src]): it carves downward, and its struct is v5.1's.
 * Nothing else that decides footprint, reuse or failures changed for 1 KiB GFP_ATOMIC fragments:
 * the refill is still order 3 with NORETRY|NOWARN|NOMEMALLOC|COMP, then order 0 (6.18 also clears
 * __GFP_DIRECT_RECLAIM on the order-3 try, which GFP_ATOMIC never has); a page is still reused only
 * when every fragment from it has been freed, and otherwise retired to live on through its
 * fragments; pfmemalloc pages are no longer reused (d8c19014bba8, v5.10), but a GFP_ATOMIC refill
 * never gets one (the order-3 try carries __GFP_NOMEMALLOC, and the order-0 one dips into no
 * reserves).
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

  private readonly pages: PageAllocator;
  /** sizeof(struct page_frag_cache) on the kernel: looked up once, not per event. */
  private readonly cacheBytes: number;
  private readonly upward: boolean;
  /** nc->va, or −1 when no page is cached. */
  private va = -1;
  private size = 0;
  /** nc->offset: v5.1, the start of the last fragment carved (down to 0); 6.18, where the next one starts. */
  private offset = 0;
  private bias = 0;
  /** Freed fragments on held pages that cannot be handed out again yet. */
  private strandedFragments = 0;

  constructor(pages: PageAllocator, kernel: KernelVersion) {
    this.pages = pages;
    this.cacheBytes = PAGE_FRAG_CACHE_BYTES[kernel];
    this.upward = CARVES_UPWARD[kernel];
  }

  /** page_frag_alloc(nc, 1024, GFP_ATOMIC | GFP_DMA32). */
  alloc(): number {
    const offset = this.va < 0 ? -1 : this.next();
    // The cached page is used up (or there is none): kept out of line, so that this stays small enough for V8 to inline.
    return offset < 0 ? this.allocFromNewPage() : this.take(offset);
  }

  /** The fragment at offset of the cached page: one reference of the bias, and the offset moves on. */
  private take(offset: number): number {
    this.bias--;
    this.offset = this.upward ? offset + TABLE_SIZE : offset;
    return this.va + offset;
  }

  /** page_frag_alloc() when the fragment does not fit: the cached page reused if every fragment came back, else a refill. */
  private allocFromNewPage(): number {
    if (this.va < 0) return this.refill() ? this.take(this.next()) : -1;
    // page_ref_sub_and_test(page, pagecnt_bias): zero means every fragment came back.
    const refcount = this.pages.getPrivate(this.va) - this.bias;
    this.pages.setPrivate(this.va, refcount);
    if (refcount !== 0) {
      // The page is retired: it lives on through its outstanding fragments.
      if (!this.refill()) return -1;
    } else {
      // The same page again, from its start: its end on v5.1, offset 0 on 6.18.
      this.strandedFragments -= this.size / TABLE_SIZE;
      this.pages.setPrivate(this.va, PAGE_FRAG_CACHE_MAX_SIZE + 1);
      this.bias = PAGE_FRAG_CACHE_MAX_SIZE + 1;
      this.offset = this.upward ? 0 : this.size;
      this.work.page_reuses++;
    }
    return this.take(this.next());
  }

  /** Where the next fragment of the cached page starts, or −1 when it does not fit. */
  private next(): number {
    if (this.upward) return this.offset + TABLE_SIZE <= this.size ? this.offset : -1;
    const offset = this.offset - TABLE_SIZE;
    return offset < 0 ? -1 : offset;
  }

  /** page_frag_free(): drop one reference; the page goes back to the buddy allocator at zero. */
  free(addr: number): void {
    if (!isAligned(addr, TABLE_SIZE)) notAFragment(addr);
    const refcount = this.pages.getPrivate(addr) - 1;
    this.pages.setPrivate(addr, refcount);
    this.strandedFragments++;
    if (refcount === 0) this.freePage(addr);
  }

  /** free_the_page(): the last reference is gone, the whole page goes back. */
  private freePage(addr: number): void {
    const head = this.pages.compoundHead(addr);
    const order = this.pages.compoundOrder(addr);
    this.strandedFragments -= (PAGE_SIZE << order) / TABLE_SIZE;
    this.pages.freePages(head, order);
  }

  metadataBytes(): number {
    return this.cacheBytes;
  }

  strandedBytes(): number {
    return this.strandedFragments * TABLE_SIZE;
  }

  /** __page_frag_cache_refill(), then the setup of page_frag_alloc's refill label. */
  private refill(): boolean {
    const gfp = GFP_ATOMIC | GFP_DMA32;
    let order = PAGE_FRAG_CACHE_MAX_ORDER;
    let va = this.pages.allocPages(gfp | __GFP_COMP | __GFP_NOWARN | __GFP_NORETRY | __GFP_NOMEMALLOC, order);
    if (va < 0) {
      order = 0;
      va = this.pages.allocPages(gfp, order);
      if (va >= 0) this.work.order0_fallbacks++;
    }
    this.va = va;
    if (va < 0) return false;
    this.work.refills++;
    this.size = PAGE_SIZE << order;
    // page_ref_add(page, PAGE_FRAG_CACHE_MAX_SIZE): the allocation's own reference plus the bias.
    this.pages.setPrivate(va, PAGE_FRAG_CACHE_MAX_SIZE + 1);
    this.bias = PAGE_FRAG_CACHE_MAX_SIZE + 1;
    this.offset = this.upward ? 0 : this.size;
    return true;
  }
}

export const pageFrag: Strategy = {
  name: V51_CANDIDATES.pageFrag,
  description:
    'page_frag_cache carving 1 KiB fragments from 32 KiB pages (downward on v5.1 and 6.1, upward on 6.18); a page is reused or freed only when all its fragments are free',
  placement: 'dma32',
  params: {},
  // Refills fall back to order 0, so no block order is required; the caller's gfp, any context.
  requires: [{ kind: 'dma32-pages' }],
  create: (ctx) => new PageFrag(ctx.pages, ctx.kernel ?? DEFAULT_KERNEL),
};

// Kept out of the hot method, so that it stays small enough for V8 to inline.
function notAFragment(addr: number): never {
  throw new Error(`page-frag: free of ${hex(addr)}, which is not a fragment start`);
}
