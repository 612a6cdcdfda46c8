import type { SlubOptions } from '../../strategies/slub/base.ts';
import type { Slub618Cache } from '../../strategies/slub/cache-6.18.ts';
import { type SlubGeometry, slubGeometry618 } from '../../strategies/slub/geometry.ts';
import type { PageAllocator } from '../../strategies/types.ts';

/** A model with one rule changed, built as the check builds its own. */
interface ModelVariant {
  readonly name: string;
  create(pages: PageAllocator, options: SlubOptions): Slub618Cache;
}

/**
 * Mutants of the SLUB 6.x model (Slub618Cache, and Slub61Cache, which shares its policy): each
 * changes one kernel rule — a limit, an order, a list end, a step — in a subclass made here, so the
 * model itself carries no test-only branch. A check worth trusting tells each of them from the
 * kernel on some workload. Where a mutant changes a limit inside one function only, it swaps the
 * field for the length of that call.
 */
export interface SlubMutant {
  readonly name: string;
  /** The kernel rule it breaks (file, function). */
  readonly rule: string;
  /** Only a flush (flush_all) or a shrink (kmem_cache_shrink) between events reaches the rule. */
  readonly flushOrShrink?: boolean;
  variant(Base: SlubClass): ModelVariant;
}

type SlubClass = new (pages: PageAllocator, options: SlubOptions) => Slub618Cache;

/** Run `fn` with the model's readonly field `key` set to `value` for the length of the call. */
function swapped<R>(model: object, key: 'geo' | 'cpuPartialSlabs', value: unknown, fn: () => R): R {
  const target = model as Record<string, unknown>;
  const old = target[key];
  target[key] = value;
  try {
    return fn();
  } finally {
    target[key] = old;
  }
}

function withGeometry(name: string, rule: string, change: (g: SlubGeometry, o: SlubOptions) => SlubGeometry) {
  return {
    name,
    rule,
    variant: (Base: SlubClass): ModelVariant => ({
      name,
      create: (pages, o) => new Base(pages, { ...o, geometry: change(o.geometry, o) }),
    }),
  };
}

function subclass(name: string, rule: string, make: (Base: SlubClass) => SlubClass, flushOrShrink = false): SlubMutant {
  return {
    name,
    rule,
    ...(flushOrShrink ? { flushOrShrink } : {}),
    variant: (Base) => ({ name, create: (pages, o) => new (make(Base))(pages, o) }),
  };
}

/** cpu_partial_slabs off by `delta` everywhere it is read (put_cpu_partial, get_partial_node). */
const cpuPartialSlabsOff = (delta: number) =>
  subclass(
    `cpu_partial_slabs ${delta > 0 ? '+' : '−'}${Math.abs(delta)}`,
    'slub_set_cpu_partial: DIV_ROUND_UP(2 × cpu_partial, objects)',
    (Base) =>
      class extends Base {
        constructor(pages: PageAllocator, o: SlubOptions) {
          super(pages, o);
          (this as { cpuPartialSlabs: number }).cpuPartialSlabs += delta;
        }
      },
  );

export const SLUB_MUTANTS: readonly SlubMutant[] = [
  cpuPartialSlabsOff(1),
  cpuPartialSlabsOff(-1),
  withGeometry('min_partial 5 → 4', 'kmem_cache_open: set_min_partial', (g) => ({
    ...g,
    minPartial: g.minPartial - 1,
  })),
  withGeometry('min_partial 5 → 6', 'kmem_cache_open: set_min_partial', (g) => ({
    ...g,
    minPartial: g.minPartial + 1,
  })),
  withGeometry('order from 4× the CPUs', 'calculate_order: num_present_cpus()', (g, o) => {
    const wrong = slubGeometry618(o.objectSize, 4 * o.cpus);
    return { ...g, order: wrong.order, objects: wrong.objects };
  }),
  subclass(
    'drain at > cpu_partial_slabs',
    'put_cpu_partial: oldslab->slabs >= s->cpu_partial_slabs',
    (Base) =>
      class extends Base {
        protected override putCpuPartial(cpu: number, slab: number, drain: boolean): void {
          const head = this.cpuPartial(cpu);
          const onList = head >= 0 ? this.slabsOnList(head) : 0;
          super.putCpuPartial(cpu, slab, drain && onList > this.cpuPartialSlabs);
        }
      },
  ),
  subclass(
    'never drain',
    'put_cpu_partial: a free-side insertion into a full list drains it',
    (Base) =>
      class extends Base {
        protected override putCpuPartial(cpu: number, slab: number): void {
          super.putCpuPartial(cpu, slab, false);
        }
      },
  ),
  subclass(
    'full slab to the node',
    '__slab_free: a slab that was full goes to the freeing CPU partial list, not the node',
    (Base) =>
      class extends Base {
        protected override putCpuPartial(cpu: number, slab: number, drain: boolean): void {
          if (drain) this.addPartial(slab, true);
          else super.putCpuPartial(cpu, slab, drain);
        }
      },
  ),
  subclass(
    'unfreeze to the node head',
    '__put_partials / __unfreeze_partials: add_partial(n, slab, DEACTIVATE_TO_TAIL)',
    (Base) =>
      class extends Base {
        #flip = false;
        protected override putPartials(head: number): void {
          this.#flip = true;
          try {
            super.putPartials(head);
          } finally {
            this.#flip = false;
          }
        }
        protected override addPartial(slab: number, toTail: boolean): void {
          super.addPartial(slab, this.#flip ? !toTail : toTail);
        }
      },
  ),
  subclass(
    'unfreeze discards at nr_partial > min_partial',
    '__put_partials: !new.inuse && n->nr_partial >= s->min_partial',
    (Base) =>
      class extends Base {
        protected override putPartials(head: number): void {
          swapped(this, 'geo', { ...this.geo, minPartial: this.geo.minPartial + 1 }, () => super.putPartials(head));
        }
      },
  ),
  subclass(
    'node refill moves one slab fewer',
    'get_partial_node: break once partial_slabs > cpu_partial_slabs / 2',
    (Base) =>
      class extends Base {
        protected override getPartialNode(cpu: number): number {
          return swapped(this, 'cpuPartialSlabs', Math.max(0, this.cpuPartialSlabs - 2), () =>
            super.getPartialNode(cpu),
          );
        }
      },
  ),
  subclass(
    'node refill moves one slab more',
    'get_partial_node: break once partial_slabs > cpu_partial_slabs / 2',
    (Base) =>
      class extends Base {
        protected override getPartialNode(cpu: number): number {
          return swapped(this, 'cpuPartialSlabs', this.cpuPartialSlabs + 2, () => super.getPartialNode(cpu));
        }
      },
  ),
  subclass(
    'emptied node slab kept',
    '__slab_free: slab_empty when !new.inuse && n->nr_partial >= s->min_partial',
    (Base) =>
      class extends Base {
        protected override slabFree(slab: number, obj: number, cpu: number): void {
          // Only the node-list case: a slab that was full goes to put_cpu_partial, left as it is.
          if (this.freelist(slab) < 0) super.slabFree(slab, obj, cpu);
          else
            swapped(this, 'geo', { ...this.geo, minPartial: Number.POSITIVE_INFINITY }, () =>
              super.slabFree(slab, obj, cpu),
            );
        }
      },
  ),
  subclass(
    'deactivate to the other end',
    'deactivate_slab: DEACTIVATE_TO_TAIL when the slab had remote frees, else to the head',
    (Base) =>
      class extends Base {
        #flip = false;
        protected override deactivateSlab(slab: number, cpuFreelist: number): void {
          this.#flip = true;
          try {
            super.deactivateSlab(slab, cpuFreelist);
          } finally {
            this.#flip = false;
          }
        }
        protected override addPartial(slab: number, toTail: boolean): void {
          super.addPartial(slab, this.#flip ? !toTail : toTail);
        }
      },
    true,
  ),
  subclass(
    'deactivate keeps an empty slab',
    'deactivate_slab: M_FREE when !new.inuse && n->nr_partial >= s->min_partial',
    (Base) =>
      class extends Base {
        protected override deactivateSlab(slab: number, cpuFreelist: number): void {
          swapped(this, 'geo', { ...this.geo, minPartial: Number.POSITIVE_INFINITY }, () =>
            super.deactivateSlab(slab, cpuFreelist),
          );
        }
      },
    true,
  ),
  subclass(
    'flush the partial list first',
    '__flush_cpu_slab: flush_slab (the active slab), then put_partials_cpu',
    (Base) =>
      class extends Base {
        override flushCpu(cpu: number): void {
          const partial = this.cpuPartial(cpu);
          this.setCpuPartial(cpu, -1);
          if (partial >= 0) this.putPartials(partial);
          super.flushCpu(cpu);
        }
      },
    true,
  ),
  subclass(
    'shrink without flushing',
    '__kmem_cache_shrink: flush_all, then __kmem_cache_do_shrink',
    (Base) =>
      class extends Base {
        #shrinking = false;
        override shrink(): void {
          this.#shrinking = true;
          try {
            super.shrink();
          } finally {
            this.#shrinking = false;
          }
        }
        override flushCpu(cpu: number): void {
          if (!this.#shrinking) super.flushCpu(cpu);
        }
      },
    true,
  ),
  subclass(
    'shrink without sorting',
    '__kmem_cache_do_shrink: slabs with ≤ 32 free objects to the head, fewest free first',
    (Base) =>
      class extends Base {
        override shrink(): void {
          for (let cpu = 0; cpu < this.cpus; cpu++) this.flushCpu(cpu);
          for (let slab = this.nodeHead; slab >= 0; ) {
            const following = this.next(slab);
            if (this.inuse(slab) === 0) {
              this.removePartial(slab);
              this.discardSlab(slab);
            }
            slab = following;
          }
        }
      },
    true,
  ),
];
