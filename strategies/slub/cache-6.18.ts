import type { PageAllocator, SlabCounters, SlabSysfs } from '../types.ts';
import { CPU_ACTIVE, CPU_PARTIAL, FREE_SLOT, NODE_PARTIAL, NOWHERE, SlubCacheBase, type SlubOptions } from './base.ts';
import { cpuPartialSlabs } from './geometry.ts';

/** kmem_cache_shrink() moves slabs with at most this many free objects to the head, fullest first. */
const SHRINK_PROMOTE_MAX = 32;

/**
 * One SLUB kmem_cache on one node as Linux 6.8 through 6.18 run it (mm/slub.c since "delay freezing
 * of partial slabs", without sheaves: sheaf_capacity 0), section B2 of the kernel notes:
 * - only the CPU's active slab is frozen; slabs on a CPU partial list are not;
 * - the per-CPU partial list is limited in slabs, cpu_partial_slabs = ceil(2 × cpu_partial / objects);
 * - a free that makes a full slab partial puts it on the freeing CPU's partial list, draining the old
 *   list to the node when it already holds cpu_partial_slabs (`put_cpu_partial`, `__put_partials`);
 * - get_partial_node takes one active slab and moves more to the CPU until more than
 *   cpu_partial_slabs / 2 have been moved;
 * - deactivate_slab runs on flush and shrink only.
 * Storage, fast paths, the node list and allocate_slab are the shared SlubCacheBase.
 */
export class Slub618Cache extends SlubCacheBase {
  /** s->cpu_partial_slabs (slub_set_cpu_partial). */
  readonly cpuPartialSlabs: number;
  /**
   * get_partial_node() with cpu_partial_slabs 0: 6.18 keeps the first slab only; 6.1 (Slub61Cache)
   * tests `partial_slabs > cpu_partial_slabs / 2` after each slab, so it moves one more.
   */
  protected readonly stopsAtFirstWithoutLimit: boolean = true;

  constructor(pages: PageAllocator, o: SlubOptions) {
    super(pages, o);
    this.cpuPartialSlabs = cpuPartialSlabs(o.geometry.cpuPartial, o.geometry.objects);
  }

  /**
   * ___slab_alloc(): the active slab's own freelist (remote frees, get_freelist), else the head of
   * the CPU's partial list (freeze_slab), else get_partial_node, else a new slab.
   */
  protected override slowAlloc(cpu: number): number {
    this.work.slowpath_allocs++;
    const active = this.cpuSlab(cpu);
    if (active >= 0) {
      const freelist = this.getFreelist(active);
      if (freelist >= 0) return this.loadFreelist(cpu, active, freelist);
      // Full: it leaves the CPU on no list (DEACTIVATE_BYPASS), no deactivate_slab.
      this.setWhere(active, NOWHERE);
      this.setCpuSlab(cpu, -1);
    }
    // new_slab: the head of the CPU partial list (the most recently added).
    const partial = this.cpuPartial(cpu);
    if (partial >= 0) {
      this.setCpuPartial(cpu, this.next(partial));
      return this.loadFreelist(cpu, partial, this.freezeSlab(cpu, partial));
    }
    const fromNode = this.getPartialNode(cpu);
    if (fromNode >= 0) return this.loadFreelist(cpu, fromNode, this.freezeSlab(cpu, fromNode));
    const slab = this.allocateSlab();
    if (slab < 0) return -1;
    return this.activateNewSlab(cpu, slab);
  }

  /** get_freelist(): take slab->freelist for the CPU; the slab stays frozen only if it had one. */
  private getFreelist(slab: number): number {
    const freelist = this.freelist(slab);
    this.setFreelist(slab, -1);
    this.setInuse(slab, this.objects(slab));
    this.setFrozen(slab, freelist >= 0);
    return freelist;
  }

  /** freeze_slab(): a partial slab becomes the CPU's active slab with its whole freelist. */
  private freezeSlab(cpu: number, slab: number): number {
    const freelist = this.freelist(slab);
    this.setFreelist(slab, -1);
    this.setInuse(slab, this.objects(slab));
    this.setFrozen(slab, true);
    this.setCpuSlab(cpu, slab);
    this.setWhere(slab, CPU_ACTIVE);
    return freelist;
  }

  /**
   * get_partial_node(): from the node list's head, the first slab is taken for the CPU; each
   * following one goes to put_cpu_partial(drain=0), stopping once more than cpu_partial_slabs / 2
   * have been moved (on 6.18 at once when cpu_partial_slabs is 0). Returns the first slab, or −1.
   */
  protected getPartialNode(cpu: number): number {
    if (this.nrPartialSlabs === 0) return -1;
    let first = -1;
    let moved = 0;
    const limit = this.cpuPartialSlabs;
    let slab = this.nodeHead;
    while (slab >= 0) {
      const following = this.next(slab);
      this.removePartial(slab);
      if (first < 0) {
        first = slab;
        if (limit === 0 && this.stopsAtFirstWithoutLimit) break;
      } else {
        this.putCpuPartial(cpu, slab, false);
        if (++moved > Math.floor(limit / 2)) break;
      }
      slab = following;
    }
    this.work.node_partial_takes++;
    return first;
  }

  /**
   * __slab_free(): the object goes on slab->freelist; then a frozen (another CPU's active) slab
   * needs nothing; a full slab goes to the freeing CPU's partial list (even if now empty); a slab on
   * the node list that became empty is discarded once nr_partial ≥ min_partial; a slab on a CPU
   * partial list stays there, empty or not.
   */
  protected override slabFree(slab: number, obj: number, cpu: number): void {
    this.work.slowpath_frees++;
    const prior = this.freelist(slab);
    this.setFreepointer(slab, obj, prior);
    this.setFreelist(slab, obj);
    const inuse = this.inuse(slab) - 1;
    this.setInuse(slab, inuse);
    if (this.frozen(slab)) return;
    if (prior < 0) {
      this.putCpuPartial(cpu, slab, true);
      return;
    }
    if (inuse !== 0 || this.where(slab) !== NODE_PARTIAL) return;
    if (this.nrPartialSlabs >= this.geo.minPartial) {
      this.removePartial(slab);
      this.discardSlab(slab);
    }
  }

  /**
   * put_cpu_partial(): push on this CPU's partial list; with drain, a list already holding
   * cpu_partial_slabs is first detached and given to __put_partials, and the slab starts a new one.
   */
  protected putCpuPartial(cpu: number, slab: number, drain: boolean): void {
    let old = this.cpuPartial(cpu);
    let slabs = 0;
    let toPut = -1;
    if (old >= 0) {
      if (drain && this.slabsOnList(old) >= this.cpuPartialSlabs) {
        toPut = old;
        old = -1;
      } else {
        slabs = this.slabsOnList(old);
      }
    }
    this.setSlabsOnList(slab, slabs + 1);
    this.setNext(slab, old);
    this.setCpuPartial(cpu, slab);
    this.setWhere(slab, CPU_PARTIAL);
    if (toPut >= 0) {
      this.putPartials(toPut);
      this.work.cpu_partial_drains++;
    }
  }

  /**
   * __put_partials(): walk a detached per-CPU list from its head: an empty slab is discarded when
   * nr_partial ≥ min_partial at that moment, any other slab goes to the node list's tail.
   */
  protected putPartials(head: number): void {
    let discard = -1;
    for (let slab = head; slab >= 0; ) {
      const following = this.next(slab);
      if (this.inuse(slab) === 0 && this.nrPartialSlabs >= this.geo.minPartial) {
        this.setNext(slab, discard);
        this.setWhere(slab, NOWHERE);
        discard = slab;
      } else {
        this.addPartial(slab, true);
      }
      slab = following;
    }
    while (discard >= 0) {
      const slab = discard;
      discard = this.next(slab);
      this.discardSlab(slab);
    }
  }

  /**
   * deactivate_slab(): the CPU's lockless freelist is spliced in front of slab->freelist and the
   * slab unfrozen; then it is discarded if empty and nr_partial ≥ min_partial, else added to the
   * node list (at the tail if it had remote frees, at the head if not), unless it is full.
   */
  protected deactivateSlab(slab: number, cpuFreelist: number): void {
    const toTail = this.freelist(slab) >= 0;
    if (cpuFreelist >= 0) {
      let count = 1;
      let tail = cpuFreelist;
      for (let o = this.getFreepointer(slab, tail); o >= 0; o = this.getFreepointer(slab, o)) {
        tail = o;
        count++;
      }
      this.setFreepointer(slab, tail, this.freelist(slab));
      this.setFreelist(slab, cpuFreelist);
      this.setInuse(slab, this.inuse(slab) - count);
    }
    this.setFrozen(slab, false);
    this.setWhere(slab, NOWHERE);
    if (this.inuse(slab) === 0 && this.nrPartialSlabs >= this.geo.minPartial) {
      this.discardSlab(slab);
    } else if (this.freelist(slab) >= 0) {
      this.addPartial(slab, toTail);
    }
  }

  /** has_cpu_slab(): whether flush_all() queues a flush on this CPU (an active slab or a partial list). */
  hasCpuSlab(cpu: number): boolean {
    return this.cpuSlab(cpu) >= 0 || this.cpuPartial(cpu) >= 0;
  }

  /** How many CPUs has_cpu_slab() is true for. */
  cpusHoldingSlabs(): number {
    let n = 0;
    for (let cpu = 0; cpu < this.cpus; cpu++) if (this.hasCpuSlab(cpu)) n++;
    return n;
  }

  /** flush_all(): flush_cpu_slab() on every CPU that holds slabs (here in CPU order). */
  flushAll(): void {
    for (let cpu = 0; cpu < this.cpus; cpu++) if (this.hasCpuSlab(cpu)) this.flushCpu(cpu);
  }

  /** flush_cpu_slab(): flush_slab() (deactivate the active slab), then put_partials() for the CPU list. */
  flushCpu(cpu: number): void {
    const slab = this.cpuSlab(cpu);
    if (slab >= 0) {
      const freelist = this.cpuFreelist(cpu);
      this.setCpuSlab(cpu, -1);
      this.setCpuFreelist(cpu, -1);
      this.deactivateSlab(slab, freelist);
    }
    const partial = this.cpuPartial(cpu);
    this.setCpuPartial(cpu, -1);
    if (partial >= 0) this.putPartials(partial);
  }

  /**
   * kmem_cache_shrink() (`echo 1 > /sys/kernel/slab/<cache>/shrink`), __kmem_cache_do_shrink():
   * flush every CPU (here in CPU order; the kernel flushes them concurrently, so the node order
   * after a shrink with live objects is a race), discard every empty slab on the node list, and
   * move the slabs with at most 32 free objects to the head, fewest free first.
   */
  shrink(): void {
    for (let cpu = 0; cpu < this.cpus; cpu++) this.flushCpu(cpu);
    // promote[i]: slabs with i + 1 free objects, each list_move()d to its bucket's head.
    const promote: number[][] = Array.from({ length: SHRINK_PROMOTE_MAX }, () => []);
    const discard: number[] = [];
    for (let slab = this.nodeHead; slab >= 0; ) {
      const following = this.next(slab);
      const free = this.objects(slab) - this.inuse(slab);
      if (free === this.objects(slab)) {
        this.removePartial(slab);
        discard.push(slab);
      } else if (free <= SHRINK_PROMOTE_MAX) {
        this.removePartial(slab);
        (promote[free - 1] as number[]).unshift(slab);
      }
      slab = following;
    }
    // list_splice() of each bucket at the head, from the emptiest bucket down to the fullest.
    for (let i = SHRINK_PROMOTE_MAX - 1; i >= 0; i--) {
      const bucket = promote[i] as number[];
      for (let j = bucket.length - 1; j >= 0; j--) this.addPartial(bucket[j] as number, false);
    }
    for (const slab of discard) this.discardSlab(slab);
  }

  /**
   * The four sysfs counters a live check compares, in O(CPUs): `slabs`, `partial`, `cpu_slabs` (a CPU
   * with an active slab adds 1 + its partial list's slab count; one without adds nothing) and the
   * slab total of `slabs_cpu_partial`.
   */
  sysfsCounters(out: SlabCounters): SlabCounters {
    let cpuSlabs = 0;
    let cpuPartialTotal = 0;
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      const head = this.cpuPartial(cpu);
      const onList = head >= 0 ? this.slabsOnList(head) : 0;
      cpuPartialTotal += onList;
      if (this.cpuSlab(cpu) >= 0) cpuSlabs += 1 + onList;
    }
    out.slabs = this.slabCount;
    out.partial = this.nrPartialSlabs;
    out.cpu_slabs = cpuSlabs;
    out.slabs_cpu_partial = cpuPartialTotal;
    return out;
  }

  /** What sysfs would show now (show_slab_objects, slabs_cpu_partial_show), for one node. */
  sysfsView(): SlabSysfs {
    let slabs = 0;
    let totalObjects = 0;
    for (let s = 0; s < this.rowsEnd; s += this.stride) {
      if (this.where(s) === FREE_SLOT) continue;
      slabs++;
      totalObjects += this.objects(s);
    }
    let nodeFree = 0;
    let objectsPartial = 0;
    for (let s = this.nodeHead; s >= 0; s = this.next(s)) {
      nodeFree += this.objects(s) - this.inuse(s);
      objectsPartial += this.inuse(s);
    }
    let cpuSlabs = 0;
    let cpuPartialTotal = 0;
    const byCpu: number[] = [];
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      const head = this.cpuPartial(cpu);
      const onList = head >= 0 ? this.slabsOnList(head) : 0;
      byCpu.push(onList);
      cpuPartialTotal += onList;
      if (this.cpuSlab(cpu) >= 0) cpuSlabs += 1 + onList;
    }
    return {
      slabs,
      partial: this.nrPartialSlabs,
      cpu_slabs: cpuSlabs,
      slabs_cpu_partial: cpuPartialTotal,
      slabs_cpu_partial_by_cpu: byCpu,
      objects: totalObjects - nodeFree,
      objects_partial: objectsPartial,
      total_objects: totalObjects,
    };
  }
}
