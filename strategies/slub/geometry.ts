import { MAX_ORDER, PAGE_SIZE } from '../machine/constants.ts';

/** SLUB's boot parameters (mm/slub.c, v5.1 defaults). */
export interface SlubTunables {
  /** slub_min_order, default 0. */
  readonly minOrder: number;
  /** slub_max_order, default PAGE_ALLOC_COSTLY_ORDER = 3. */
  readonly maxOrder: number;
  /** slub_min_objects, default 0 (derived from the CPU count). */
  readonly minObjects: number;
}

export const SLUB_DEFAULTS: SlubTunables = { minOrder: 0, maxOrder: 3, minObjects: 0 };

/** The per-cache numbers that kmem_cache_open() derives for an object size. */
export interface SlubGeometry {
  /** oo: preferred slab order and its objects. */
  readonly order: number;
  readonly objects: number;
  /** s->min: the fallback when the preferred order cannot be had. */
  readonly minOrder: number;
  readonly minObjects: number;
  /** set_min_partial(). */
  readonly minPartial: number;
  /** set_cpu_partial(), in objects. */
  readonly cpuPartial: number;
}

const MAX_OBJS_PER_PAGE = 32767;
const MIN_PARTIAL = 5;
const MAX_PARTIAL = 10;

/** fls(): 1-based index of the most significant set bit; fls(0) = 0. */
function fls(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

/** get_order(): the smallest order whose block holds `bytes`. */
function getOrder(bytes: number): number {
  let order = 0;
  while (PAGE_SIZE * 2 ** order < bytes) order++;
  return order;
}

function orderObjects(order: number, size: number): number {
  return Math.floor((PAGE_SIZE * 2 ** order) / size);
}

/** slab_order(): the smallest order ≥ the minimum whose leftover is at most 1/fraction of the slab. */
function slabOrder(size: number, minObjects: number, maxOrder: number, fraction: number, t: SlubTunables): number {
  if (orderObjects(t.minOrder, size) > MAX_OBJS_PER_PAGE) return getOrder(size * MAX_OBJS_PER_PAGE) - 1;
  let order = Math.max(t.minOrder, getOrder(minObjects * size));
  for (; order <= maxOrder; order++) {
    const slabSize = PAGE_SIZE * 2 ** order;
    if (slabSize % size <= slabSize / fraction) break;
  }
  return order;
}

/** calculate_order(): the slab order for `size`-byte objects on a machine with nr_cpu_ids CPUs. */
export function calculateOrder(size: number, nrCpuIds: number, t: SlubTunables = SLUB_DEFAULTS): number {
  let minObjects = t.minObjects || 4 * (fls(nrCpuIds) + 1);
  const maxObjects = orderObjects(t.maxOrder, size);
  minObjects = Math.min(minObjects, maxObjects);
  while (minObjects > 1) {
    for (let fraction = 16; fraction >= 4; fraction /= 2) {
      const order = slabOrder(size, minObjects, t.maxOrder, fraction, t);
      if (order <= t.maxOrder) return order;
    }
    minObjects--;
  }
  let order = slabOrder(size, 1, t.maxOrder, 1, t);
  if (order <= t.maxOrder) return order;
  order = slabOrder(size, 1, MAX_ORDER, 1, t);
  if (order < MAX_ORDER) return order;
  throw new RangeError(`no slab order fits ${size}-byte objects`);
}

/** set_min_partial(): ilog2(size) / 2, clamped to [5, 10]. */
export function minPartialFor(size: number): number {
  const half = Math.floor((fls(size) - 1) / 2);
  return Math.min(MAX_PARTIAL, Math.max(MIN_PARTIAL, half));
}

/** set_cpu_partial() with CONFIG_SLUB_CPU_PARTIAL and no debug flags, in objects. */
export function cpuPartialFor(size: number): number {
  if (size >= PAGE_SIZE) return 2;
  if (size >= 1024) return 6;
  if (size >= 256) return 13;
  return 30;
}

/** kmem_cache_open()'s geometry for a cache of `size`-byte objects aligned to their size. */
export function slubGeometry(size: number, nrCpuIds: number, t: SlubTunables = SLUB_DEFAULTS): SlubGeometry {
  const order = calculateOrder(size, nrCpuIds, t);
  const minOrder = getOrder(size);
  return {
    order,
    objects: orderObjects(order, size),
    minOrder,
    minObjects: orderObjects(minOrder, size),
    minPartial: minPartialFor(size),
    cpuPartial: cpuPartialFor(size),
  };
}
