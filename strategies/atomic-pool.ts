import { PAGE_SIZE } from '../core/sizes.ts';
import { MAX_ORDER } from './machine/constants.ts';
import { __GFP_NOWARN, GFP_ATOMIC, GFP_DMA32, GFP_KERNEL } from './machine/gfp.ts';
import type { PageAllocator } from './types.ts';

/**
 * The arm64 atomic DMA pool of Linux 6.1 and 6.18 (kernel/dma/pool.c), as dma_alloc_coherent uses it for a
 * non-coherent device called with GFP_ATOMIC (dma_direct_alloc → dma_direct_alloc_from_pool). The
 * dynamic pools came with 54adadf9b085 "dma-pool: dynamically expanding atomic pools" and the size
 * rule with 1d659236fb43 "dma-pool: scale the default DMA coherent pool size with memory capacity"
 * (both v5.8; research note: ids from the log, rules read in the 6.18.0 and a later mainline
 * kernel/dma/pool.c). 6.1's pool.c is the same for what is modelled here (read in 6.1.0 [src]):
 * MAX_ORDER − 1 there is MAX_PAGE_ORDER here, both 10; the rest is flags, remapping and messages.
 *
 * On the MT8173-like board the allocation goes to the pool of the zone below 4 GiB (ZONE_DMA on
 * 6.1 and 6.18 arm64, which covers the same pages as the simulated machine's ZONE_DMA32;
 * dma_direct_optimal_gfp_mask picks GFP_DMA for a 32-bit mask when zone_dma_bits is 32, read in 6.1.0).
 */

const SZ_128K = 128 * 1024;
const SZ_1G = 1 << 30;
/** MAX_PAGE_ORDER with 4 KiB pages: an atomic pool chunk is at most 4 MiB. */
const MAX_PAGE_ORDER = MAX_ORDER - 1;

/**
 * dma_atomic_pool_init() without `coherent_pool=`: 128 KiB per GiB of RAM (totalram_pages() / 8192
 * pages), at most MAX_ORDER_NR_PAGES (4 MiB), at least 128 KiB.
 */
export function atomicPoolDefaultBytes(totalramPages: number): number {
  const pages = Math.min(Math.floor(totalramPages / (SZ_1G / SZ_128K)), 1 << MAX_PAGE_ORDER);
  return Math.max(pages * PAGE_SIZE, SZ_128K);
}

/** get_order(): the order of the smallest block of pages holding `bytes`. */
export function getOrder(bytes: number): number {
  let order = 0;
  while (PAGE_SIZE << order < bytes) order++;
  return order;
}

/** Pages of the chunk atomic_pool_expand() adds for `bytes`: the order rounded up, capped at MAX_PAGE_ORDER. */
export function chunkPages(bytes: number): number {
  return 1 << Math.min(getOrder(bytes), MAX_PAGE_ORDER);
}

/** One gen_pool chunk: its pages, of which the first `used` have been handed out (pool pages never come back here). */
interface Chunk {
  /** Address of its first page; −1 for the boot-time chunk, whose pages are charged one by one. */
  readonly base: number;
  readonly pages: number;
  used: number;
}

/** What the pool does when an allocation leaves less than atomic_pool_size free. */
export type PoolGrowth = 'worker' | 'none';

/** The counters the pool keeps, in the work record of the strategy that owns it. */
export interface AtomicPoolWork {
  /** Allocations refused because no chunk had a free page. */
  atomic_pool_exhausted: number;
  /** Pages handed out by the pool (gen_pool_alloc of one page, then memset). */
  atomic_pool_pages: number;
  /** Chunks the expansion worker added. */
  atomic_pool_grows: number;
  /** Pages of those chunks. */
  atomic_pool_grown_pages: number;
}

/**
 * The pool as one dma_pool sees it. Accounting, as for v5.1's pool: the boot-time pool of the
 * default size is shared with every atomic user and exists anyway, so only the pages this user takes
 * from it are charged (one order-0 page each, when taken); a pool larger than the default
 * (`coherent_pool=`) holds its extra pages from creation, handed out first. A chunk the expansion
 * worker adds is taken from the page allocator for good (atomic pools never shrink) because this
 * user left the pool short, so it is charged whole when added.
 *
 * Growth (atomic_pool_expand, atomic_pool_resize): after a successful allocation that leaves less
 * than atomic_pool_size free, schedule_work() runs the worker, which adds one chunk as large as the
 * whole pool (doubling it), at most 4 MiB, falling back to smaller orders, with GFP_KERNEL. The model
 * runs the worker right after the allocation that scheduled it, before the next event; `none`
 * models a worker that never runs in time (a long burst of atomic allocations). An allocation that
 * finds every chunk full fails: GFP_ATOMIC cannot wait for the worker.
 *
 * Chunks are searched newest first (gen_pool_add_virt puts a chunk at the head of the list) with
 * gen_pool_first_fit_order_align: for one page, the lowest free page of the first chunk with room.
 */
export class AtomicPool618 {
  readonly #pages: PageAllocator;
  readonly #work: AtomicPoolWork;
  /** atomic_pool_size in bytes: the threshold of growth. */
  readonly #size: number;
  readonly #growth: PoolGrowth;
  /** Newest first. */
  readonly #chunks: Chunk[];
  /** Pages of a pool above the default size, held from creation and handed out first. */
  readonly #reserved: number[] = [];
  #total: number;
  #used = 0;

  constructor(
    pages: PageAllocator,
    work: AtomicPoolWork,
    options: { sizeBytes: number; defaultBytes: number; growth: PoolGrowth },
  ) {
    this.#pages = pages;
    this.#work = work;
    this.#size = options.sizeBytes;
    this.#growth = options.growth;
    const boot = chunkPages(options.sizeBytes);
    this.#chunks = [{ base: -1, pages: boot, used: 0 }];
    this.#total = boot;
    const extra = Math.max(0, boot - chunkPages(options.defaultBytes));
    for (let i = 0; i < extra; i++) {
      const page = pages.allocPages(GFP_KERNEL | GFP_DMA32, 0);
      if (page < 0) break;
      this.#reserved.push(page);
    }
  }

  /** Pages in the pool (gen_pool_size / PAGE_SIZE) and pages handed out. */
  get totalPages(): number {
    return this.#total;
  }

  get usedPages(): number {
    return this.#used;
  }

  /** Chunks the worker added (each has a vzalloc'ed gen_pool_chunk header). */
  get grownChunks(): number {
    return this.#chunks.length - 1;
  }

  /** dma_alloc_from_pool() of one page: its address, or −1 when the pool is exhausted. */
  take(): number {
    const chunk = this.#chunks.find((c) => c.used < c.pages);
    if (!chunk) {
      this.#work.atomic_pool_exhausted++;
      return -1;
    }
    const addr = chunk.base >= 0 ? chunk.base + chunk.used * PAGE_SIZE : this.#bootPage(chunk.used);
    if (addr < 0) {
      // The boot pool's pages are charged when taken; on a machine whose every page is already held
      // (by the chunks the worker added), the model cannot take one, where the kernel, having set
      // the boot pool aside at boot, would have had that many fewer pages to grow with. Either way
      // the pool has run out.
      this.#work.atomic_pool_exhausted++;
      return -1;
    }
    chunk.used++;
    this.#used++;
    this.#work.atomic_pool_pages++;
    if (this.#growth === 'worker' && (this.#total - this.#used) * PAGE_SIZE < this.#size) this.#expand();
    return addr;
  }

  /** Page `i` of the boot-time chunk: a reserved one, else one of the shared pool, charged now. */
  #bootPage(i: number): number {
    if (i < this.#reserved.length) return this.#reserved[i] as number;
    return this.#pages.allocPages(GFP_ATOMIC | GFP_DMA32, 0);
  }

  /** The worker: atomic_pool_resize → atomic_pool_expand(pool, gen_pool_size(pool), GFP_KERNEL | zone). */
  #expand(): void {
    for (let order = Math.log2(chunkPages(this.#total * PAGE_SIZE)); order >= 0; order--) {
      const base = this.#pages.allocPages(GFP_KERNEL | GFP_DMA32 | __GFP_NOWARN, order);
      if (base < 0) continue;
      this.#chunks.unshift({ base, pages: 1 << order, used: 0 });
      this.#total += 1 << order;
      this.#work.atomic_pool_grows++;
      this.#work.atomic_pool_grown_pages += 1 << order;
      return;
    }
  }
}

/**
 * The pool a dma_pool's pages come from: coherent_pool= in KiB (−1: not given, the size from RAM,
 * totalram_pages() being `totalramPages`).
 */
export function atomicPoolFor(
  pages: PageAllocator,
  work: AtomicPoolWork,
  coherentPoolKiB: number,
  totalramPages: number,
  growth: PoolGrowth,
): AtomicPool618 {
  const defaultBytes = atomicPoolDefaultBytes(totalramPages);
  return new AtomicPool618(pages, work, {
    sizeBytes: coherentPoolKiB < 0 ? defaultBytes : coherentPoolKiB * 1024,
    defaultBytes,
    growth,
  });
}

/**
 * coherent_pool: the KiB of pool that `pages` pool pages need (plus a page once one was refused),
 * when that is a value coherent_pool= could give: `bound` (a coherent device, or a pool that never
 * grows) and at most 4 MiB, the largest boot chunk. A pool that grows needs no larger one.
 */
export function atomicPoolRequirements(
  pages: number,
  work: AtomicPoolWork,
  bound: boolean,
): Readonly<Record<string, number>> {
  const kib = ((pages + (work.atomic_pool_exhausted > 0 ? 1 : 0)) * PAGE_SIZE) / 1024;
  return bound && kib <= 4096 ? { coherent_pool: kib } : {};
}
