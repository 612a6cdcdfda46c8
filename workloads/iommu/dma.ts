import { IovaDomain, orderBase2 } from './iova.ts';
import { SZ_4K, V7sPageTable } from './v7s.ts';

/** A physically contiguous run of a DMA buffer: its bytes and physical address. */
export interface Segment {
  readonly bytes: number;
  readonly paddr: number;
}

/** What the model saw during a pass (strategy-independent: placement failures are the meter's). */
export interface DmaCounters {
  maps: number;
  unmaps: number;
  /** iommu_dma_map_sg failures: no IOVA, or the page table refused (-EEXIST). */
  map_failures: number;
  iova_failures: number;
}

/** dma-iommu's IOVA limit on a 32-bit IOMMU: the IOVA space is 4 GiB, IOVA 0 is never used. */
const IOVA_LIMIT_PFN = 2 ** 32 / SZ_4K;

const align4k = (n: number) => Math.ceil(n / SZ_4K) * SZ_4K;

/**
 * One IOMMU domain driven through dma-iommu (v5.1): iommu_dma_map_sg allocates one IOVA range for
 * the whole scatterlist (iommu_dma_alloc_iova: below 32 pages rounded up to a power of two, every
 * range size-aligned) and maps the segments back to back, coalescing physically contiguous ones
 * (iommu_map_sg); unmap clears the mapped length and frees the IOVA through the rcache.
 */
/** Where table events go, with the CPU that caused them (the one running the map or unmap). */
export interface CpuTableSink {
  allocTable(slot: number, cpu: number): void;
  freeTable(slot: number, cpu: number): void;
}

export class DmaDomain {
  readonly counters: DmaCounters = { maps: 0, unmaps: 0, map_failures: 0, iova_failures: 0 };
  readonly pgtable: V7sPageTable;
  readonly iova: IovaDomain;
  #cpu = 0;

  constructor(cpus: number, sink: CpuTableSink) {
    this.pgtable = new V7sPageTable({
      allocTable: (slot) => sink.allocTable(slot, this.#cpu),
      freeTable: (slot) => sink.freeTable(slot, this.#cpu),
    });
    this.iova = new IovaDomain(1, IOVA_LIMIT_PFN, cpus);
  }

  /** iommu_dma_map_sg(): the DMA address of the buffer, or −1 when it could not be mapped. */
  mapSg(segments: readonly Segment[], cpu: number): number {
    this.#cpu = cpu;
    this.counters.maps++;
    let length = 0;
    for (const s of segments) length += align4k(s.bytes);
    let pages = length / SZ_4K;
    if (pages < 32) pages = 2 ** orderBase2(pages);
    const pfn = this.iova.allocFast(pages, cpu);
    if (pfn < 0) {
      this.counters.iova_failures++;
      this.counters.map_failures++;
      return -1;
    }
    const iova = pfn * SZ_4K;
    let mapped = 0;
    // iommu_map_sg: one iommu_map per physically contiguous run.
    for (let i = 0; i < segments.length; ) {
      const start = (segments[i] as Segment).paddr;
      let len = align4k((segments[i] as Segment).bytes);
      for (i++; i < segments.length && (segments[i] as Segment).paddr === start + len; i++) {
        len += align4k((segments[i] as Segment).bytes);
      }
      if (this.pgtable.iommuMap(iova + mapped, start, len) !== 'ok') {
        if (mapped > 0) this.pgtable.iommuUnmap(iova, mapped);
        this.iova.freeFast(pfn, length / SZ_4K, cpu);
        this.counters.map_failures++;
        return -1;
      }
      mapped += len;
    }
    return iova;
  }

  /** iommu_dma_unmap_sg(): unmap the mapped length, then free_iova_fast on this CPU. */
  unmapSg(iova: number, segments: readonly Segment[], cpu: number): void {
    this.#cpu = cpu;
    this.counters.unmaps++;
    let length = 0;
    for (const s of segments) length += align4k(s.bytes);
    this.pgtable.iommuUnmap(iova, length);
    this.iova.freeFast(iova / SZ_4K, length / SZ_4K, cpu);
  }

  /** arm_v7s_free_pgtable() when the domain goes away. */
  teardown(cpu: number): void {
    this.#cpu = cpu;
    this.pgtable.teardown();
  }
}
