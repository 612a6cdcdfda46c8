import { Slub618Cache } from './cache-6.18.ts';

/**
 * One SLUB kmem_cache on one node as Linux 6.1 runs it (mm/slub.c, read in 6.1.0 and 6.1.166, the
 * same in every function below apart from debug paths). Its policy is 6.18's (Slub618Cache), since
 * the per-CPU partial list has counted slabs since b47291ef02b0 [log]:
 * - put_cpu_partial() drains a list already holding cpu_partial_slabs to the node
 *   (__unfreeze_partials, to the tail; an empty slab discarded once nr_partial ≥ min_partial);
 * - get_partial_node() takes one active slab and moves more until more than cpu_partial_slabs / 2
 *   have been moved;
 * - __slab_free() puts a slab that was full on the freeing CPU's list, discards a slab of the node
 *   list that became empty once nr_partial ≥ min_partial, and leaves any other slab where it is;
 * - deactivate_slab(), flush_cpu_slab() and __kmem_cache_do_shrink() are 6.18's line for line.
 * What differs is invisible in counts: slabs on a CPU partial list are frozen on 6.1 (6.8 stopped
 * freezing them), so a free into one stops at `was_frozen` where 6.18 finds it off the node list.
 * The one observable difference: with cpu_partial_slabs 0 (sysfs cpu_partial=0), 6.1's
 * get_partial_node moves one slab to the CPU list after the first, where 6.18 stops at the first.
 * The geometry is slubGeometry61 (v5.1's calculate_order, 6.18's set_cpu_partial).
 */
export class Slub61Cache extends Slub618Cache {
  protected override readonly stopsAtFirstWithoutLimit = false;
}
