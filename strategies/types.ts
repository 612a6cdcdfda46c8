import type { KernelVersion } from '../core/kernel.ts';
import type { ParamDefs, ParamValues } from '../core/params.ts';
import type { Placement } from '../core/placement.ts';
import type { PlatformKernel } from '../core/platforms.ts';
import type { Requirement } from '../core/requirements.ts';

/**
 * The page allocator as a strategy sees it: the kernel's __get_free_pages / __free_pages and the
 * struct page fields an allocator may keep state in. Addresses are physical, in bytes.
 */
export interface PageAllocator {
  /** __get_free_pages(gfp, order): the address of a naturally aligned 2^order-page block, or −1. */
  allocPages(gfp: number, order: number): number;
  /** __free_pages(): give back a whole block obtained from allocPages with the same order. */
  freePages(addr: number, order: number): void;
  /** compound_order(virt_to_head_page(addr)) of a block this allocator holds. */
  compoundOrder(addr: number): number;
  /** Address of the first page of the held block containing addr (virt_to_head_page). */
  compoundHead(addr: number): number;
  /** A word of the head page's struct page (page->private, slab pointer, refcount…). */
  getPrivate(addr: number): number;
  setPrivate(addr: number, value: number): void;
}

/**
 * One L2-table allocation strategy instance: 1 KiB, 1 KiB-aligned tables, all memory from its
 * PageAllocator. It knows nothing of metrics; it may expose what a kernel would show in
 * /proc/slabinfo or debugfs (metadata, stranded memory, work counters).
 */
export interface TableAllocator {
  /** Allocate one table on `cpu`: its physical address, or −1 when memory cannot be had. */
  alloc(cpu: number): number;
  /** Free the table at `addr` on `cpu` (which may differ from the allocating CPU). */
  free(addr: number, cpu: number): void;
  /** Bytes of bookkeeping outside the pages it holds (descriptors, bitmaps, page headers). */
  metadataBytes(): number;
  /** Bytes of freed tables it holds but cannot hand out again right now. */
  strandedBytes(): number;
  /** Modelled kernel work so far, by counter name (slow paths, bitmap words scanned…). */
  readonly work: Readonly<Record<string, number>>;
  /**
   * For each parameter whose value can make allocations fail (a pool size), the smallest value that
   * would have served every allocation so far; once one has failed, a lower bound. Reports use it to
   * say what would qualify a strategy that failed.
   */
  requirements?(): Readonly<Record<string, number>>;
  /**
   * For an allocator that models a slab cache: the counters of /sys/kernel/slab/<cache>/ that a live
   * check compares after every event, into `out` (cheap), and everything that folder shows.
   */
  sysfsCounters?(out: SlabCounters): SlabCounters;
  sysfsView?(): SlabSysfs;
  /**
   * For a slab cache, what a live check does to the kernel's cache between events: flush_all()
   * (every CPU's active slab and partial list put to the node), kmem_cache_shrink(), and how many
   * CPUs hold slabs (has_cpu_slab: those flush_all() queues work on).
   */
  flushAll?(): void;
  shrink?(): void;
  cpusHoldingSlabs?(): number;
}

/** The sysfs counters a live check compares after every event (`slabs`, `partial`, `cpu_slabs`, the total of `slabs_cpu_partial`). */
export interface SlabCounters {
  slabs: number;
  partial: number;
  cpu_slabs: number;
  slabs_cpu_partial: number;
}

/** What /sys/kernel/slab/<cache>/ shows (show_slab_objects and friends), one node. */
export interface SlabSysfs {
  /** All slabs of the cache (`slabs`). */
  readonly slabs: number;
  /** n->nr_partial (`partial`). */
  readonly partial: number;
  /** For each CPU with an active slab: 1 + the slab count of its partial list (`cpu_slabs`). */
  readonly cpu_slabs: number;
  /** Slabs on every CPU's partial list (`slabs_cpu_partial`, the number in parentheses). */
  readonly slabs_cpu_partial: number;
  /** The same per CPU (0 for a CPU whose list is empty, which sysfs leaves out). */
  readonly slabs_cpu_partial_by_cpu: readonly number[];
  /** All objects minus the free ones on the node partial list (`objects`). */
  readonly objects: number;
  /** Objects in use on the node partial list (`objects_partial`). */
  readonly objects_partial: number;
  /** Objects of every slab (`total_objects`). */
  readonly total_objects: number;
}

export interface StrategyContext {
  /** The pages, metered and owned by this instance. */
  readonly pages: PageAllocator;
  /** nr_cpu_ids of the machine. */
  readonly cpus: number;
  /** Parameters from `name:key=value`, already validated against the factory's params. */
  readonly params: ParamValues;
  /** The kernel version to model (default DEFAULT_KERNEL, v5.1); a strategy that does not branch on it behaves the same under each. */
  readonly kernel?: KernelVersion;
  /**
   * totalram_pages(): the pages of DRAM the page allocator manages (the 6.18 atomic DMA pool is sized
   * from it). Default: the MT8173-like machine's 4 GiB.
   */
  readonly totalramPages?: number;
}

/** A named strategy: a factory of fresh instances. */
export interface Strategy {
  readonly name: string;
  /** One line for `l2bench list strategies`. */
  readonly description: string;
  readonly placement: Placement;
  readonly params: ParamDefs;
  /**
   * What it needs from the platform (core/requirements.ts), by its parameters' values when they
   * matter; none when absent. A platform that does not offer one makes the strategy not applicable there.
   */
  readonly requires?: readonly Requirement[] | ((params: ParamValues) => readonly Requirement[]);
  /**
   * Why the kernel could not build `value` of a parameter its instances' requirements() name, on a
   * platform with these facts ('' when it could): a value it cannot build is never suggested.
   */
  unbuildable?(key: string, value: number, kernel: KernelVersion, platform: PlatformKernel): string;
  create(ctx: StrategyContext): TableAllocator;
}

/** The requirements of a strategy with these parameter values. */
export function requirementsOf(strategy: Strategy, params: ParamValues): readonly Requirement[] {
  const r = strategy.requires;
  return typeof r === 'function' ? r(params) : (r ?? []);
}
