import { hex } from '../machine/constants.ts';
import { __GFP_COMP, __GFP_NORETRY, __GFP_NOWARN, GFP_ATOMIC } from '../machine/gfp.ts';
import type { PageAllocator, TableAllocator } from '../types.ts';
import type { SlubGeometry } from './geometry.ts';

/** Where a slab is: what SLUB itself would derive from c->slab, c->partial and n->partial. */
export const NOWHERE = 0; // full, on no list (no debug full list)
export const CPU_ACTIVE = 1;
export const CPU_PARTIAL = 2;
export const NODE_PARTIAL = 3;
export const FREE_SLOT = 4;

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
  /** s->size: the object stride in the slab (the v7s cache and msg_msg-1k: 1024). */
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
 * What every SLUB version modelled here shares (mm/slub.c, one node, no debugging, no freelist
 * randomisation): the slabs in flat arrays indexed by a slab number kept in the head page's
 * page->private, each slab's freelist threaded through its free objects, the per-CPU active slab
 * with its lockless freelist, the node partial list, allocate_slab with its order fallback, and
 * discard_slab. The versions differ in policy: the slow paths of allocation and free and how slabs
 * move between the per-CPU and node lists. Subclasses supply those (`slowAlloc`, `slabFree`).
 */
export abstract class SlubCacheBase implements TableAllocator {
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

  protected readonly pages: PageAllocator;
  protected readonly size: number;
  protected readonly geo: SlubGeometry;
  protected readonly allocGfp: number;
  protected readonly meta: SlubMetadata;
  protected readonly cpus: number;
  /** Stride of the per-slab rows of objNext: the most objects any slab of this cache holds. */
  protected readonly maxObjects: number;

  // Per slab.
  protected base = new Float64Array(0);
  protected order = new Uint8Array(0);
  protected objects = new Uint16Array(0);
  /** slab->freelist: first free object index, −1 for NULL. */
  protected freeHead = new Int32Array(0);
  /** slab->inuse: objects not on slab->freelist (a CPU slab counts its lockless freelist as in use). */
  protected inuse = new Uint16Array(0);
  protected frozen = new Uint8Array(0);
  protected where = new Uint8Array(0);
  /** Per-CPU partial lists are singly linked through `next`; the node list doubly through `next`/`prev`. */
  protected next = new Int32Array(0);
  protected prev = new Int32Array(0);
  /** v5.1 page->pobjects (objects on the per-CPU list at insertion); unused by later versions. */
  protected pobjects = new Int32Array(0);
  /** Slabs on the per-CPU partial list from this one down, set at insertion (v5.1 page->pages, 6.x slab->slabs). */
  protected pagesOnList = new Int32Array(0);
  /** The free pointer inside each free object: next object index, −1 for NULL. */
  protected objNext = new Int32Array(0);
  protected slabCapacity = 0;
  protected freeSlots: number[] = [];
  protected slabsUsed = 0;

  // Per CPU (struct kmem_cache_cpu).
  protected readonly cpuSlab: Int32Array;
  protected readonly cpuFreelist: Int32Array;
  protected readonly cpuPartial: Int32Array;

  // The node (struct kmem_cache_node).
  protected nodeHead = -1;
  protected nodeTail = -1;
  protected nrPartialSlabs = 0;

  constructor(pages: PageAllocator, o: SlubOptions) {
    this.pages = pages;
    this.size = o.objectSize;
    this.geo = o.geometry;
    this.cpus = o.cpus;
    this.meta = o.metadata;
    this.allocGfp = (o.callerGfp ?? GFP_ATOMIC) | o.allocFlags;
    this.maxObjects = Math.max(o.geometry.objects, o.geometry.minObjects);
    this.cpuSlab = new Int32Array(o.cpus).fill(-1);
    this.cpuFreelist = new Int32Array(o.cpus).fill(-1);
    this.cpuPartial = new Int32Array(o.cpus).fill(-1);
    this.grow(16);
  }

  get geometry(): SlubGeometry {
    return this.geo;
  }

  /** slab_alloc_node(): the lockless fast path, else ___slab_alloc. */
  alloc(cpu: number): number {
    const obj = this.cpuFreelist[cpu] as number;
    if (obj >= 0) {
      const slab = this.cpuSlab[cpu] as number;
      this.cpuFreelist[cpu] = this.objNext[slab * this.maxObjects + obj] as number;
      return this.objectAddress(slab, obj);
    }
    return this.slowAlloc(cpu);
  }

  /** do_slab_free(): push on c->freelist when the object is in this CPU's active slab, else __slab_free. */
  free(addr: number, cpu: number): void {
    const slab = this.pages.getPrivate(addr);
    if (slab < 0 || slab >= this.slabsUsed || this.where[slab] === FREE_SLOT || (this.base[slab] as number) > addr) {
      throw new Error(`slub: kmem_cache_free(${hex(addr)}) is not in a slab of this cache`);
    }
    // Offsets inside a slab fit in 32 bits: integer arithmetic, not a float fmod on 33-bit addresses.
    const offset = (addr - (this.base[slab] as number)) | 0;
    const obj = (offset / this.size) | 0;
    if (obj * this.size !== offset || offset < 0) {
      throw new Error(`slub: kmem_cache_free(${hex(addr)}) is not an object start`);
    }
    if (slab === this.cpuSlab[cpu]) {
      this.objNext[slab * this.maxObjects + obj] = this.cpuFreelist[cpu] as number;
      this.cpuFreelist[cpu] = obj;
      return;
    }
    this.slabFree(slab, obj, cpu);
  }

  /** ___slab_alloc(): the allocation slow path of the modelled version. */
  protected abstract slowAlloc(cpu: number): number;

  /** __slab_free(): the free slow path of the modelled version. */
  protected abstract slabFree(slab: number, obj: number, cpu: number): void;

  /**
   * Everything outside the slab pages themselves: SLUB keeps per-slab state in struct page and the
   * free pointer inside free objects, so only the cache's descriptors count.
   */
  metadataBytes(): number {
    return this.meta.cacheBytes + this.meta.nodeBytes + this.meta.perCpuBytes * this.cpus;
  }

  /** Any CPU can allocate a freed object again: SLUB strands nothing. */
  strandedBytes(): number {
    return 0;
  }

  /** Slabs the cache holds (node_nr_slabs). */
  get slabCount(): number {
    return this.slabsUsed - this.freeSlots.length;
  }

  /** Slabs on the node partial list (n->nr_partial). */
  get nrPartial(): number {
    return this.nrPartialSlabs;
  }

  /** A picture of the cache, for tests and the trace tool: every slab with its state. */
  slabs(): { base: number; order: number; objects: number; inuse: number; where: string }[] {
    const names = ['full', 'cpu-active', 'cpu-partial', 'node-partial'];
    const out = [];
    for (let s = 0; s < this.slabsUsed; s++) {
      if (this.where[s] === FREE_SLOT) continue;
      out.push({
        base: this.base[s] as number,
        order: this.order[s] as number,
        objects: this.objects[s] as number,
        inuse: this.liveObjects(s),
        where: names[this.where[s] as number] as string,
      });
    }
    return out.sort((a, b) => a.base - b.base);
  }

  /** The node partial list from head to tail, as slab base addresses (for tests and the live check). */
  nodePartialOrder(): number[] {
    const out: number[] = [];
    for (let s = this.nodeHead; s >= 0; s = this.next[s] as number) out.push(this.base[s] as number);
    return out;
  }

  /** Objects allocated to callers (inuse minus what sits on c->freelist for the active slab). */
  protected liveObjects(slab: number): number {
    let live = this.inuse[slab] as number;
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      if (this.cpuSlab[cpu] !== slab) continue;
      for (let o = this.cpuFreelist[cpu] as number; o >= 0; o = this.objNext[slab * this.maxObjects + o] as number) {
        live--;
      }
    }
    return live;
  }

  protected objectAddress(slab: number, obj: number): number {
    return (this.base[slab] as number) + obj * this.size;
  }

  /** load_freelist: hand out the first object, the rest becomes c->freelist. */
  protected loadFreelist(cpu: number, slab: number, freelist: number): number {
    this.cpuFreelist[cpu] = this.objNext[slab * this.maxObjects + freelist] as number;
    return this.objectAddress(slab, freelist);
  }

  /** A new slab becomes the CPU's active slab with its whole freelist; it stays frozen. */
  protected activateNewSlab(cpu: number, slab: number): number {
    const freelist = this.freeHead[slab] as number;
    this.freeHead[slab] = -1;
    this.cpuSlab[cpu] = slab;
    this.where[slab] = CPU_ACTIVE;
    return this.loadFreelist(cpu, slab, freelist);
  }

  /** allocate_slab(): the cache order with NOWARN|NORETRY, else s->min with the plain flags. */
  protected allocateSlab(): number {
    const geo = this.geo;
    let order = geo.order;
    let objects = geo.objects;
    let addr = this.pages.allocPages(this.slabGfp(order) | __GFP_NOWARN | __GFP_NORETRY, order);
    if (addr < 0) {
      order = geo.minOrder;
      objects = geo.minObjects;
      addr = this.pages.allocPages(this.slabGfp(order), order);
      if (addr < 0) return -1;
      this.work.order_fallbacks++;
    }
    const slab = this.newSlot();
    this.base[slab] = addr;
    this.order[slab] = order;
    this.objects[slab] = objects;
    this.inuse[slab] = objects;
    this.frozen[slab] = 1;
    this.where[slab] = NOWHERE;
    // Without CONFIG_SLAB_FREELIST_RANDOM the objects are chained in ascending address order.
    const first = slab * this.maxObjects;
    for (let i = 0; i < objects; i++) this.objNext[first + i] = i + 1 < objects ? i + 1 : -1;
    this.freeHead[slab] = 0;
    this.pages.setPrivate(addr, slab);
    this.work.new_slabs++;
    return slab;
  }

  protected slabGfp(order: number): number {
    return order > 0 ? this.allocGfp | __GFP_COMP : this.allocGfp;
  }

  /** add_partial(): n->nr_partial++, at the head or the tail. */
  protected addPartial(slab: number, toTail: boolean): void {
    this.nrPartialSlabs++;
    this.where[slab] = NODE_PARTIAL;
    if (this.nodeHead < 0) {
      this.next[slab] = -1;
      this.prev[slab] = -1;
      this.nodeHead = slab;
      this.nodeTail = slab;
    } else if (toTail) {
      this.prev[slab] = this.nodeTail;
      this.next[slab] = -1;
      this.next[this.nodeTail] = slab;
      this.nodeTail = slab;
    } else {
      this.next[slab] = this.nodeHead;
      this.prev[slab] = -1;
      this.prev[this.nodeHead] = slab;
      this.nodeHead = slab;
    }
  }

  /** remove_partial(): off the node list, n->nr_partial--. */
  protected removePartial(slab: number): void {
    const next = this.next[slab] as number;
    const prev = this.prev[slab] as number;
    if (prev < 0) this.nodeHead = next;
    else this.next[prev] = next;
    if (next < 0) this.nodeTail = prev;
    else this.prev[next] = prev;
    this.nrPartialSlabs--;
    this.where[slab] = NOWHERE;
  }

  /** discard_slab(): the slab's pages go back to the page allocator. */
  protected discardSlab(slab: number): void {
    this.pages.freePages(this.base[slab] as number, this.order[slab] as number);
    this.where[slab] = FREE_SLOT;
    this.freeSlots.push(slab);
    this.work.discarded_slabs++;
  }

  protected newSlot(): number {
    const reused = this.freeSlots.pop();
    if (reused !== undefined) return reused;
    if (this.slabsUsed === this.slabCapacity) this.grow(this.slabCapacity * 2);
    return this.slabsUsed++;
  }

  protected grow(capacity: number): void {
    const copy = <T extends Float64Array | Int32Array | Uint16Array | Uint8Array>(
      old: T,
      make: (n: number) => T,
      n: number,
    ) => {
      const next = make(n);
      next.set(old);
      return next;
    };
    this.base = copy(this.base, (n) => new Float64Array(n), capacity);
    this.order = copy(this.order, (n) => new Uint8Array(n), capacity);
    this.objects = copy(this.objects, (n) => new Uint16Array(n), capacity);
    this.freeHead = copy(this.freeHead, (n) => new Int32Array(n), capacity);
    this.inuse = copy(this.inuse, (n) => new Uint16Array(n), capacity);
    this.frozen = copy(this.frozen, (n) => new Uint8Array(n), capacity);
    this.where = copy(this.where, (n) => new Uint8Array(n), capacity);
    this.next = copy(this.next, (n) => new Int32Array(n), capacity);
    this.prev = copy(this.prev, (n) => new Int32Array(n), capacity);
    this.pobjects = copy(this.pobjects, (n) => new Int32Array(n), capacity);
    this.pagesOnList = copy(this.pagesOnList, (n) => new Int32Array(n), capacity);
    this.objNext = copy(this.objNext, (n) => new Int32Array(n), capacity * this.maxObjects);
    this.slabCapacity = capacity;
  }
}
