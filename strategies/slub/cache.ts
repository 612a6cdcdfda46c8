import { hex } from '../machine/constants.ts';
import { __GFP_COMP, __GFP_NORETRY, __GFP_NOWARN, GFP_ATOMIC } from '../machine/gfp.ts';
import type { PageAllocator, TableAllocator } from '../types.ts';
import type { SlubGeometry } from './geometry.ts';

/** Where a slab is: what SLUB itself would derive from c->page, c->partial and n->partial. */
const NOWHERE = 0; // full, on no list (no debug full list)
const CPU_ACTIVE = 1;
const CPU_PARTIAL = 2;
const NODE_PARTIAL = 3;
const FREE_SLOT = 4;

/** SLUB's own size for what it keeps outside the slabs (see metadataBytes). */
export interface SlubMetadata {
  /** struct kmem_cache, from the kmem_cache cache. */
  readonly cacheBytes: number;
  /** struct kmem_cache_node, from the kmem_cache_node cache. */
  readonly nodeBytes: number;
  /** struct kmem_cache_cpu, per possible CPU, from the percpu allocator. */
  readonly perCpuBytes: number;
}

export interface SlubOptions {
  readonly objectSize: number;
  readonly cpus: number;
  readonly geometry: SlubGeometry;
  /** s->allocflags: __GFP_DMA32 for SLAB_CACHE_DMA32, __GFP_DMA for SLAB_CACHE_DMA. */
  readonly allocFlags: number;
  /** The gfp the caller passes to kmem_cache_alloc (io-pgtable-arm-v7s: GFP_ATOMIC). */
  readonly callerGfp?: number;
  readonly metadata: SlubMetadata;
}

/**
 * One SLUB kmem_cache on one node (mm/slub.c, v5.1), without debugging and without freelist
 * randomisation: the per-CPU active slab and lockless freelist, the per-CPU partial list counted in
 * objects (pobjects), the node partial list with min_partial, and the order fallback to s->min.
 * Slabs live in flat arrays indexed by a slab number kept in the head page's page->private.
 */
export class SlubCache implements TableAllocator {
  readonly work = {
    /** ___slab_alloc entries: allocations that missed the lockless c->freelist. */
    slowpath_allocs: 0,
    /** __slab_free entries: frees that missed the CPU's active slab. */
    slowpath_frees: 0,
    /** allocate_slab successes. */
    new_slabs: 0,
    /** allocate_slab had to use s->min (stat ORDER_FALLBACK). */
    order_fallbacks: 0,
    /** Slabs given back to the page allocator (discard_slab). */
    discarded_slabs: 0,
    /** get_partial_node successes. */
    node_partial_takes: 0,
    /** put_cpu_partial drains to the node (stat CPU_PARTIAL_DRAIN). */
    cpu_partial_drains: 0,
  };

  readonly #pages: PageAllocator;
  readonly #size: number;
  readonly #geo: SlubGeometry;
  readonly #allocGfp: number;
  readonly #meta: SlubMetadata;
  readonly #cpus: number;
  readonly #maxObjects: number;

  // Per slab.
  #base = new Float64Array(0);
  #order = new Uint8Array(0);
  #objects = new Uint16Array(0);
  /** page->freelist: first free object index, −1 for NULL. */
  #freeHead = new Int32Array(0);
  #inuse = new Uint16Array(0);
  #frozen = new Uint8Array(0);
  #where = new Uint8Array(0);
  /** Per-CPU partial list is singly linked through #next; the node list doubly through #next/#prev. */
  #next = new Int32Array(0);
  #prev = new Int32Array(0);
  /** page->pobjects and page->pages, set when a slab is pushed on a per-CPU partial list. */
  #pobjects = new Int32Array(0);
  #pagesOnList = new Int32Array(0);
  /** The free pointer inside each free object: next object index, −1 for NULL. */
  #objNext = new Int32Array(0);
  #slabCapacity = 0;
  #freeSlots: number[] = [];
  #slabsUsed = 0;

  // Per CPU (struct kmem_cache_cpu).
  readonly #cpuSlab: Int32Array;
  readonly #cpuFreelist: Int32Array;
  readonly #cpuPartial: Int32Array;

  // The node (struct kmem_cache_node).
  #nodeHead = -1;
  #nodeTail = -1;
  #nrPartial = 0;

  constructor(pages: PageAllocator, o: SlubOptions) {
    this.#pages = pages;
    this.#size = o.objectSize;
    this.#geo = o.geometry;
    this.#cpus = o.cpus;
    this.#meta = o.metadata;
    this.#allocGfp = (o.callerGfp ?? GFP_ATOMIC) | o.allocFlags;
    this.#maxObjects = Math.max(o.geometry.objects, o.geometry.minObjects);
    this.#cpuSlab = new Int32Array(o.cpus).fill(-1);
    this.#cpuFreelist = new Int32Array(o.cpus).fill(-1);
    this.#cpuPartial = new Int32Array(o.cpus).fill(-1);
    this.#grow(16);
  }

  get geometry(): SlubGeometry {
    return this.#geo;
  }

  /** slab_alloc_node(): the lockless fast path, else ___slab_alloc. */
  alloc(cpu: number): number {
    const obj = this.#cpuFreelist[cpu] as number;
    if (obj >= 0) {
      const slab = this.#cpuSlab[cpu] as number;
      this.#cpuFreelist[cpu] = this.#objNext[slab * this.#maxObjects + obj] as number;
      return this.#objectAddress(slab, obj);
    }
    return this.#slowAlloc(cpu);
  }

  /** do_slab_free(): push on c->freelist when the object is in this CPU's active slab, else __slab_free. */
  free(addr: number, cpu: number): void {
    const slab = this.#pages.getPrivate(addr);
    if (slab < 0 || slab >= this.#slabsUsed || this.#where[slab] === FREE_SLOT || (this.#base[slab] as number) > addr) {
      throw new Error(`slub: kmem_cache_free(${hex(addr)}) is not in a slab of this cache`);
    }
    const offset = addr - (this.#base[slab] as number);
    if (offset % this.#size !== 0) throw new Error(`slub: kmem_cache_free(${hex(addr)}) is not an object start`);
    const obj = offset / this.#size;
    if (slab === this.#cpuSlab[cpu]) {
      this.#objNext[slab * this.#maxObjects + obj] = this.#cpuFreelist[cpu] as number;
      this.#cpuFreelist[cpu] = obj;
      return;
    }
    this.#slabFree(slab, obj, cpu);
  }

  /**
   * Everything outside the slab pages themselves: SLUB keeps per-slab state in struct page and the
   * free pointer inside free objects, so only the cache's descriptors count.
   */
  metadataBytes(): number {
    return this.#meta.cacheBytes + this.#meta.nodeBytes + this.#meta.perCpuBytes * this.#cpus;
  }

  /** Any CPU can allocate a freed object again: SLUB strands nothing. */
  strandedBytes(): number {
    return 0;
  }

  /** Slabs on the node partial list (n->nr_partial). */
  get nrPartial(): number {
    return this.#nrPartial;
  }

  /** A picture of the cache, for tests and the trace tool: every slab with its state. */
  slabs(): { base: number; order: number; objects: number; inuse: number; where: string }[] {
    const names = ['full', 'cpu-active', 'cpu-partial', 'node-partial'];
    const out = [];
    for (let s = 0; s < this.#slabsUsed; s++) {
      if (this.#where[s] === FREE_SLOT) continue;
      out.push({
        base: this.#base[s] as number,
        order: this.#order[s] as number,
        objects: this.#objects[s] as number,
        inuse: this.#liveObjects(s),
        where: names[this.#where[s] as number] as string,
      });
    }
    return out.sort((a, b) => a.base - b.base);
  }

  /** Objects allocated to callers (inuse minus what sits on c->freelist for the active slab). */
  #liveObjects(slab: number): number {
    let live = this.#inuse[slab] as number;
    for (let cpu = 0; cpu < this.#cpus; cpu++) {
      if (this.#cpuSlab[cpu] !== slab) continue;
      for (let o = this.#cpuFreelist[cpu] as number; o >= 0; o = this.#objNext[slab * this.#maxObjects + o] as number) {
        live--;
      }
    }
    return live;
  }

  #objectAddress(slab: number, obj: number): number {
    return (this.#base[slab] as number) + obj * this.#size;
  }

  /** ___slab_alloc(): refill from the active slab's page->freelist, the per-CPU partial list, the node, or a new slab. */
  #slowAlloc(cpu: number): number {
    this.work.slowpath_allocs++;
    let slab = this.#cpuSlab[cpu] as number;
    for (;;) {
      if (slab >= 0) {
        // get_freelist(): take the remote frees; an empty one leaves a full slab on no list.
        const freelist = this.#freeHead[slab] as number;
        this.#freeHead[slab] = -1;
        this.#inuse[slab] = this.#objects[slab] as number;
        this.#frozen[slab] = freelist >= 0 ? 1 : 0;
        if (freelist >= 0) return this.#loadFreelist(cpu, slab, freelist);
        this.#where[slab] = NOWHERE;
        this.#cpuSlab[cpu] = -1;
      }
      // new_slab: the per-CPU partial list first (its head, the most recently added).
      const partial = this.#cpuPartial[cpu] as number;
      if (partial < 0) break;
      this.#cpuPartial[cpu] = this.#next[partial] as number;
      this.#cpuSlab[cpu] = partial;
      this.#where[partial] = CPU_ACTIVE;
      slab = partial;
    }
    const fromNode = this.#getPartialNode(cpu);
    if (fromNode >= 0) return this.#loadFreelist(cpu, this.#cpuSlab[cpu] as number, fromNode);
    slab = this.#allocateSlab();
    if (slab < 0) return -1;
    // new_slab_objects(): the whole freelist moves to the CPU; the slab stays frozen.
    const freelist = this.#freeHead[slab] as number;
    this.#freeHead[slab] = -1;
    this.#cpuSlab[cpu] = slab;
    this.#where[slab] = CPU_ACTIVE;
    return this.#loadFreelist(cpu, slab, freelist);
  }

  /** load_freelist: hand out the first object, the rest becomes c->freelist. */
  #loadFreelist(cpu: number, slab: number, freelist: number): number {
    this.#cpuFreelist[cpu] = this.#objNext[slab * this.#maxObjects + freelist] as number;
    return this.#objectAddress(slab, freelist);
  }

  /**
   * get_partial_node(): from the head of the node list, the first slab becomes active with its whole
   * freelist (acquire_slab mode 1); more go to the per-CPU partial list until the objects gathered
   * exceed cpu_partial / 2.
   */
  #getPartialNode(cpu: number): number {
    if (this.#nrPartial === 0) return -1;
    let object = -1;
    let available = 0;
    let slab = this.#nodeHead;
    while (slab >= 0) {
      const following = this.#next[slab] as number;
      const free = (this.#objects[slab] as number) - (this.#inuse[slab] as number);
      const t = this.#freeHead[slab] as number;
      if (object < 0) {
        this.#freeHead[slab] = -1;
        this.#inuse[slab] = this.#objects[slab] as number;
      }
      this.#frozen[slab] = 1;
      this.#removePartial(slab);
      available += free;
      if (object < 0) {
        this.#cpuSlab[cpu] = slab;
        this.#where[slab] = CPU_ACTIVE;
        object = t;
      } else {
        this.#putCpuPartial(cpu, slab, false);
      }
      if (available > Math.floor(this.#geo.cpuPartial / 2)) break;
      slab = following;
    }
    this.work.node_partial_takes++;
    return object;
  }

  /** allocate_slab(): the cache order with NOWARN|NORETRY, else s->min with the plain flags. */
  #allocateSlab(): number {
    const geo = this.#geo;
    let order = geo.order;
    let objects = geo.objects;
    let addr = this.#pages.allocPages(this.#slabGfp(order) | __GFP_NOWARN | __GFP_NORETRY, order);
    if (addr < 0) {
      order = geo.minOrder;
      objects = geo.minObjects;
      addr = this.#pages.allocPages(this.#slabGfp(order), order);
      if (addr < 0) return -1;
      this.work.order_fallbacks++;
    }
    const slab = this.#newSlot();
    this.#base[slab] = addr;
    this.#order[slab] = order;
    this.#objects[slab] = objects;
    this.#inuse[slab] = objects;
    this.#frozen[slab] = 1;
    this.#where[slab] = NOWHERE;
    // Without CONFIG_SLAB_FREELIST_RANDOM the objects are chained in ascending address order.
    const first = slab * this.#maxObjects;
    for (let i = 0; i < objects; i++) this.#objNext[first + i] = i + 1 < objects ? i + 1 : -1;
    this.#freeHead[slab] = 0;
    this.#pages.setPrivate(addr, slab);
    this.work.new_slabs++;
    return slab;
  }

  #slabGfp(order: number): number {
    return order > 0 ? this.#allocGfp | __GFP_COMP : this.#allocGfp;
  }

  /** __slab_free(). */
  #slabFree(slab: number, obj: number, cpu: number): void {
    this.work.slowpath_frees++;
    const prior = this.#freeHead[slab] as number;
    this.#objNext[slab * this.#maxObjects + obj] = prior;
    this.#freeHead[slab] = obj;
    const wasFrozen = this.#frozen[slab] === 1;
    const inuse = (this.#inuse[slab] as number) - 1;
    this.#inuse[slab] = inuse;
    // CONFIG_SLUB_CPU_PARTIAL=y (the SMP default) and no debug flags: kmem_cache_has_cpu_partial() holds.
    let takeNode = false;
    if ((inuse === 0 || prior < 0) && !wasFrozen) {
      if (prior < 0) this.#frozen[slab] = 1;
      else takeNode = true;
    }
    if (!takeNode) {
      // A full slab that got its first free is frozen onto this CPU's partial list.
      if (this.#frozen[slab] === 1 && !wasFrozen) this.#putCpuPartial(cpu, slab, true);
      return;
    }
    if (inuse === 0 && this.#nrPartial >= this.#geo.minPartial) {
      if (prior >= 0) this.#removePartial(slab);
      this.#discardSlab(slab);
    }
    // Otherwise it stays where it is, possibly empty: only a cache without CPU partial lists would
    // add a formerly full slab to the node here.
  }

  /** put_cpu_partial(): push on the head; with drain, a list holding more than cpu_partial objects goes to the node first. */
  #putCpuPartial(cpu: number, slab: number, drain: boolean): void {
    let old = this.#cpuPartial[cpu] as number;
    let pages = 0;
    let pobjects = 0;
    if (old >= 0) {
      pobjects = this.#pobjects[old] as number;
      pages = this.#pagesOnList[old] as number;
      if (drain && pobjects > this.#geo.cpuPartial) {
        this.#unfreezePartials(cpu);
        this.work.cpu_partial_drains++;
        old = -1;
        pobjects = 0;
        pages = 0;
      }
    }
    pages++;
    pobjects += (this.#objects[slab] as number) - (this.#inuse[slab] as number);
    this.#pagesOnList[slab] = pages;
    this.#pobjects[slab] = pobjects;
    this.#next[slab] = old;
    this.#cpuPartial[cpu] = slab;
    this.#where[slab] = CPU_PARTIAL;
    if (this.#geo.cpuPartial === 0) this.#unfreezePartials(cpu);
  }

  /** unfreeze_partials(): every per-CPU partial slab to the node tail, empty ones discarded once min_partial are there. */
  #unfreezePartials(cpu: number): void {
    let discard = -1;
    for (let slab = this.#cpuPartial[cpu] as number; slab >= 0; slab = this.#cpuPartial[cpu] as number) {
      this.#cpuPartial[cpu] = this.#next[slab] as number;
      this.#frozen[slab] = 0;
      if (this.#inuse[slab] === 0 && this.#nrPartial >= this.#geo.minPartial) {
        this.#next[slab] = discard;
        this.#where[slab] = NOWHERE;
        discard = slab;
      } else {
        this.#addPartial(slab, true);
      }
    }
    while (discard >= 0) {
      const slab = discard;
      discard = this.#next[slab] as number;
      this.#discardSlab(slab);
    }
  }

  /** add_partial(): n->nr_partial++, at the head or the tail. */
  #addPartial(slab: number, toTail: boolean): void {
    this.#nrPartial++;
    this.#where[slab] = NODE_PARTIAL;
    if (this.#nodeHead < 0) {
      this.#next[slab] = -1;
      this.#prev[slab] = -1;
      this.#nodeHead = slab;
      this.#nodeTail = slab;
    } else if (toTail) {
      this.#prev[slab] = this.#nodeTail;
      this.#next[slab] = -1;
      this.#next[this.#nodeTail] = slab;
      this.#nodeTail = slab;
    } else {
      this.#next[slab] = this.#nodeHead;
      this.#prev[slab] = -1;
      this.#prev[this.#nodeHead] = slab;
      this.#nodeHead = slab;
    }
  }

  #removePartial(slab: number): void {
    const next = this.#next[slab] as number;
    const prev = this.#prev[slab] as number;
    if (prev < 0) this.#nodeHead = next;
    else this.#next[prev] = next;
    if (next < 0) this.#nodeTail = prev;
    else this.#prev[next] = prev;
    this.#nrPartial--;
    this.#where[slab] = NOWHERE;
  }

  /** discard_slab(): the slab's pages go back to the page allocator. */
  #discardSlab(slab: number): void {
    this.#pages.freePages(this.#base[slab] as number, this.#order[slab] as number);
    this.#where[slab] = FREE_SLOT;
    this.#freeSlots.push(slab);
    this.work.discarded_slabs++;
  }

  #newSlot(): number {
    const reused = this.#freeSlots.pop();
    if (reused !== undefined) return reused;
    if (this.#slabsUsed === this.#slabCapacity) this.#grow(this.#slabCapacity * 2);
    return this.#slabsUsed++;
  }

  #grow(capacity: number): void {
    const copy = <T extends Float64Array | Int32Array | Uint16Array | Uint8Array>(
      old: T,
      make: (n: number) => T,
      n: number,
    ) => {
      const next = make(n);
      next.set(old);
      return next;
    };
    this.#base = copy(this.#base, (n) => new Float64Array(n), capacity);
    this.#order = copy(this.#order, (n) => new Uint8Array(n), capacity);
    this.#objects = copy(this.#objects, (n) => new Uint16Array(n), capacity);
    this.#freeHead = copy(this.#freeHead, (n) => new Int32Array(n), capacity);
    this.#inuse = copy(this.#inuse, (n) => new Uint16Array(n), capacity);
    this.#frozen = copy(this.#frozen, (n) => new Uint8Array(n), capacity);
    this.#where = copy(this.#where, (n) => new Uint8Array(n), capacity);
    this.#next = copy(this.#next, (n) => new Int32Array(n), capacity);
    this.#prev = copy(this.#prev, (n) => new Int32Array(n), capacity);
    this.#pobjects = copy(this.#pobjects, (n) => new Int32Array(n), capacity);
    this.#pagesOnList = copy(this.#pagesOnList, (n) => new Int32Array(n), capacity);
    this.#objNext = copy(this.#objNext, (n) => new Int32Array(n), capacity * this.#maxObjects);
    this.#slabCapacity = capacity;
  }
}
