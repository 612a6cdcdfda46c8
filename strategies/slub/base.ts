import { PAGE_SIZE } from '../../core/sizes.ts';
import { hex } from '../machine/constants.ts';
import { __GFP_COMP, __GFP_NORETRY, __GFP_NOWARN, GFP_ATOMIC } from '../machine/gfp.ts';
import type { PageAllocator, TableAllocator } from '../types.ts';
import type { SlubGeometry } from './geometry.ts';

/**
 * Where a slab is: what SLUB itself would derive from c->slab, c->partial and n->partial (a slab's
 * `where`). Compared in hot paths as literals, like the row offsets below.
 */
export const NOWHERE = 0; // full, on no list (no debug full list)
export const CPU_ACTIVE = 1;
export const CPU_PARTIAL = 2;
export const NODE_PARTIAL = 3;
export const FREE_SLOT = 4;

/**
 * A slab is a row of `mem` (its struct slab, then the free pointer stored in each of its objects),
 * named by the row's offset as C names a slab by its address (−1 is NULL); the row's fields are
 * read and written through the accessors below (slab->freelist is `freelist(slab)`), whose offsets
 * are literals: V8 compiles them to one integer load or store, where a named constant imported from
 * another module would be loaded and checked at every use.
 */
const HEADER = 11;
/** struct kmem_cache_cpu: a row of `percpu` per CPU, at cpu × 4 (slab, freelist, partial). */
const CPU_ROW = 4;

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
 * randomisation): every slab a row of one flat Int32Array (its struct slab, then the free pointer
 * threaded through its free objects) named by its row offset, which the head page's page->private
 * holds; the per-CPU active slab with its lockless freelist; the node partial list; allocate_slab
 * with its order fallback; and discard_slab. The versions differ in policy: the slow paths of
 * allocation and free and how slabs move between the per-CPU and node lists. Subclasses supply
 * those (`slowAlloc`, `slabFree`), each kernel function a method named after it.
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
  /** log2(size) when size is a power of two (an object index is then a shift), else −1. */
  readonly #sizeShift: number;
  protected readonly geo: SlubGeometry;
  protected readonly allocGfp: number;
  /** The descriptors' bytes (see metadataBytes): fixed for the cache's life, summed once, not per event. */
  readonly #metadataBytes: number;
  protected readonly cpus: number;
  /** Length of a slab's row: the header, then a free pointer for each of the most objects a slab of this cache holds. */
  protected readonly stride: number;

  /** Every slab's row; grown by doubling. */
  protected mem = new Int32Array(0);
  /** Rows in use or free (discarded slabs, kept for reuse): the next new row starts here. */
  protected rowsEnd = 0;
  protected freeRows: number[] = [];

  /** Every CPU's struct kmem_cache_cpu. */
  protected readonly percpu: Int32Array;

  // The node (struct kmem_cache_node).
  protected nodeHead = -1;
  protected nodeTail = -1;
  protected nrPartialSlabs = 0;

  constructor(pages: PageAllocator, o: SlubOptions) {
    this.pages = pages;
    this.size = o.objectSize;
    this.#sizeShift = (o.objectSize & (o.objectSize - 1)) === 0 ? 31 - Math.clz32(o.objectSize) : -1;
    this.geo = o.geometry;
    this.cpus = o.cpus;
    this.#metadataBytes = o.metadata.cacheBytes + o.metadata.nodeBytes + o.metadata.perCpuBytes * o.cpus;
    this.allocGfp = (o.callerGfp ?? GFP_ATOMIC) | o.allocFlags;
    this.stride = HEADER + Math.max(o.geometry.objects, o.geometry.minObjects);
    this.percpu = new Int32Array(o.cpus * CPU_ROW).fill(-1);
    this.grow(16);
  }

  get geometry(): SlubGeometry {
    return this.geo;
  }

  // struct slab, as row fields (offsets 0..10 of the row).
  /** slab->freelist: the first free object's index, −1 for NULL. */
  protected freelist(slab: number): number {
    return this.mem[slab] as number;
  }
  protected setFreelist(slab: number, obj: number): void {
    this.mem[slab] = obj;
  }
  /** slab->inuse: objects not on slab->freelist (a CPU slab counts its lockless freelist as in use). */
  protected inuse(slab: number): number {
    return this.mem[slab + 1] as number;
  }
  protected setInuse(slab: number, n: number): void {
    this.mem[slab + 1] = n;
  }
  /** slab->objects. */
  protected objects(slab: number): number {
    return this.mem[slab + 2] as number;
  }
  /** slab->frozen. */
  protected frozen(slab: number): boolean {
    return this.mem[slab + 3] === 1;
  }
  protected setFrozen(slab: number, frozen: boolean): void {
    this.mem[slab + 3] = frozen ? 1 : 0;
  }
  /** NOWHERE, CPU_ACTIVE, CPU_PARTIAL, NODE_PARTIAL or FREE_SLOT. */
  protected where(slab: number): number {
    return this.mem[slab + 4] as number;
  }
  protected setWhere(slab: number, where: number): void {
    this.mem[slab + 4] = where;
  }
  /** slab->slab_list: per-CPU partial lists are singly linked through next, the node list doubly through next and prev. */
  protected next(slab: number): number {
    return this.mem[slab + 5] as number;
  }
  protected setNext(slab: number, next: number): void {
    this.mem[slab + 5] = next;
  }
  protected prev(slab: number): number {
    return this.mem[slab + 6] as number;
  }
  protected setPrev(slab: number, prev: number): void {
    this.mem[slab + 6] = prev;
  }
  /** v5.1 page->pobjects: objects on the per-CPU list at insertion (unused by later versions). */
  protected pobjects(slab: number): number {
    return this.mem[slab + 7] as number;
  }
  protected setPobjects(slab: number, n: number): void {
    this.mem[slab + 7] = n;
  }
  /** Slabs on the per-CPU partial list from this one down, set at insertion (v5.1 page->pages, 6.x slab->slabs). */
  protected slabsOnList(slab: number): number {
    return this.mem[slab + 8] as number;
  }
  protected setSlabsOnList(slab: number, n: number): void {
    this.mem[slab + 8] = n;
  }
  /** compound_order() of the slab's pages. */
  protected slabOrder(slab: number): number {
    return this.mem[slab + 9] as number;
  }
  /** slab_address(): the first page's pfn (offset 10) × PAGE_SIZE. */
  protected slabBase(slab: number): number {
    return (this.mem[slab + 10] as number) * 4096;
  }
  /** get_freepointer(): the free pointer stored in free object `obj` (next free index, −1 for NULL). */
  protected getFreepointer(slab: number, obj: number): number {
    return this.mem[slab + HEADER + obj] as number;
  }
  /** set_freepointer(). */
  protected setFreepointer(slab: number, obj: number, next: number): void {
    this.mem[slab + HEADER + obj] = next;
  }

  // struct kmem_cache_cpu of each CPU.
  /** c->slab: the active slab, −1 for NULL. */
  protected cpuSlab(cpu: number): number {
    return this.percpu[cpu * CPU_ROW] as number;
  }
  protected setCpuSlab(cpu: number, slab: number): void {
    this.percpu[cpu * CPU_ROW] = slab;
  }
  /** c->freelist: the lockless freelist (object index in c->slab), −1 for NULL. */
  protected cpuFreelist(cpu: number): number {
    return this.percpu[cpu * CPU_ROW + 1] as number;
  }
  protected setCpuFreelist(cpu: number, obj: number): void {
    this.percpu[cpu * CPU_ROW + 1] = obj;
  }
  /** c->partial: the head of the per-CPU partial list, −1 for NULL. */
  protected cpuPartial(cpu: number): number {
    return this.percpu[cpu * CPU_ROW + 2] as number;
  }
  protected setCpuPartial(cpu: number, slab: number): void {
    this.percpu[cpu * CPU_ROW + 2] = slab;
  }

  /**
   * slab_alloc_node(): the lockless fast path, else ___slab_alloc. Both leave the object in the
   * CPU's active slab; the slow path returns its index, not its address, so that no float crosses
   * a call (V8 would box it on the heap).
   */
  alloc(cpu: number): number {
    let obj = this.cpuFreelist(cpu);
    if (obj >= 0) {
      this.setCpuFreelist(cpu, this.getFreepointer(this.cpuSlab(cpu), obj));
    } else {
      obj = this.slowAlloc(cpu);
      if (obj < 0) return -1;
    }
    return this.objectAddress(this.cpuSlab(cpu), obj);
  }

  /** do_slab_free(): push on c->freelist when the object is in this CPU's active slab, else __slab_free. */
  free(addr: number, cpu: number): void {
    // virt_to_slab(): the head page's page->private (a row offset: an integer).
    const slab = this.pages.getPrivate(addr) | 0;
    if (slab < 0 || slab >= this.rowsEnd || this.where(slab) === 4 /* FREE_SLOT */) notInCache(addr);
    // Offsets inside a slab fit in 32 bits: integer arithmetic, not a float fmod on 33-bit addresses.
    const offset = (addr - this.slabBase(slab)) | 0;
    const shift = this.#sizeShift;
    const obj = shift >= 0 ? offset >> shift : (offset / this.size) | 0;
    if (offset < 0 || obj * this.size !== offset) notObjectStart(addr);
    if (slab === this.cpuSlab(cpu)) {
      this.setFreepointer(slab, obj, this.cpuFreelist(cpu));
      this.setCpuFreelist(cpu, obj);
      return;
    }
    this.slabFree(slab, obj, cpu);
  }

  /** ___slab_alloc(): the allocation slow path of the modelled version: the object's index in the CPU's new active slab, or −1. */
  protected abstract slowAlloc(cpu: number): number;

  /** __slab_free(): the free slow path of the modelled version. */
  protected abstract slabFree(slab: number, obj: number, cpu: number): void;

  /**
   * Everything outside the slab pages themselves: SLUB keeps per-slab state in struct page and the
   * free pointer inside free objects, so only the cache's descriptors count.
   */
  metadataBytes(): number {
    return this.#metadataBytes;
  }

  /** Any CPU can allocate a freed object again: SLUB strands nothing. */
  strandedBytes(): number {
    return 0;
  }

  /** Slabs the cache holds (node_nr_slabs). */
  get slabCount(): number {
    return this.rowsEnd / this.stride - this.freeRows.length;
  }

  /** Slabs on the node partial list (n->nr_partial). */
  get nrPartial(): number {
    return this.nrPartialSlabs;
  }

  /** A picture of the cache, for tests and the trace tool: every slab with its state. */
  slabs(): { base: number; order: number; objects: number; inuse: number; where: string }[] {
    const names = ['full', 'cpu-active', 'cpu-partial', 'node-partial'];
    const out = [];
    for (let s = 0; s < this.rowsEnd; s += this.stride) {
      if (this.where(s) === FREE_SLOT) continue;
      out.push({
        base: this.slabBase(s),
        order: this.slabOrder(s),
        objects: this.objects(s),
        inuse: this.liveObjects(s),
        where: names[this.where(s)] as string,
      });
    }
    return out.sort((a, b) => a.base - b.base);
  }

  /** The node partial list from head to tail, as slab base addresses (for tests and the live check). */
  nodePartialOrder(): number[] {
    const out: number[] = [];
    for (let s = this.nodeHead; s >= 0; s = this.next(s)) out.push(this.slabBase(s));
    return out;
  }

  /** Objects allocated to callers (inuse minus what sits on c->freelist for the active slab). */
  protected liveObjects(slab: number): number {
    let live = this.inuse(slab);
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      if (this.cpuSlab(cpu) !== slab) continue;
      for (let o = this.cpuFreelist(cpu); o >= 0; o = this.getFreepointer(slab, o)) live--;
    }
    return live;
  }

  protected objectAddress(slab: number, obj: number): number {
    return this.slabBase(slab) + obj * this.size;
  }

  /** load_freelist: hand out the first object (its index), the rest becomes c->freelist. */
  protected loadFreelist(cpu: number, slab: number, freelist: number): number {
    this.setCpuFreelist(cpu, this.getFreepointer(slab, freelist));
    return freelist;
  }

  /** A new slab becomes the CPU's active slab with its whole freelist; it stays frozen. */
  protected activateNewSlab(cpu: number, slab: number): number {
    const freelist = this.freelist(slab);
    this.setFreelist(slab, -1);
    this.setWhere(slab, CPU_ACTIVE);
    this.setCpuSlab(cpu, slab);
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
    const slab = this.newRow();
    const mem = this.mem;
    mem[slab + 10] = addr / PAGE_SIZE; // the pfn: slabBase()
    mem[slab + 9] = order; // slabOrder()
    mem[slab + 2] = objects; // objects()
    this.setInuse(slab, objects);
    this.setFrozen(slab, true);
    this.setWhere(slab, NOWHERE);
    // Without CONFIG_SLAB_FREELIST_RANDOM the objects are chained in ascending address order.
    for (let i = 0; i < objects; i++) this.setFreepointer(slab, i, i + 1 < objects ? i + 1 : -1);
    this.setFreelist(slab, 0);
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
    this.setWhere(slab, NODE_PARTIAL);
    if (this.nodeHead < 0) {
      this.setNext(slab, -1);
      this.setPrev(slab, -1);
      this.nodeHead = slab;
      this.nodeTail = slab;
    } else if (toTail) {
      this.setPrev(slab, this.nodeTail);
      this.setNext(slab, -1);
      this.setNext(this.nodeTail, slab);
      this.nodeTail = slab;
    } else {
      this.setNext(slab, this.nodeHead);
      this.setPrev(slab, -1);
      this.setPrev(this.nodeHead, slab);
      this.nodeHead = slab;
    }
  }

  /** remove_partial(): off the node list, n->nr_partial--. */
  protected removePartial(slab: number): void {
    const next = this.next(slab);
    const prev = this.prev(slab);
    if (prev < 0) this.nodeHead = next;
    else this.setNext(prev, next);
    if (next < 0) this.nodeTail = prev;
    else this.setPrev(next, prev);
    this.nrPartialSlabs--;
    this.setWhere(slab, NOWHERE);
  }

  /** discard_slab(): the slab's pages go back to the page allocator. */
  protected discardSlab(slab: number): void {
    this.pages.freePages(this.slabBase(slab), this.slabOrder(slab));
    this.setWhere(slab, FREE_SLOT);
    this.freeRows.push(slab);
    this.work.discarded_slabs++;
  }

  /** A row for a new slab: the most recently discarded one, else a new one. */
  protected newRow(): number {
    const reused = this.freeRows.pop();
    if (reused !== undefined) return reused;
    if (this.rowsEnd === this.mem.length) this.grow((2 * this.mem.length) / this.stride);
    const row = this.rowsEnd;
    this.rowsEnd += this.stride;
    return row;
  }

  protected grow(slabs: number): void {
    const next = new Int32Array(slabs * this.stride);
    next.set(this.mem);
    this.mem = next;
  }
}

// Kept out of the hot methods, so that these stay small enough for V8 to inline into the replay loop.
function notInCache(addr: number): never {
  throw new Error(`slub: kmem_cache_free(${hex(addr)}) is not in a slab of this cache`);
}

function notObjectStart(addr: number): never {
  throw new Error(`slub: kmem_cache_free(${hex(addr)}) is not an object start`);
}
