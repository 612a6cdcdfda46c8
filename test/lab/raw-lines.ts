/** Lines of a guest's raw capture trace, as tracefs prints them (kprobe hits and iommu events). */

let clock = 1;
const hex16 = (n: number) => `0x${n.toString(16).padStart(16, '0')}`;

function line(cpu: number, text: string): string {
  clock += 0.000013;
  return `    kworker/${cpu}:1H-38      [${String(cpu).padStart(3, '0')}] d.Z..  ${clock.toFixed(6)}: ${text}`;
}

/** The iommu:map tracepoint. */
export const map = (cpu: number, iova: number, paddr: number, size: number) =>
  line(cpu, `map: IOMMU: iova=${hex16(iova)} - ${hex16(iova + size)} paddr=${hex16(paddr)} size=${size}`);
/** The iommu:unmap tracepoint. */
export const unmap = (cpu: number, iova: number, size: number) =>
  line(cpu, `unmap: IOMMU: iova=${hex16(iova)} - ${hex16(iova + size)} size=${size} unmapped_size=${size}`);
