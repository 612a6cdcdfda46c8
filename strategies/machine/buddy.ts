import { MAX_ORDER as ORDERS } from './constants.ts';
import { PageUndo } from './undo.ts';

/** Module-local copies of imported constants: V8 folds these into the code, an imported binding is loaded and checked at every use. */
const MAX_ORDER = ORDERS;

// Hot members are TypeScript `private`, not `#private`: V8's bytecode for a #private access is longer,
// and the replay's hot paths must stay within its inlining budget (README, Speed).
/**
 * The buddy allocator of mm/page_alloc.c (v5.1), one free area per zone and order, over flat typed
 * arrays indexed by page (pfn − first pfn of DRAM). Only one migrate type is modelled, and there are
 * no per-CPU page lists: an order-0 request takes the head of the order-0 free list like any other.
 */
export class Buddy {
  /**
   * 1 + the order of the free block whose first page this is, 0 for any other page: zero, the value
   * a new array starts with, needs no fill (a fill touches all of DRAM's pages of it at every start).
   */
  readonly freeOrder: Int8Array;
  /**
   * The free lists' links of each page, side by side (next at 2 × page, prev at 2 × page + 1): boot
   * links one block of MAX_ORDER − 1 per 4 MiB, and the two of a page share a memory page of the
   * array, which a block's head touches first.
   */
  private readonly links: Int32Array;
  /** List head, tail and length of each (zone, order) free area, at zone * MAX_ORDER + order. */
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  readonly nrFree: Int32Array;
  /** Free pages in each zone. */
  readonly zoneFreePages: Float64Array;
  /** Writes to the per-page lists since the checkpoint, so that `reset` restores only what changed. */
  private readonly undo: PageUndo;
  /** The free areas and zone counts at the checkpoint (small: zones × MAX_ORDER). */
  #saved: { head: Int32Array; tail: Int32Array; nrFree: Int32Array; zoneFreePages: Float64Array } | null = null;

  constructor(
    /** Absolute pfn of page index 0: buddies are found on absolute pfns, as the kernel does. */
    readonly basePfn: number,
    readonly pages: number,
    /** Zone z spans page indexes [zoneStart[z], zoneEnd[z]). */
    readonly zoneStart: readonly number[],
    readonly zoneEnd: readonly number[],
  ) {
    this.freeOrder = new Int8Array(pages);
    this.links = new Int32Array(2 * pages);
    const areas = zoneStart.length * MAX_ORDER;
    this.head = new Int32Array(areas).fill(-1);
    this.tail = new Int32Array(areas).fill(-1);
    this.nrFree = new Int32Array(areas);
    this.zoneFreePages = new Float64Array(zoneStart.length);
    this.undo = new PageUndo([this.freeOrder, this.links], pages);
  }

  /** Remember the state now (after boot): `reset` comes back to it. */
  checkpoint(): void {
    this.#saved = {
      head: this.head.slice(),
      tail: this.tail.slice(),
      nrFree: this.nrFree.slice(),
      zoneFreePages: this.zoneFreePages.slice(),
    };
    this.undo.arm();
  }

  /** Back to the checkpoint, in O(pages touched since). */
  reset(): void {
    const saved = this.#saved;
    if (!saved) throw new Error('buddy reset without a checkpoint');
    this.undo.restore();
    this.head.set(saved.head);
    this.tail.set(saved.tail);
    this.nrFree.set(saved.nrFree);
    this.zoneFreePages.set(saved.zoneFreePages);
  }

  zoneOf(page: number): number {
    for (let z = 0; z < this.zoneStart.length; z++) {
      if (page >= (this.zoneStart[z] as number) && page < (this.zoneEnd[z] as number)) return z;
    }
    throw new Error(`page index ${page} lies in no zone`);
  }

  /** __rmqueue_smallest(): the smallest free block of at least `order`, split by expand(); −1 if none. */
  allocate(zone: number, order: number): number {
    const area = zone * MAX_ORDER + order;
    const page = this.head[area] as number;
    // A block of the order asked for: expand() has nothing to split. Kept small, so that V8 inlines it.
    if (page < 0) return this.allocateLarger(zone, order);
    this.unlink(page, area);
    this.zoneFreePages[zone] = (this.zoneFreePages[zone] as number) - (1 << order);
    return page;
  }

  /** __rmqueue_smallest() past the order asked for: the first larger block, split by expand(). */
  private allocateLarger(zone: number, order: number): number {
    const area0 = zone * MAX_ORDER;
    for (let current = order + 1; current < MAX_ORDER; current++) {
      const page = this.head[area0 + current] as number;
      if (page < 0) continue;
      this.unlink(page, area0 + current);
      // expand(): the caller keeps the lowest part; each upper half goes to the head of its list.
      let high = current;
      while (high > order) {
        high--;
        this.link(page + (1 << high), zone, high, false);
      }
      this.zoneFreePages[zone] = (this.zoneFreePages[zone] as number) - (1 << order);
      return page;
    }
    return -1;
  }

  /** __free_one_page(): merge with free buddies, then queue at the tail if the next buddy up is free. */
  free(page: number, order: number): void {
    const zone = this.zoneOf(page);
    const lo = this.zoneStart[zone] as number;
    const hi = this.zoneEnd[zone] as number;
    this.zoneFreePages[zone] = (this.zoneFreePages[zone] as number) + (1 << order);
    let pfn = page + this.basePfn;
    let buddyPfn = pfn ^ (1 << order);
    while (order < MAX_ORDER - 1) {
      buddyPfn = pfn ^ (1 << order);
      const buddy = buddyPfn - this.basePfn;
      if (buddy < lo || buddy >= hi || this.freeOrder[buddy] !== order + 1) break;
      this.unlink(buddy, zone * MAX_ORDER + order);
      pfn &= buddyPfn;
      order++;
    }
    const head = pfn - this.basePfn;
    let toTail = false;
    if (order < MAX_ORDER - 2) {
      // If the buddy of the combined block is free, this block is likely to merge soon: keep it cold.
      const combined = buddyPfn & pfn;
      const higherBuddy = (combined ^ (1 << (order + 1))) - this.basePfn;
      toTail = higherBuddy >= lo && higherBuddy < hi && this.freeOrder[higherBuddy] === order + 2;
    }
    this.link(head, zone, order, toTail);
  }

  /** The free list of (zone, order) from head to tail, as page indexes (for tests and tools). */
  freeList(zone: number, order: number): number[] {
    const out: number[] = [];
    for (let p = this.head[zone * MAX_ORDER + order] as number; p >= 0; p = this.links[2 * p] as number) out.push(p);
    return out;
  }

  private link(page: number, zone: number, order: number, toTail: boolean): void {
    const area = zone * MAX_ORDER + order;
    const links = this.links;
    this.undo.touch(page);
    this.freeOrder[page] = order + 1;
    this.nrFree[area] = (this.nrFree[area] as number) + 1;
    const head = this.head[area] as number;
    if (head < 0) {
      links[2 * page] = -1;
      links[2 * page + 1] = -1;
      this.head[area] = page;
      this.tail[area] = page;
    } else if (toTail) {
      const tail = this.tail[area] as number;
      this.undo.touch(tail);
      links[2 * tail] = page;
      links[2 * page + 1] = tail;
      links[2 * page] = -1;
      this.tail[area] = page;
    } else {
      this.undo.touch(head);
      links[2 * head + 1] = page;
      links[2 * page] = head;
      links[2 * page + 1] = -1;
      this.head[area] = page;
    }
  }

  /** Take page off the free list of its area (zone * MAX_ORDER + order). */
  private unlink(page: number, area: number): void {
    const links = this.links;
    const next = links[2 * page] as number;
    const prev = links[2 * page + 1] as number;
    this.undo.touch(page);
    if (prev < 0) this.head[area] = next;
    else {
      this.undo.touch(prev);
      links[2 * prev] = next;
    }
    if (next < 0) this.tail[area] = prev;
    else {
      this.undo.touch(next);
      links[2 * next + 1] = prev;
    }
    this.freeOrder[page] = 0;
    this.nrFree[area] = (this.nrFree[area] as number) - 1;
  }
}
