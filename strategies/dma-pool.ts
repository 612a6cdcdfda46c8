import { DEFAULT_KERNEL, type KernelVersion, unknownKernel } from '../core/kernel.ts';
import { choiceParam, intParam, type ParamValues } from '../core/params.ts';
import type { PlatformKernel } from '../core/platforms.ts';
import type { Requirement } from '../core/requirements.ts';
import { MiB, PAGE_SIZE as PAGE_BYTES, TABLE_SIZE as TABLE_BYTES } from '../core/sizes.ts';
import {
  type AtomicPool618,
  type AtomicPoolWork,
  atomicPoolFor,
  atomicPoolRequirements,
  getOrder,
  type PoolGrowth,
} from './atomic-pool.ts';
import { DmaPool618 } from './dma-pool-6.18.ts';
import { kmallocSize } from './kmalloc.ts';
import { hex, isAligned } from './machine/constants.ts';
import { GFP_ATOMIC, GFP_DMA32, GFP_KERNEL } from './machine/gfp.ts';
import { DEFAULT_MACHINE } from './machine/machine.ts';
import { SummaryBitmap } from './summary-bitmap.ts';
import type { PageAllocator, Strategy, TableAllocator } from './types.ts';

/** Module-local copies of imported constants: V8 folds these into the code, an imported binding is loaded and checked at every use. */
const PAGE_SIZE = PAGE_BYTES;
const TABLE_SIZE = TABLE_BYTES;

/** struct dma_page (40 bytes on 64-bit v5.1 and 6.1), kmalloc'ed per pool page: kmalloc-128 on arm64. */
const DMA_PAGE_STRUCT = 40;
/** struct dma_pool (104 bytes), kmalloc'ed once: kmalloc-128. */
const DMA_POOL_STRUCT = 104;

/** coherent_pool= default on arm64 (DEFAULT_DMA_COHERENT_POOL_SIZE): 256 KiB. */
const DEFAULT_COHERENT_POOL_KIB = 256;
/** log2(TABLE_SIZE): a block's number from its offset in the page. */
const TABLE_SHIFT = 10;
const PER_PAGE = 1 / PAGE_SIZE;

/** dma_alloc_coherent() of one pool page, as the kernel supplies it to this device. */
interface PoolPageSource {
  /** The page's address, or −1 when it cannot be had (counted in the strategy's work). */
  take(): number;
  /** Bookkeeping the supply adds for this pool (the atomic pool's chunk headers). */
  metadataBytes(): number;
  /** The coherent_pool= that would have served a pool of `pages` pages (see TableAllocator.requirements). */
  requirements(pages: number): Readonly<Record<string, number>>;
}

/**
 * The arm64 v5.1 atomic coherent pool (arch_dma_alloc → __alloc_from_pool: coherent_pool=, 256 KiB
 * by default, taken at boot, never grown), or plain pages for a coherent device (coherent_pool=0).
 * Only the pages this pool takes are charged; a pool larger than the default is memory reserved at
 * boot for these tables: its extra pages are held from creation and handed out first.
 */
class FixedCoherentPool implements PoolPageSource {
  readonly #pages: PageAllocator;
  readonly #work: { atomic_pool_exhausted: number };
  /** Pages the pool can give (Infinity for a coherent device). */
  readonly #poolPages: number;
  readonly #reserved: number[] = [];
  #taken = 0;

  constructor(pages: PageAllocator, work: { atomic_pool_exhausted: number }, coherentPoolKiB: number) {
    this.#pages = pages;
    this.#work = work;
    this.#poolPages = coherentPoolKiB === 0 ? Number.POSITIVE_INFINITY : (coherentPoolKiB * 1024) / PAGE_SIZE;
    // atomic_pool_init() takes the whole pool at boot (GFP_DMA32 on arm64 v5.1): the part above the
    // default is there only for this pool, so it is held from the start.
    const extra = Math.max(0, coherentPoolKiB - DEFAULT_COHERENT_POOL_KIB) * 1024;
    for (let i = 0; i < extra / PAGE_SIZE; i++) {
      const page = pages.allocPages(GFP_KERNEL | GFP_DMA32, 0);
      if (page < 0) break;
      this.#reserved.push(page);
    }
  }

  take(): number {
    if (this.#taken >= this.#poolPages) {
      this.#work.atomic_pool_exhausted++;
      return -1;
    }
    const page =
      this.#taken < this.#reserved.length
        ? (this.#reserved[this.#taken] as number)
        : this.#pages.allocPages(GFP_ATOMIC | GFP_DMA32, 0);
    if (page >= 0) this.#taken++;
    return page;
  }

  metadataBytes(): number {
    return 0;
  }

  /** The pages taken, plus one once the pool refused one (then a lower bound); coherent_pool=0 measures the need exactly. */
  requirements(pages: number): Readonly<Record<string, number>> {
    return { coherent_pool: ((pages + (this.#work.atomic_pool_exhausted > 0 ? 1 : 0)) * PAGE_SIZE) / 1024 };
  }
}

/**
 * The atomic DMA pool of 6.1 (kernel/dma/pool.c, read in 6.1.0 [src]): 6.18's, sized from RAM and
 * grown by a worker (AtomicPool618), or plain pages for a coherent device (coherent_pool=0).
 */
class GrowingCoherentPool implements PoolPageSource {
  readonly #pages: PageAllocator;
  readonly #atomic: AtomicPool618 | null;
  readonly #work: AtomicPoolWork;
  readonly #bound: boolean;

  constructor(
    pages: PageAllocator,
    work: AtomicPoolWork,
    coherentPoolKiB: number,
    totalramPages: number,
    growth: PoolGrowth,
  ) {
    this.#pages = pages;
    this.#work = work;
    this.#atomic = coherentPoolKiB === 0 ? null : atomicPoolFor(pages, work, coherentPoolKiB, totalramPages, growth);
    this.#bound = coherentPoolKiB === 0 || growth === 'none';
  }

  take(): number {
    return this.#atomic ? this.#atomic.take() : this.#pages.allocPages(GFP_ATOMIC | GFP_DMA32, 0);
  }

  /** A vzalloc'ed gen_pool_chunk header (a page) per chunk the worker added for this pool. */
  metadataBytes(): number {
    return PAGE_SIZE * (this.#atomic?.grownChunks ?? 0);
  }

  requirements(pages: number): Readonly<Record<string, number>> {
    return atomicPoolRequirements(pages, this.#work, this.#bound);
  }
}

/**
 * A pool page's record: page->offset (the first free block's offset, or PAGE_SIZE = allocation when
 * full), page->in_use, the page frame number of page->vaddr, and from LINK the next-offset word
 * stored in each of the 4 blocks while it is free.
 */
const OFFSET = 0;
const IN_USE = 1;
const PFN = 2;
const LINK = 4;
const REC = 8;

/**
 * A dma_pool (mm/dmapool.c, v5.1) created as dma_pool_create(name, iommu, 1024, 1024, 0): pages of
 * max(size, PAGE_SIZE) from dma_alloc_coherent with a 32-bit coherent mask (modelled as an order-0
 * GFP_DMA32 page), each page's free blocks chained by offsets stored in the blocks, pages listed
 * newest first, and empty pages kept until dma_pool_destroy.
 *
 * io-pgtable allocates with GFP_ATOMIC, and the MT8173 IOMMU is not DMA-coherent: on arm64 v5.1 a
 * non-blocking dma_alloc_coherent for such a device comes from the atomic pool preallocated at boot
 * (arch_dma_alloc → dma_alloc_from_pool, kernel/dma/remap.c; coherent_pool=, 256 KiB by default), shared with every other
 * atomic user. Only the pages this pool takes are charged to it; it fails once the pool is used up.
 *
 * 6.1's mm/dmapool.c is this algorithm line for line (read in 6.1.0 and 6.1.166 [src]; the v6.4
 * rework came later): the same boundary test (3 blocks of 4), newest-first list walks and LIFO
 * chains. Its pages come from 6.1's atomic pool, which is 6.18's (GrowingCoherentPool).
 */
class DmaPool implements TableAllocator {
  readonly work: { pages_walked: number; atomic_pool_exhausted: number };

  readonly #pages: PoolPageSource;
  /** Offsets of the usable blocks of a fresh page, in chain order (pool_initialise_page). */
  readonly #chain: number[];
  /** kmalloc buckets of struct dma_pool and struct dma_page on the modelled kernel. */
  readonly #poolBytes: number;
  readonly #pageBytes: number;
  // Per pool page, in creation order (the list is the reverse: list_add puts new pages first): one
  // record of REC words, so that a page's state is one cache line.
  #nPages = 0;
  #rec = new Int32Array(16 * REC);
  /**
   * The pool page of each page frame from #pfnBase: its index + 1, 0 for none. The kernel's
   * pool_find_page walks the list to it (counted in pages_walked); this finds it at once.
   */
  #pageOf = new Int32Array(0);
  #pfnBase = 0;
  /** The pages with a free block: finds the newest such page in O(log n), without walking. */
  readonly #hasFree = new SummaryBitmap();

  constructor(
    work: { pages_walked: number; atomic_pool_exhausted: number },
    source: PoolPageSource,
    boundaryFixed: boolean,
    kernel: KernelVersion,
  ) {
    this.work = work;
    this.#pages = source;
    this.#chain = initialChain(TABLE_SIZE, PAGE_SIZE, PAGE_SIZE, boundaryFixed);
    this.#poolBytes = kmallocSize(DMA_POOL_STRUCT, kernel);
    this.#pageBytes = kmallocSize(DMA_PAGE_STRUCT, kernel);
  }

  /** The usable blocks per page: 3 with the v5.1 boundary test, 4 with the later fix. */
  get blocksPerPage(): number {
    return this.#chain.length;
  }

  /**
   * dma_pool_alloc(): the first page (newest first) with a free block, else a new page at the head.
   * The list walk is counted as the kernel would make it, but found through a bitmap.
   */
  alloc(): number {
    const pages = this.#nPages;
    // The list is newest first, so the page of index p is the (pages − p)-th visited.
    let page = this.#hasFree.highest();
    this.work.pages_walked += page < 0 ? pages : pages - page;
    if (page < 0) {
      page = this.#allocPage();
      if (page < 0) return -1;
    }
    const rec = this.#rec;
    const r = page * REC;
    const offset = rec[r + OFFSET] as number;
    rec[r + IN_USE] = (rec[r + IN_USE] as number) + 1;
    const next = rec[r + LINK + (offset >> TABLE_SHIFT)] as number;
    rec[r + OFFSET] = next;
    if (next >= PAGE_SIZE) this.#hasFree.clear(page);
    return (rec[r + PFN] as number) * PAGE_SIZE + offset;
  }

  /**
   * dma_pool_free(): pool_find_page walks the list (newest first) to the page of the block, which
   * goes back on that page's chain. Pages are never freed. The page is found through a pfn map (#pageOf).
   */
  free(addr: number): void {
    // A multiplication by 2^-12 is exact: the same pfn as a division, without the division.
    const pfn = Math.floor(addr * PER_PAGE);
    const at = pfn - this.#pfnBase;
    const page = at >= 0 && at < this.#pageOf.length ? (this.#pageOf[at] as number) - 1 : -1;
    const rec = this.#rec;
    const r = page * REC;
    // The page's own pfn is the one the map found it by: the offset needs no read of its record.
    const offset = page >= 0 && page < this.#nPages ? addr - pfn * PAGE_SIZE : -1;
    if (offset < 0 || offset >= PAGE_SIZE || !isAligned(offset, TABLE_SIZE)) notHandedOut(addr);
    this.work.pages_walked += this.#nPages - page;
    rec[r + IN_USE] = (rec[r + IN_USE] as number) - 1;
    rec[r + LINK + (offset >> TABLE_SHIFT)] = rec[r + OFFSET] as number;
    rec[r + OFFSET] = offset;
    this.#hasFree.set(page);
  }

  metadataBytes(): number {
    return this.#poolBytes + this.#pageBytes * this.#nPages + this.#pages.metadataBytes();
  }

  /** coherent_pool: the KiB of atomic pool the pages taken so far need, as the page source says. */
  requirements(): Readonly<Record<string, number>> {
    return this.#pages.requirements(this.#nPages);
  }

  /** Freed blocks always go back on their page's chain: nothing is stranded (the unusable 4th block never held a table). */
  strandedBytes(): number {
    return 0;
  }

  /** pool_alloc_page(): dma_alloc_coherent of one page, chained by pool_initialise_page. */
  #allocPage(): number {
    const vaddr = this.#pages.take();
    if (vaddr < 0) return -1;
    const page = this.#nPages++;
    if ((page + 1) * REC > this.#rec.length) {
      const wider = new Int32Array(this.#rec.length * 2);
      wider.set(this.#rec);
      this.#rec = wider;
    }
    const r = page * REC;
    this.#rec[r + PFN] = vaddr / PAGE_SIZE;
    this.#rec[r + IN_USE] = 0;
    this.#rec[r + OFFSET] = this.#chain[0] as number;
    this.#mapPage(vaddr / PAGE_SIZE, page);
    this.#hasFree.set(page);
    for (let i = 0; i < this.#chain.length; i++) {
      const at = this.#chain[i] as number;
      this.#rec[r + LINK + at / TABLE_SIZE] = i + 1 < this.#chain.length ? (this.#chain[i + 1] as number) : PAGE_SIZE;
    }
    return page;
  }

  #mapPage(pfn: number, page: number): void {
    const map = this.#pageOf;
    if (map.length === 0) {
      this.#pageOf = new Int32Array(64);
      this.#pfnBase = pfn;
    } else if (pfn < this.#pfnBase || pfn >= this.#pfnBase + map.length) {
      // Widen towards pfn, at least doubling: the pool's pages lie close together in DMA32.
      const base = this.#pfnBase;
      const length = Math.max(pfn < base ? base + map.length - pfn : pfn + 1 - base, 2 * map.length);
      const from = pfn < base ? Math.max(0, base + map.length - length) : base;
      const wider = new Int32Array(length);
      wider.set(map, base - from);
      this.#pageOf = wider;
      this.#pfnBase = from;
    }
    this.#pageOf[pfn - this.#pfnBase] = page + 1;
  }
}

/**
 * pool_initialise_page(): the chain of block offsets. v5.1 tests `next + size >= next_boundary`,
 * so a block that would end exactly on the boundary is skipped: with 1 KiB blocks and a 4 KiB
 * boundary only 3 blocks of 4 are used. The fix (`>`) uses all 4.
 */
export function initialChain(size: number, allocation: number, boundary: number, fixed: boolean): number[] {
  const offsets: number[] = [];
  let offset = 0;
  let nextBoundary = boundary;
  do {
    offsets.push(offset);
    let next = offset + size;
    if (fixed ? next + size > nextBoundary : next + size >= nextBoundary) {
      next = nextBoundary;
      nextBoundary += boundary;
    }
    offset = next;
  } while (offset < allocation);
  return offsets;
}

/**
 * Why the kernel could not build an atomic pool of `kib` KiB on a platform with these facts ('' when
 * it could). v5.1 makes the pool one block at boot (dma_atomic_pool_init, kernel/dma/remap.c): from
 * the CMA area when there is one (dma_alloc_from_contiguous, no fallback), else one
 * alloc_pages(gfp, get_order(atomic_pool_size)), which __alloc_pages_nodemask refuses above the
 * largest order. 6.1 and 6.18 cap each chunk at the largest order and fall back to smaller ones
 * (atomic_pool_expand, kernel/dma/pool.c), and grow the pool later: any size can be had.
 */
export function atomicPoolUnbuildable(kernel: KernelVersion, kib: number, facts: PlatformKernel): string {
  if (kernel !== '5.1' || kib <= 0) return '';
  const order = getOrder(kib * 1024);
  const max = facts.maxPageOrder;
  if (order <= max.value) return '';
  const cma = facts.cmaBytes.value;
  if (cma !== null && kib * 1024 <= cma) return '';
  const block = `v5.1 makes the atomic pool one alloc_pages(gfp, get_order(${kib} KiB) = ${order}) in dma_atomic_pool_init (kernel/dma/remap.c), above the largest order, ${max.value} (${max.source})`;
  return cma === null
    ? `${block}; only a CMA area could hold it, and this platform's is not known (${facts.cmaBytes.source}).`
    : `${block}, and larger than the ${cma / MiB} MiB CMA area (${facts.cmaBytes.source}).`;
}

/**
 * Its blocks come from dma_alloc_coherent: io-pgtable can use them only where that memory is in the
 * linear map, i.e. on a coherent device; any coherent_pool but 0 models the atomic pool of a
 * non-coherent one.
 */
function dmaPoolRequires(params: ParamValues): readonly Requirement[] {
  const base: Requirement[] = [{ kind: 'struct-device' }, { kind: 'linear-coherent-memory' }, { kind: 'dma32-pages' }];
  return intParam(params, 'coherent_pool') === 0 ? base : [...base, { kind: 'non-coherent-atomic-pool' }];
}

export const dmaPool: Strategy = {
  name: 'dma-pool',
  description:
    'dma_pool of 1 KiB blocks on 4 KiB coherent pages from the arm64 atomic pool, pages never freed (v5.1: 3 usable per page, a fixed 256 KiB pool; 6.1: 3 per page, a pool sized from RAM that grows; 6.18: 4 per page, one LIFO stack of free blocks, the growing pool)',
  placement: 'dma32',
  params: {
    boundary_fix: {
      kind: 'int',
      description:
        '1 models the later boundary fix on v5.1 and 6.1 (4 blocks per page); 0 is their code; 6.18 always has the fix',
      default: 0,
      min: 0,
      max: 1,
    },
    coherent_pool: {
      kind: 'int',
      description:
        "KiB of the arm64 atomic coherent pool its pages come from (coherent_pool=; any part above the kernel's default is held from boot); -1: the kernel's default (v5.1: 256 KiB; 6.1, 6.18: 128 KiB per GiB of RAM, 128 KiB to 4 MiB); 0: a DMA-coherent IOMMU, plain pages",
      default: -1,
      min: -1,
      max: 1 << 20,
    },
    pool_growth: {
      kind: 'choice',
      description:
        "6.1, 6.18: the atomic pool's expansion worker runs after the allocation that schedules it (worker), or never in time (none: the boot-time pool is all there is); v5.1's pool never grows",
      default: 'worker',
      choices: ['worker', 'none'],
    },
  },
  requires: dmaPoolRequires,
  unbuildable: (key, value, kernel, facts) =>
    key === 'coherent_pool' ? atomicPoolUnbuildable(kernel, value, facts) : '',
  create: (ctx) => {
    const coherentPool = intParam(ctx.params, 'coherent_pool');
    const growth = choiceParam(ctx.params, 'pool_growth') as PoolGrowth;
    const totalramPages = ctx.totalramPages ?? DEFAULT_MACHINE.dramBytes / PAGE_SIZE;
    const kernel = ctx.kernel ?? DEFAULT_KERNEL;
    switch (kernel) {
      case '5.1': {
        const work = { pages_walked: 0, atomic_pool_exhausted: 0 };
        const source = new FixedCoherentPool(
          ctx.pages,
          work,
          coherentPool < 0 ? DEFAULT_COHERENT_POOL_KIB : coherentPool,
        );
        return new DmaPool(work, source, intParam(ctx.params, 'boundary_fix') === 1, kernel);
      }
      case '6.1': {
        // v5.1's dma_pool on 6.18's atomic pool (see DmaPool); boundary_fix still models the later fix.
        const work = {
          pages_walked: 0,
          atomic_pool_exhausted: 0,
          atomic_pool_pages: 0,
          atomic_pool_grows: 0,
          atomic_pool_grown_pages: 0,
        };
        const source = new GrowingCoherentPool(ctx.pages, work, coherentPool, totalramPages, growth);
        return new DmaPool(work, source, intParam(ctx.params, 'boundary_fix') === 1, kernel);
      }
      case '6.18':
        return new DmaPool618(ctx.pages, coherentPool, totalramPages, growth);
      default:
        return unknownKernel(kernel);
    }
  },
};

// Kept out of free(), so that it stays small enough for V8 to inline into the replay loop.
function notHandedOut(addr: number): never {
  throw new Error(`dma-pool: dma_pool_free(${hex(addr)}) of memory the pool did not hand out`);
}
