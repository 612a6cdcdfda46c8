/** Lines of a guest's raw capture trace, as tracefs prints them (kprobe hits and iommu events). */

let clock = 1;
const hex = (n: number) => `0x${n.toString(16)}`;
const hex16 = (n: number) => `0x${n.toString(16).padStart(16, '0')}`;

function line(cpu: number, text: string): string {
  clock += 0.000013;
  return `    kworker/${cpu}:1H-38      [${String(cpu).padStart(3, '0')}] d.Z..  ${clock.toFixed(6)}: ${text}`;
}

/** __iommu_dma_map(dev, phys, size) entered. */
export const dmaMap = (cpu: number, dev: string, phys: number, size: number) =>
  line(cpu, `dma_map: (__iommu_dma_map+0x5/0xf0) dev="${dev}" phys=${hex(phys)} size=${hex(size)}`);
/** __iommu_dma_unmap(dev, addr, size) entered. */
export const dmaUnmap = (cpu: number, dev: string, addr: number, size: number) =>
  line(cpu, `dma_unmap: (__iommu_dma_unmap+0x5/0x2d0) dev="${dev}" addr=${hex(addr)} size=${hex(size)}`);
/** iommu_dma_map_sg(dev, sg, nents) entered. */
export const dmaMapSg = (cpu: number, dev: string, nents: number) =>
  line(cpu, `dma_map_sg: (iommu_dma_map_sg+0x5/0x400) dev="${dev}" nents=${hex(nents)}`);
/** iommu_dma_alloc(dev, size) entered. */
export const dmaAlloc = (cpu: number, dev: string, size: number) =>
  line(cpu, `dma_alloc: (iommu_dma_alloc+0x5/0x260) dev="${dev}" size=${hex(size)}`);
/** alloc_iova_fast(iovad, size) entered. */
export const iovaAlloc = (cpu: number, iovad: string, pages: number) =>
  line(cpu, `iova_alloc: (alloc_iova_fast+0x5/0x280) iovad=${iovad} size=${hex(pages)}`);
/** free_iova_fast(iovad, pfn, size) entered. */
export const iovaFree = (cpu: number, iovad: string, pfn: number, pages: number) =>
  line(cpu, `iova_free: (free_iova_fast+0x5/0x1a0) iovad=${iovad} pfn=${hex(pfn)} size=${hex(pages)}`);
/** The iommu:map tracepoint. */
export const map = (cpu: number, iova: number, paddr: number, size: number) =>
  line(cpu, `map: IOMMU: iova=${hex16(iova)} - ${hex16(iova + size)} paddr=${hex16(paddr)} size=${size}`);
/** The iommu:unmap tracepoint. */
export const unmap = (cpu: number, iova: number, size: number) =>
  line(cpu, `unmap: IOMMU: iova=${hex16(iova)} - ${hex16(iova + size)} size=${size} unmapped_size=${size}`);
