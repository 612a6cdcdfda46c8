import { GiB, PAGE_SIZE as PAGE_BYTES } from '../../core/sizes.ts';
import type { PageAllocator } from '../types.ts';
import { Buddy } from './buddy.ts';
import { hex, isAligned, MAX_ORDER as ORDERS } from './constants.ts';
import { gfpZone, ZONE_DMA32, ZONE_NAMES, ZONE_NORMAL } from './gfp.ts';
import { PageUndo } from './undo.ts';

/** The simulated machine: DRAM, its zones, and who holds each page. */
export interface MachineOptions {
  /** nr_cpu_ids: possible CPUs. */
  readonly cpus: number;
  /** Physical address where DRAM starts. */
  readonly dramBase: number;
  /** Bytes of DRAM. */
  readonly dramBytes: number;
  /** Fraction of ZONE_DMA32 taken at boot by order-0 pages spread evenly across it (0 = none). */
  readonly fragmentDma32: number;
}

/** MT8173-like (Acer Chromebook R13, "elm"): 4 CPUs, 4 GiB of DRAM from physical 1 GiB. */
export const DEFAULT_MACHINE: MachineOptions = {
  cpus: 4,
  dramBase: 1 * GiB,
  dramBytes: 4 * GiB,
  fragmentDma32: 0,
};

/** Module-local copies of imported constants: V8 folds these into the code, not imported bindings. */
const PAGE_SIZE = PAGE_BYTES;
const PER_PAGE = 1 / PAGE_BYTES;
const MAX_ORDER = ORDERS;

/** Largest DRAM the simulator accepts: its per-page arrays cost about 20 bytes a page. */
const MAX_DRAM_BYTES = 64 * GiB;

export interface ZoneInfo {
  readonly name: string;
  /** Physical range [start, end); empty when start === end. */
  readonly start: number;
  readonly end: number;
}

/** Page-allocator calls of one holder, the way a tracepoint on mm_page_alloc/free would count them. */
export interface PageCounters {
  /** Pages held now. */
  held: number;
  /** Successful allocPages calls, by order. */
  readonly allocs: Float64Array;
  /** Failed allocPages calls, by order. */
  readonly failures: Float64Array;
  /** freePages calls, by order. */
  readonly frees: Float64Array;
  /** Pages given back by freePages. */
  pagesReturned: number;
}

const FREE = 0;
/** Owner id of the pages taken at boot (pre-fragmentation): "the rest of the kernel". */
export const RESERVED_OWNER = 1;

/** Refuse impossible machines with a message that names the option. */
export function checkMachineOptions(o: MachineOptions): void {
  if (!Number.isInteger(o.cpus) || o.cpus < 1 || o.cpus > 4096) throw new RangeError(`cpus=${o.cpus}: allowed 1..4096`);
  if (!Number.isInteger(o.dramBase) || o.dramBase < 0 || o.dramBase % PAGE_SIZE !== 0) {
    throw new RangeError(`dram_base=${o.dramBase}: must be a non-negative multiple of ${PAGE_SIZE}`);
  }
  if (!Number.isInteger(o.dramBytes) || o.dramBytes < 4 * 1024 * 1024 || o.dramBytes % PAGE_SIZE !== 0) {
    throw new RangeError(`dram=${o.dramBytes}: must be a multiple of ${PAGE_SIZE} and at least 4 MiB`);
  }
  if (o.dramBytes > MAX_DRAM_BYTES) throw new RangeError(`dram=${o.dramBytes}: at most ${MAX_DRAM_BYTES} (64 GiB)`);
  if (!(o.fragmentDma32 >= 0 && o.fragmentDma32 < 1)) {
    throw new RangeError(`fragment=${o.fragmentDma32}: allowed 0 <= fragment < 1`);
  }
}

/**
 * arm64 zone_sizes_init() with max_zone_dma_phys() (arch/arm64/mm/init.c, v5.1): ZONE_DMA32 runs
 * from the start of DRAM to min(DRAM start rounded down to 4 GiB, + 4 GiB; end of DRAM); the rest
 * is ZONE_NORMAL.
 */
export function zoneLayout(o: Pick<MachineOptions, 'dramBase' | 'dramBytes'>): ZoneInfo[] {
  const end = o.dramBase + o.dramBytes;
  const offset = Math.floor(o.dramBase / (4 * GiB)) * 4 * GiB;
  const dma32End = Math.min(offset + 4 * GiB, end);
  return [
    { name: ZONE_NAMES[ZONE_DMA32], start: o.dramBase, end: dma32End },
    { name: ZONE_NAMES[ZONE_NORMAL], start: dma32End, end },
  ];
}

// Hot members are TypeScript `private`, not `#private`: V8's bytecode for a #private access is longer,
// and the replay's hot paths must stay within its inlining budget (README, Speed).
export class Machine {
  readonly options: MachineOptions;
  readonly zones: readonly ZoneInfo[];
  readonly totalPages: number;
  readonly buddy: Buddy;
  /** Holder of each page: 0 free, 1 reserved at boot, 2+ an account. */
  readonly owner: Uint16Array;
  /**
   * Page index of the first page of the held block each page belongs to: read only where `owner`
   * says the page is held, so a free page's value is whatever it was (no fill at boot, none at free).
   */
  private readonly headOf: Int32Array;
  /** 1 + the order of the held block starting at this page, 0 for any other page (no fill at boot). */
  private readonly blockOrder: Int8Array;
  /** page->private of held head pages. */
  private readonly pagePrivate: Float64Array;
  private readonly basePfn: number;
  /** DRAM's physical range [dramBase, dramEnd). */
  private readonly dramBase: number;
  private readonly dramEnd: number;
  readonly #accounts: PageAccount[] = [];
  /** Writes to the per-page arrays since boot, so that `reset` restores only what changed. */
  private readonly undo: PageUndo;

  constructor(options: Partial<MachineOptions> = {}) {
    const o: MachineOptions = { ...DEFAULT_MACHINE, ...options };
    checkMachineOptions(o);
    this.options = o;
    this.zones = zoneLayout(o);
    this.basePfn = o.dramBase / PAGE_SIZE;
    this.dramBase = o.dramBase;
    this.dramEnd = o.dramBase + o.dramBytes;
    const pages = o.dramBytes / PAGE_SIZE;
    this.totalPages = pages;
    const starts = this.zones.map((z) => (z.start - o.dramBase) / PAGE_SIZE);
    const ends = this.zones.map((z) => (z.end - o.dramBase) / PAGE_SIZE);
    this.buddy = new Buddy(this.basePfn, pages, starts, ends);
    this.owner = new Uint16Array(pages);
    this.headOf = new Int32Array(pages);
    this.blockOrder = new Int8Array(pages);
    this.pagePrivate = new Float64Array(pages);
    this.undo = new PageUndo([this.owner, this.headOf, this.blockOrder, this.pagePrivate], pages);
    this.#boot(this.#reservedPages(starts[ZONE_DMA32] as number, ends[ZONE_DMA32] as number));
    this.buddy.checkpoint();
    this.undo.arm();
  }

  /**
   * Back to the state right after boot, as a fresh machine with the same options would be: every
   * page held since is free again, the free lists are as boot left them, and there are no accounts
   * (the next one gets the first id again). Costs O(pages touched since boot or the last reset),
   * not O(DRAM). Accounts made before a reset must not be used after it.
   */
  reset(): void {
    this.buddy.reset();
    this.undo.restore();
    this.#accounts.length = 0;
  }

  /** A new holder of pages (one per strategy instance), with its own counters. */
  account(label: string): PageAccount {
    const id = this.#accounts.length + 2;
    if (id > 0xffff) throw new RangeError('too many page accounts on one machine');
    const account = new PageAccount(this, id, label);
    this.#accounts.push(account);
    return account;
  }

  get accounts(): readonly PageAccount[] {
    return this.#accounts;
  }

  /** Free pages in all zones. */
  freePages(): number {
    let n = 0;
    for (const f of this.buddy.zoneFreePages) n += f;
    return n;
  }

  /** Pages taken at boot by pre-fragmentation. */
  reservedPages(): number {
    let n = 0;
    for (let i = 0; i < this.totalPages; i++) if (this.owner[i] === RESERVED_OWNER) n++;
    return n;
  }

  /** Index of the zone containing a physical address, or −1 outside DRAM. */
  zoneOfAddress(addr: number): number {
    for (let z = 0; z < this.zones.length; z++) {
      const zone = this.zones[z] as ZoneInfo;
      if (addr >= zone.start && addr < zone.end) return z;
    }
    return -1;
  }

  /** Owner id of the page containing addr (0 free, 1 reserved), or −1 outside DRAM. */
  ownerOf(addr: number): number {
    const page = this.pageIndex(addr);
    return page < 0 ? -1 : (this.owner[page] as number);
  }

  /**
   * @internal Page-level operations for PageAccount, on page indexes: integers cross these calls,
   * never addresses (V8 boxes a float that crosses a call it does not inline). The first page of a
   * new block, or −1.
   */
  allocBlock(id: number, gfp: number, order: number): number {
    // The zonelist of gfp_zone(gfp): from the highest allowed zone down (Normal, then DMA32). An
    // empty zone has empty free lists, so the buddy allocator finds nothing there.
    for (let zone = gfpZone(gfp); zone >= 0; zone--) {
      const page = this.buddy.allocate(zone, order);
      if (page >= 0) return this.hold(id, page, order);
    }
    return -1;
  }

  /** The new block at page goes to holder id: its pages' owner and head, its order, page->private 0. */
  private hold(id: number, page: number, order: number): number {
    const n = 1 << order;
    this.undo.touchRange(page, page + n - 1);
    for (let i = 0; i < n; i++) {
      this.owner[page + i] = id;
      this.headOf[page + i] = page;
    }
    this.blockOrder[page] = order + 1;
    this.pagePrivate[page] = 0;
    return page;
  }

  /** @internal The page index of addr when it is the start of a page in DRAM, else −1 (small: V8 inlines it). */
  pageAt(addr: number): number {
    return isAligned(addr, PAGE_SIZE) ? this.pageIndex(addr) : -1;
  }

  /**
   * @internal Give back the 2^order-page block starting at page (from pageAt) if `id` holds it as
   * such; false when it does not. Integers only cross this call.
   */
  releaseBlock(id: number, page: number, order: number): boolean {
    if (page < 0 || this.blockOrder[page] !== order + 1 || this.owner[page] !== id) return false;
    const n = 1 << order;
    this.undo.touchRange(page, page + n - 1);
    for (let i = 0; i < n; i++) this.owner[page + i] = FREE;
    this.blockOrder[page] = 0;
    this.buddy.free(page, order);
    return true;
  }

  /** @internal The held head page of addr, checked against its holder. */
  headPage(id: number, label: string, addr: number): number {
    const page = this.pageIndex(addr);
    if (page < 0 || this.owner[page] !== id) notHeld(label, addr);
    return this.headOf[page] as number;
  }

  /** @internal */
  blockOrderAt(head: number): number {
    return (this.blockOrder[head] as number) - 1;
  }

  /** @internal */
  pageAddress(page: number): number {
    return (this.basePfn + page) * PAGE_SIZE;
  }

  /** @internal page->private of the held head page of addr, checked against its holder. */
  privateAt(id: number, label: string, addr: number): number {
    const page = this.pageIndex(addr);
    if (page < 0 || this.owner[page] !== id) notHeld(label, addr);
    return this.pagePrivate[this.headOf[page] as number] as number;
  }

  /** @internal Set page->private of the held head page of addr, checked against its holder (one call: V8 inlines it into the strategy). */
  setPrivateAt(id: number, label: string, addr: number, value: number): void {
    // headPage's check written out, as in privateAt: a call to it here made page-frag's replay about 5 % slower.
    const page = this.pageIndex(addr);
    if (page < 0 || this.owner[page] !== id) notHeld(label, addr);
    const head = this.headOf[page] as number;
    this.undo.touch(head);
    this.pagePrivate[head] = value;
  }

  /** The page index of a physical address in DRAM, or −1: a multiplication and a truncation, not a float division and floor. */
  private pageIndex(addr: number): number {
    return addr >= this.dramBase && addr < this.dramEnd ? ((addr - this.dramBase) * PER_PAGE) | 0 : -1;
  }

  /** Pre-fragmentation: ⌈fraction × zone pages⌉ pages spread evenly, so that no block of 2^k ≥ 1/fraction pages stays whole. */
  #reservedPages(start: number, end: number): number[] {
    const span = end - start;
    const count = Math.ceil(this.options.fragmentDma32 * span);
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(start + Math.floor((i * span) / count));
    return out;
  }

  /**
   * Boot: the reserved pages stay held, and every free range is handed to the buddy allocator as
   * memblock does (__free_pages_memory: ascending, each block the largest the pfn's alignment allows).
   */
  #boot(reserved: readonly number[]): void {
    for (const page of reserved) {
      this.owner[page] = RESERVED_OWNER;
      this.headOf[page] = page;
      this.blockOrder[page] = 1;
    }
    let start = 0;
    for (const page of [...reserved, this.totalPages]) {
      this.#freeRange(start, page);
      start = page + 1;
    }
  }

  #freeRange(start: number, end: number): void {
    // Ranges never straddle a zone: zone boundaries lie on 4 GiB multiples or at the end of DRAM.
    while (start < end) {
      const pfn = this.basePfn + start;
      let order = pfn === 0 ? MAX_ORDER - 1 : Math.min(MAX_ORDER - 1, 31 - Math.clz32(pfn & -pfn));
      while (start + (1 << order) > end) order--;
      this.buddy.free(start, order);
      start += 1 << order;
    }
  }
}

/** What watches a holder's pages leave (the meter). */
export interface PageWatcher {
  blockFreed(addr: number, order: number): void;
}

/**
 * The pages of one holder: the boundary where l2bench meters a strategy. Every call is counted
 * here, not reported by the strategy.
 */
export class PageAccount implements PageAllocator {
  /**
   * Told of every block given back, after the fact: how a meter watching this boundary sees pages
   * leave. An object of one class, not a closure, so that V8 can inline the call.
   */
  watcher: PageWatcher | null = null;
  readonly counters: PageCounters = {
    held: 0,
    allocs: new Float64Array(MAX_ORDER),
    failures: new Float64Array(MAX_ORDER),
    frees: new Float64Array(MAX_ORDER),
    pagesReturned: 0,
  };

  constructor(
    readonly machine: Machine,
    readonly id: number,
    readonly label: string,
  ) {}

  allocPages(gfp: number, order: number): number {
    if (!Number.isInteger(order) || order < 0 || order >= MAX_ORDER) badOrder(this.label, order);
    const page = this.machine.allocBlock(this.id, gfp, order);
    const c = this.counters;
    if (page < 0) {
      c.failures[order] = (c.failures[order] as number) + 1;
      return -1;
    }
    c.allocs[order] = (c.allocs[order] as number) + 1;
    c.held += 1 << order;
    return this.machine.pageAddress(page);
  }

  freePages(addr: number, order: number): void {
    const machine = this.machine;
    if (!machine.releaseBlock(this.id, machine.pageAt(addr), order)) notHeldBlock(this.label, addr, order);
    const c = this.counters;
    c.frees[order] = (c.frees[order] as number) + 1;
    c.held -= 1 << order;
    c.pagesReturned += 1 << order;
    this.watcher?.blockFreed(addr, order);
  }

  compoundOrder(addr: number): number {
    return this.machine.blockOrderAt(this.machine.headPage(this.id, this.label, addr));
  }

  compoundHead(addr: number): number {
    return this.machine.pageAddress(this.machine.headPage(this.id, this.label, addr));
  }

  getPrivate(addr: number): number {
    return this.machine.privateAt(this.id, this.label, addr);
  }

  setPrivate(addr: number, value: number): void {
    this.machine.setPrivateAt(this.id, this.label, addr, value);
  }

  /** Does this holder hold the page containing addr? */
  holds(addr: number): boolean {
    return this.machine.ownerOf(addr) === this.id;
  }

  /** Bytes of pages held now. */
  get heldBytes(): number {
    return this.counters.held * PAGE_SIZE;
  }
}

// Kept out of the hot methods, so that these stay small enough for V8 to inline.
function notHeld(label: string, addr: number): never {
  throw new Error(`${label}: ${hex(addr)} is not in a page it holds`);
}

function notHeldBlock(label: string, addr: number, order: number): never {
  throw new Error(`${label}: __free_pages(${hex(addr)}, order ${order}) of a block it does not hold`);
}

function badOrder(label: string, order: number): never {
  throw new RangeError(`${label}: allocation order ${order} outside 0..${MAX_ORDER - 1}`);
}
