import { IovaDomain, lowerBound, orderBase2 } from '../../workloads/iommu/iova.ts';

const PAGE = 0x1000;
/** dma-iommu's IOVA space on a 32-bit IOMMU (the guest's devices got 32-bit IOVAs, as a v7s domain's are). */
const IOVA_LIMIT_PFN = 2 ** 32 / PAGE;
/** IOVA_RANGE_CACHE_MAX_SIZE (6): alloc_iova_fast rounds sizes below 1 << 5 pages up to a power of two. */
const ROUND_BELOW = 32;
/**
 * The guest's IOVA_MAG_SIZE: Debian's 6.1.192 has the 127-PFN magazine ("iommu/iova: Optimize
 * iova_magazine alloc size"). Measured: replaying a lazy capture's virtio-net allocations alone gave
 * the guest's IOVA for every one of 36,825 maps with 127, for 8,558 with v5.1's 128 (every capture's
 * manifest repeats the check per device: iova_model_matches).
 */
const GUEST_MAGAZINE = 127;

/** A live IOVA range of one device's domain, and where the shared domain put it (-1: nowhere). */
interface Range {
  readonly pfn: number;
  readonly pages: number;
  readonly shared: number;
}

/** One domain's live ranges, sorted by first page: which range holds a page. */
class Ranges {
  readonly #pfns: number[] = [];
  readonly #byPfn = new Map<number, Range>();

  add(r: Range): void {
    this.#byPfn.set(r.pfn, r);
    this.#pfns.splice(this.#below(r.pfn + 1), 0, r.pfn);
  }

  remove(pfn: number): Range | undefined {
    const r = this.#byPfn.get(pfn);
    if (!r) return undefined;
    this.#byPfn.delete(pfn);
    this.#pfns.splice(this.#below(pfn), 1);
    return r;
  }

  /** The range holding page pfn. */
  holding(pfn: number): Range | undefined {
    const i = this.#below(pfn + 1) - 1;
    const r = i >= 0 ? this.#byPfn.get(this.#pfns[i] as number) : undefined;
    return r && pfn < r.pfn + r.pages ? r : undefined;
  }

  /** How many first pages are below pfn. */
  #below(pfn: number): number {
    return lowerBound(this.#pfns, pfn);
  }
}

export interface SharedDomainCounts {
  /** IOVA ranges allocated (one per dma-iommu call that got one). */
  ranges: number;
  /** Ranges the shared IOVA space could not hold (alloc_iova_fast failed): their events are left out. */
  iova_failures: number;
  /** Ranges given back that were not allocated in the capture. */
  frees_unmatched: number;
}

/**
 * IOVA domains replayed through l2bench's model of iova.c (alloc_iova_fast with per-CPU rcaches,
 * the one the v7s scenarios use, with the guest's magazine size): each range a domain of the guest
 * allocated (alloc_iova_fast: its size in pages, on its CPU) is allocated here too, at the point the
 * guest's call entered alloc_iova_fast (an interrupt that gives ranges back can come between that
 * and the call's first map, which says where the guest's range is), and given back
 * when the guest gave it back (free_iova_fast: at the unmap when strict, at the flush queue's flush
 * when lazy). Fed every device's ranges, it is one domain for all devices, as mtk_iommu puts its
 * masters in one domain with one page table: the sizes, order, CPUs and the time each range stays
 * reserved are the capture's, the IOVAs are modelled. Fed one device's, it must give back the
 * guest's own IOVAs: the check of the model.
 */
export class SharedDomain {
  readonly counts: SharedDomainCounts = { ranges: 0, iova_failures: 0, frees_unmatched: 0 };
  readonly #iova: IovaDomain;
  readonly #domains = new Map<string, Ranges>();

  constructor(cpus: number) {
    this.#iova = new IovaDomain(1, IOVA_LIMIT_PFN, cpus, GUEST_MAGAZINE);
  }

  /**
   * alloc_iova_fast of pages on cpu, when the guest's call entered it: the first page the model
   * gives, or -1. As alloc_iova_fast does since v5.11, a size below 32 pages is rounded up to a
   * power of two first (the rcaches hold only those).
   */
  alloc(pages: number, cpu: number): number {
    const shared = this.#iova.allocFast(pages < ROUND_BELOW ? 2 ** orderBase2(pages) : pages, cpu);
    if (shared < 0) this.counts.iova_failures++;
    else this.counts.ranges++;
    return shared;
  }

  /** Device dev's domain got pages at pfn (its call's first map says where) for what alloc() gave: shared. */
  bind(dev: string, pfn: number, pages: number, shared: number): void {
    let ranges = this.#domains.get(dev);
    if (!ranges) {
      ranges = new Ranges();
      this.#domains.set(dev, ranges);
    }
    ranges.add({ pfn, pages, shared });
  }

  /** Device dev's domain gave back pages at pfn on cpu. */
  free(dev: string, pfn: number, pages: number, cpu: number): void {
    const r = this.#domains.get(dev)?.remove(pfn);
    if (!r) {
      this.counts.frees_unmatched++;
      return;
    }
    if (r.shared >= 0) this.#iova.freeFast(r.shared, pages, cpu);
  }

  /** Where an IOVA of dev's domain is in the shared one: -1 when no live range holds it. */
  translate(dev: string, iova: number): number {
    const r = this.#domains.get(dev)?.holding(Math.floor(iova / PAGE));
    if (!r || r.shared < 0) return -1;
    return iova + (r.shared - r.pfn) * PAGE;
  }
}
