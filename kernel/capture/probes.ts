/**
 * Probes on dma-iommu that name the device of each mapping (the iommu:map and iommu:unmap
 * tracepoints do not, and every device has its own IOVA space, so IOVAs overlap between devices),
 * and on the IOVA allocator, which say how large an IOVA range each dma-iommu call asked for and
 * when it was given back (in lazy mode long after its unmap: when dma-iommu's flush queue is
 * flushed). Entry probes only: a return probe (kretprobe) on alloc_iova_fast made the kernel miss
 * probe hits of interrupts that came while its handler ran (2 misses in a 2-vCPU capture of mix).
 * Checked against Debian's 6.1.0-57-amd64 build (6.1.192-3):
 * - /proc/kallsyms has each function (none inlined or renamed .isra/.constprop);
 * - CONFIG_X86_KERNEL_IBT is off, so a function starts with its 5-byte `call __fentry__`: a probe at
 *   +5 is on the next instruction boundary (the kernel refuses one that is not, -EILSEQ), an int3
 *   probe rather than an ftrace-based one (at +0, about 50 events a run went to the wrong device);
 *   kprobes-optimization is turned off so that it stays int3;
 * - at +5 nothing has touched the argument registers (x86-64 SysV: %di, %si, %dx, …), and the capture
 *   checks the arguments against the events: a map must have the paddr and size the probe predicts,
 *   an IOVA range must hold the maps that use it.
 * `dev=+0(+0(%di)):string` is dev->kobj.name (struct device starts with its kobject, which starts
 * with its name): the PCI address.
 */
interface Probe {
  /** The event's name in the trace (group l2bench). */
  readonly event: ProbeEvent;
  readonly fn: string;
  readonly args: string;
  /** What it says. */
  readonly role: string;
}

export type ProbeEvent =
  | 'dma_map'
  | 'dma_unmap'
  | 'dma_map_sg'
  | 'dma_alloc'
  | 'dma_alloc_nc'
  | 'iova_alloc'
  | 'iova_free';

/** The probe offset past the fentry call. */
const PROBE_OFFSET = 5;
const DEV = 'dev=+0(+0(%di)):string';

const PROBES: readonly Probe[] = [
  {
    event: 'dma_map',
    fn: '__iommu_dma_map',
    args: `${DEV} phys=%si size=%dx`,
    role: 'one iommu_map of (phys & ~0xfff, size rounded up to pages): dma_map_page, map_resource, coherent allocations',
  },
  {
    event: 'dma_unmap',
    fn: '__iommu_dma_unmap',
    args: `${DEV} addr=%si size=%dx`,
    role: 'one iommu_unmap of (addr & ~0xfff, size rounded up to pages): every unmap and free of dma-iommu',
  },
  {
    event: 'dma_map_sg',
    fn: 'iommu_dma_map_sg',
    args: `${DEV} nents=%dx`,
    role: 'a scatterlist: one IOVA range, one iommu_map per physically contiguous run, in IOVA order',
  },
  {
    event: 'dma_alloc',
    fn: 'iommu_dma_alloc',
    args: `${DEV} size=%si`,
    role: 'a coherent allocation: through dma_map (contiguous) or, remapped, like a scatterlist',
  },
  {
    event: 'dma_alloc_nc',
    fn: 'iommu_dma_alloc_noncontiguous',
    args: `${DEV} size=%si`,
    role: 'dma_alloc_noncontiguous: like a scatterlist',
  },
  {
    event: 'iova_alloc',
    fn: 'alloc_iova_fast',
    args: 'iovad=%di size=%si',
    role: "an IOVA range asked for, in pages, inside the dma-iommu call just entered on this CPU (which IOVA domain is the device's); the call's first map says where it went",
  },
  {
    event: 'iova_free',
    fn: 'free_iova_fast',
    args: 'iovad=%di pfn=%si size=%dx',
    role: 'an IOVA range given back: at the unmap when strict, when the flush queue is flushed when lazy',
  },
];

/** The kprobe_events lines that define the probes. */
export function kprobeDefinitions(): string[] {
  return PROBES.map((p) => `p:l2bench/${p.event} ${p.fn}+${PROBE_OFFSET} ${p.args}`);
}
