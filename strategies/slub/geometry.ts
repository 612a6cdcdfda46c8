import { PAGE_SIZE } from '../../core/sizes.ts';
import { MAX_ORDER } from '../machine/constants.ts';

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
export function getOrder(bytes: number): number {
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

// Linux 6.18 (mm/slub.c after the Sep 2023 calculate_order refactor and the Oct 2021 cpu_partial sizes).

/**
 * calc_slab_order() since the Sep 2023 refactor: the smallest order from `minOrder` up to
 * `maxOrder` whose leftover is at most 1/fraction of the slab (maxOrder + 1 when none is).
 */
function calcSlabOrder(size: number, minOrder: number, maxOrder: number, fraction: number): number {
  let order = minOrder;
  for (; order <= maxOrder; order++) {
    const slabSize = PAGE_SIZE * 2 ** order;
    if (slabSize % size <= slabSize / fraction) break;
  }
  return order;
}

/**
 * calculate_order() of Linux 6.18 for `size`-byte objects, `nrCpus` being num_present_cpus() (or
 * nr_cpu_ids when that is ≤ 1): min_objects = 4 × (fls(nrCpus) + 1), capped at what an order
 * slub_max_order slab holds, fixes min_order = max(slub_min_order, get_order(min_objects × size));
 * then fractions 16, 8, 4, 2 are tried from that order up. Unlike v5.1, min_objects is never
 * lowered, and a leftover of up to 1/2 is accepted before giving up. Beyond slub_max_order, the
 * order that holds one object.
 */
export function calculateOrder618(size: number, nrCpus: number, t: SlubTunables = SLUB_DEFAULTS): number {
  let minObjects = t.minObjects || 4 * (fls(nrCpus) + 1);
  const maxObjects = Math.max(orderObjects(t.maxOrder, size), 1);
  minObjects = Math.min(minObjects, maxObjects);
  const minOrder = Math.max(t.minOrder, getOrder(minObjects * size));
  if (orderObjects(minOrder, size) > MAX_OBJS_PER_PAGE) return getOrder(size * MAX_OBJS_PER_PAGE) - 1;
  for (let fraction = 16; fraction > 1; fraction /= 2) {
    const order = calcSlabOrder(size, minOrder, t.maxOrder, fraction);
    if (order <= t.maxOrder) return order;
  }
  const order = getOrder(size);
  if (order < MAX_ORDER) return order; // MAX_PAGE_ORDER = 10 is the largest order in 6.18
  throw new RangeError(`no slab order fits ${size}-byte objects`);
}

/** set_cpu_partial() of Linux 6.18 (sizes raised in Oct 2021), in objects (sysfs cpu_partial). */
export function cpuPartialFor618(size: number): number {
  if (size >= PAGE_SIZE) return 6;
  if (size >= 1024) return 24;
  if (size >= 256) return 52;
  return 120;
}

/**
 * slub_set_cpu_partial(): since 5.17 (b47291ef02b0) the per-CPU partial list is limited in slabs,
 * assuming them half full: ceil(2 × cpu_partial / objects per slab).
 */
export function cpuPartialSlabs(cpuPartial: number, objectsPerSlab: number): number {
  return Math.ceil((2 * cpuPartial) / objectsPerSlab);
}

/**
 * kmem_cache_open()'s geometry on Linux 6.1 (mm/slub.c, read in 6.1.0 and 6.1.166): v5.1's
 * calculate_order() loop (calc_slab_order, fractions 16 to 4, min_objects lowered one by one), fed
 * with num_present_cpus() since 3286222fc609 (v5.11) instead of nr_cpu_ids — both are `nrCpus`
 * here — and 6.18's set_cpu_partial() sizes (24 objects for 1 KiB, 23e98ad1ce89, v5.16). For 1 KiB
 * objects it gives the same order and objects as 6.18's refactored calculate_order.
 */
export function slubGeometry61(size: number, nrCpus: number, t: SlubTunables = SLUB_DEFAULTS): SlubGeometry {
  return { ...slubGeometry(size, nrCpus, t), cpuPartial: cpuPartialFor618(size) };
}

/** kmem_cache_open()'s geometry on Linux 6.18 for `size`-byte objects with `nrCpus` present CPUs. */
export function slubGeometry618(size: number, nrCpus: number, t: SlubTunables = SLUB_DEFAULTS): SlubGeometry {
  const order = calculateOrder618(size, nrCpus, t);
  const minOrder = getOrder(size);
  return {
    order,
    objects: orderObjects(order, size),
    minOrder,
    minObjects: orderObjects(minOrder, size),
    minPartial: minPartialFor(size),
    cpuPartial: cpuPartialFor618(size),
  };
}
