import { CPU_ACTIVE as ACTIVE, NOWHERE as FULL, CPU_PARTIAL as PARTIAL, SlubCacheBase } from './base.ts';

/** Module-local copies of imported constants: V8 folds these into the code, an imported binding is loaded and checked at every use. */
const CPU_ACTIVE = ACTIVE;
const CPU_PARTIAL = PARTIAL;
const NOWHERE = FULL;

/**
 * One SLUB kmem_cache on one node as Linux v5.1 runs it (mm/slub.c): the per-CPU partial list is
 * counted in objects (pobjects, summed at insertion and never refreshed) and its slabs are frozen;
 * get_partial_node gathers slabs until more than cpu_partial / 2 objects are free. The storage,
 * fast paths and node list are the shared SlubCacheBase.
 */
export class SlubCache extends SlubCacheBase {
  /** ___slab_alloc(): refill from the active slab's page->freelist, the per-CPU partial list, the node, or a new slab. */
  protected override slowAlloc(cpu: number): number {
    this.work.slowpath_allocs++;
    let slab = this.cpuSlab(cpu);
    for (;;) {
      if (slab >= 0) {
        // get_freelist(): take the remote frees; an empty one leaves a full slab on no list.
        const freelist = this.freelist(slab);
        this.setFreelist(slab, -1);
        this.setInuse(slab, this.objects(slab));
        this.setFrozen(slab, freelist >= 0);
        if (freelist >= 0) return this.loadFreelist(cpu, slab, freelist);
        this.setWhere(slab, NOWHERE);
        this.setCpuSlab(cpu, -1);
      }
      // new_slab: the per-CPU partial list first (its head, the most recently added).
      const partial = this.cpuPartial(cpu);
      if (partial < 0) break;
      this.setCpuPartial(cpu, this.next(partial));
      this.setCpuSlab(cpu, partial);
      this.setWhere(partial, CPU_ACTIVE);
      slab = partial;
    }
    const fromNode = this.getPartialNode(cpu);
    if (fromNode >= 0) return this.loadFreelist(cpu, this.cpuSlab(cpu), fromNode);
    slab = this.allocateSlab();
    if (slab < 0) return -1;
    // new_slab_objects(): the whole freelist moves to the CPU; the slab stays frozen.
    return this.activateNewSlab(cpu, slab);
  }

  /**
   * get_partial_node(): from the head of the node list, the first slab becomes active with its whole
   * freelist (acquire_slab mode 1); more go to the per-CPU partial list until the objects gathered
   * exceed cpu_partial / 2.
   */
  private getPartialNode(cpu: number): number {
    if (this.nrPartialSlabs === 0) return -1;
    let object = -1;
    let available = 0;
    let slab = this.nodeHead;
    while (slab >= 0) {
      const following = this.next(slab);
      const free = this.objects(slab) - this.inuse(slab);
      const t = this.freelist(slab);
      if (object < 0) {
        this.setFreelist(slab, -1);
        this.setInuse(slab, this.objects(slab));
      }
      this.setFrozen(slab, true);
      this.removePartial(slab);
      available += free;
      if (object < 0) {
        this.setCpuSlab(cpu, slab);
        this.setWhere(slab, CPU_ACTIVE);
        object = t;
      } else {
        this.putCpuPartial(cpu, slab, false);
      }
      if (available > Math.floor(this.geo.cpuPartial / 2)) break;
      slab = following;
    }
    this.work.node_partial_takes++;
    return object;
  }

  /** __slab_free(). */
  protected override slabFree(slab: number, obj: number, cpu: number): void {
    this.work.slowpath_frees++;
    const prior = this.freelist(slab);
    this.setFreepointer(slab, obj, prior);
    this.setFreelist(slab, obj);
    const wasFrozen = this.frozen(slab);
    const inuse = this.inuse(slab) - 1;
    this.setInuse(slab, inuse);
    // CONFIG_SLUB_CPU_PARTIAL=y (the SMP default) and no debug flags: kmem_cache_has_cpu_partial() holds.
    let takeNode = false;
    if ((inuse === 0 || prior < 0) && !wasFrozen) {
      if (prior < 0) this.setFrozen(slab, true);
      else takeNode = true;
    }
    if (!takeNode) {
      // A full slab that got its first free is frozen onto this CPU's partial list.
      if (this.frozen(slab) && !wasFrozen) this.putCpuPartial(cpu, slab, true);
      return;
    }
    if (inuse === 0 && this.nrPartialSlabs >= this.geo.minPartial) {
      if (prior >= 0) this.removePartial(slab);
      this.discardSlab(slab);
    }
    // Otherwise it stays where it is, possibly empty: only a cache without CPU partial lists would
    // add a formerly full slab to the node here.
  }

  /** put_cpu_partial(): push on the head; with drain, a list holding more than cpu_partial objects goes to the node first. */
  private putCpuPartial(cpu: number, slab: number, drain: boolean): void {
    let old = this.cpuPartial(cpu);
    let pages = 0;
    let pobjects = 0;
    if (old >= 0) {
      pobjects = this.pobjects(old);
      pages = this.slabsOnList(old);
      if (drain && pobjects > this.geo.cpuPartial) {
        this.unfreezePartials(cpu);
        this.work.cpu_partial_drains++;
        old = -1;
        pobjects = 0;
        pages = 0;
      }
    }
    pages++;
    pobjects += this.objects(slab) - this.inuse(slab);
    this.setSlabsOnList(slab, pages);
    this.setPobjects(slab, pobjects);
    this.setNext(slab, old);
    this.setCpuPartial(cpu, slab);
    this.setWhere(slab, CPU_PARTIAL);
    if (this.geo.cpuPartial === 0) this.unfreezePartials(cpu);
  }

  /** unfreeze_partials(): every per-CPU partial slab to the node tail, empty ones discarded once min_partial are there. */
  private unfreezePartials(cpu: number): void {
    let discard = -1;
    for (let slab = this.cpuPartial(cpu); slab >= 0; slab = this.cpuPartial(cpu)) {
      this.setCpuPartial(cpu, this.next(slab));
      this.setFrozen(slab, false);
      if (this.inuse(slab) === 0 && this.nrPartialSlabs >= this.geo.minPartial) {
        this.setNext(slab, discard);
        this.setWhere(slab, NOWHERE);
        discard = slab;
      } else {
        this.addPartial(slab, true);
      }
    }
    while (discard >= 0) {
      const slab = discard;
      discard = this.next(slab);
      this.discardSlab(slab);
    }
  }
}
