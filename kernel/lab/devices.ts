/**
 * The guest's DMA devices: real drivers of the guest kernel behind QEMU's emulated VT-d, each at a
 * fixed PCI address in its own IOMMU group (a DMA domain of its own). The virtio devices use the
 * DMA API only with iommu_platform=on (VIRTIO_F_ACCESS_PLATFORM); nvme and e1000e always do. The
 * block devices are QEMU null-co (reads give zeroes, writes are dropped): the guest's DMA is real,
 * the host does no disk I/O. The two NICs are on one QEMU hub, with no host network.
 */
export interface Device {
  /** The name traces and manifests use. */
  readonly name: DeviceName;
  /** Its PCI address in the guest: what the probes print as the device's name. */
  readonly pci: string;
  /** The guest driver bound to it (a module of the guest kernel). */
  readonly module: string;
  /** The QEMU options that make it. */
  readonly qemu: readonly string[];
}

export type DeviceName = 'virtio-blk' | 'nvme' | 'virtio-net' | 'e1000e';

const DISK = 'size=4294967296,read-zeroes=on';

export const DEVICES: readonly Device[] = [
  {
    name: 'virtio-blk',
    pci: '0000:00:03.0',
    module: 'virtio_blk',
    qemu: [
      '-blockdev',
      `driver=null-co,node-name=vblk,${DISK}`,
      '-device',
      'virtio-blk-pci,drive=vblk,iommu_platform=on,disable-legacy=on,addr=0x3',
    ],
  },
  {
    name: 'nvme',
    pci: '0000:00:04.0',
    module: 'nvme',
    qemu: [
      '-blockdev',
      `driver=null-co,node-name=vnvme,${DISK}`,
      '-device',
      'nvme,drive=vnvme,serial=l2bench,addr=0x4',
    ],
  },
  {
    name: 'virtio-net',
    pci: '0000:00:05.0',
    module: 'virtio_net',
    qemu: [
      '-netdev',
      'hubport,hubid=0,id=hub0',
      '-device',
      'virtio-net-pci,netdev=hub0,iommu_platform=on,disable-legacy=on,addr=0x5',
    ],
  },
  {
    name: 'e1000e',
    pci: '0000:00:06.0',
    module: 'e1000e',
    qemu: ['-netdev', 'hubport,hubid=0,id=hub1', '-device', 'e1000e,netdev=hub1,addr=0x6'],
  },
];

/** A PCI device's name in captures: the lab's name for its devices, pci-0000-00-1f-2 for another. */
export function deviceName(pci: string): string {
  return DEVICES.find((d) => d.pci === pci)?.name ?? `pci-${pci.replace(/[:.]/g, '-')}`;
}
