/**
 * The IOVA allocator of drivers/iommu/iova.c (v5.1) as dma-iommu drives it, in page frames:
 * size-aligned ranges found by walking down from the cached node (next fit, top-down), the cached
 * node moved up again when a range at or above it is freed, and the per-CPU range caches
 * (rcaches: loaded and prev magazines of 128, a depot of 32) for sizes up to 32 pages.
 * Ranges live in a sorted array (a stand-in for the rbtree; tens to hundreds of entries).
 */

/** IOVA_RANGE_CACHE_MAX_SIZE: orders 0..5 (up to 32 pages) are cached. */
const IOVA_RANGE_CACHE_MAX_SIZE = 6;
const IOVA_MAG_SIZE = 128;
const MAX_GLOBAL_MAGS = 32;

/** The index of the first value ≥ value in a sorted array (its length when none). */
export function lowerBound(sorted: readonly number[], value: number): number {
  let a = 0;
  let b = sorted.length;
  while (a < b) {
    const m = (a + b) >> 1;
    if ((sorted[m] as number) < value) a = m + 1;
    else b = m;
  }
  return a;
}

/** roundup_pow_of_two / order_base_2 on page counts. */
export function orderBase2(n: number): number {
  return n <= 1 ? 0 : 32 - Math.clz32(n - 1);
}

interface CpuRcache {
  loaded: number[];
  prev: number[];
}

export class IovaDomain {
  /** Allocated ranges [lo, hi] sorted by lo; the anchor (lo = hi = +∞) is implicit at index length. */
  readonly #lo: number[] = [];
  readonly #hi: number[] = [];
  /** lo of cached32_node; Infinity is the anchor. */
  #cached = Number.POSITIVE_INFINITY;
  /** max32_alloc_size: a size that failed; larger or equal ones fail fast until a free. */
  #max32: number;
  readonly #rcaches: CpuRcache[][];
  readonly #depots: number[][][];

  constructor(
    /** start_pfn: 1 for dma-iommu (IOVA 0 is never handed out). */
    readonly startPfn: number,
    /** dma_32bit_pfn, also the exclusive limit of the device: 1 << (32 − PAGE_SHIFT). */
    readonly limitPfn: number,
    cpus: number,
    /**
     * PFNs per rcache magazine: 128 in v5.1; 127 since "iommu/iova: Optimize iova_magazine alloc
     * size" (a 1 KiB magazine), which Debian's 6.1.192 has (kernel/capture checks it on every capture).
     */
    readonly magazineSize = IOVA_MAG_SIZE,
  ) {
    this.#max32 = limitPfn;
    this.#rcaches = Array.from({ length: IOVA_RANGE_CACHE_MAX_SIZE }, () =>
      Array.from({ length: cpus }, () => ({ loaded: [], prev: [] })),
    );
    this.#depots = Array.from({ length: IOVA_RANGE_CACHE_MAX_SIZE }, () => []);
  }

  /** Ranges allocated in the tree (not counting those parked in rcaches, which stay allocated too). */
  get ranges(): number {
    return this.#lo.length;
  }

  /**
   * alloc_iova_fast(iovad, size, limit, flush_rcache = true): the rcache first, then the tree; on
   * failure every CPU's loaded and prev magazines are given back to the tree, and the tree is tried
   * once more. Returns the first pfn, or −1.
   */
  allocFast(size: number, cpu: number): number {
    const cached = this.#rcacheGet(size, cpu);
    if (cached >= 0) return cached;
    let pfn = this.#alloc(size);
    if (pfn < 0) {
      for (let order = 0; order < IOVA_RANGE_CACHE_MAX_SIZE; order++) {
        for (const rc of this.#rcaches[order] as CpuRcache[]) {
          for (const p of rc.loaded.splice(0)) this.#free(p);
          for (const p of rc.prev.splice(0)) this.#free(p);
        }
      }
      pfn = this.#alloc(size);
    }
    return pfn;
  }

  /** free_iova_fast(): into this CPU's rcache when the size is cached, else back to the tree. */
  freeFast(pfn: number, size: number, cpu: number): void {
    if (!this.#rcacheInsert(pfn, size, cpu)) this.#free(pfn);
  }

  /** __alloc_and_insert_iova_range(..., size_aligned = true). */
  #alloc(size: number): number {
    if (size >= this.#max32) return -1;
    const alignMask = ~((1 << orderBase2(size)) - 1);
    // curr = cached node; walk rb_prev while the candidate collides with it.
    let idx = this.#indexOf(this.#cached);
    let limit = this.limitPfn;
    let newPfn: number;
    for (;;) {
      const currLo = idx < this.#lo.length ? (this.#lo[idx] as number) : Number.POSITIVE_INFINITY;
      limit = Math.min(limit, currLo);
      newPfn = (limit - size) & alignMask;
      idx--;
      if (idx < 0 || newPfn > (this.#hi[idx] as number)) break;
    }
    if (limit < size || newPfn < this.startPfn) {
      this.#max32 = size;
      return -1;
    }
    const at = idx + 1;
    this.#lo.splice(at, 0, newPfn);
    this.#hi.splice(at, 0, newPfn + size - 1);
    this.#cached = newPfn;
    return newPfn;
  }

  /** __free_iova() with __cached_rbnode_delete_update(): a range at or above the cached node moves it to rb_next. */
  #free(pfn: number): void {
    const idx = this.#indexOf(pfn);
    if (this.#lo[idx] !== pfn) throw new RangeError(`free_iova of pfn ${pfn}, which is not allocated`);
    if ((this.#hi[idx] as number) < this.limitPfn && pfn >= this.#cached) {
      this.#cached = idx + 1 < this.#lo.length ? (this.#lo[idx + 1] as number) : Number.POSITIVE_INFINITY;
      this.#max32 = this.limitPfn;
    }
    this.#lo.splice(idx, 1);
    this.#hi.splice(idx, 1);
  }

  /** Index of the first range with lo ≥ pfn (the anchor's index when none). */
  #indexOf(pfn: number): number {
    return lowerBound(this.#lo, pfn);
  }

  /** __iova_rcache_get(): loaded, else prev (swapped in), else a full magazine from the depot. */
  #rcacheGet(size: number, cpu: number): number {
    const order = orderBase2(size);
    if (order >= IOVA_RANGE_CACHE_MAX_SIZE) return -1;
    const rc = (this.#rcaches[order] as CpuRcache[])[cpu] as CpuRcache;
    if (rc.loaded.length === 0) {
      if (rc.prev.length > 0) [rc.loaded, rc.prev] = [rc.prev, rc.loaded];
      else {
        const depot = this.#depots[order] as number[][];
        const mag = depot.pop();
        if (!mag) return -1;
        rc.loaded = mag;
      }
    }
    return rc.loaded.pop() as number;
  }

  /** __iova_rcache_insert(): loaded, else prev (swapped), else loaded goes to the depot (or back to the tree when the depot is full). */
  #rcacheInsert(pfn: number, size: number, cpu: number): boolean {
    const order = orderBase2(size);
    if (order >= IOVA_RANGE_CACHE_MAX_SIZE) return false;
    const rc = (this.#rcaches[order] as CpuRcache[])[cpu] as CpuRcache;
    if (rc.loaded.length === this.magazineSize) {
      if (rc.prev.length < this.magazineSize) [rc.loaded, rc.prev] = [rc.prev, rc.loaded];
      else {
        const depot = this.#depots[order] as number[][];
        const full = rc.loaded;
        rc.loaded = [];
        if (depot.length < MAX_GLOBAL_MAGS) depot.push(full);
        else for (const p of full) this.#free(p);
      }
    }
    rc.loaded.push(pfn);
    return true;
  }
}
