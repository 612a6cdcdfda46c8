/** What the guest's /init prints on the console, so that the host can follow a boot. */
export const CONSOLE_MARK = 'l2bench-lab:';

/** The file in the share where /init writes the exit status of the boot's script. */
export const STATUS_FILE = '.l2bench-status';

/** Where the share is in the guest, and the boot's script. */
const GUEST_SHARE = '/lab';
export const GUEST_SCRIPT = '/lab.sh';

/**
 * The guest's /init (busybox sh as PID 1): mount the kernel's file systems, load virtio_pci and
 * 9p and mount the exchange share at /lab (a virtio device without iommu_platform: its DMA
 * bypasses the IOMMU and adds no iommu event), run /lab.sh in /lab, write its exit status to
 * /lab/.l2bench-status, and power off. Device drivers are left to the script, so that it can
 * start tracing before they probe.
 */
export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
say() { echo "${CONSOLE_MARK} $*"; }
if ! { modprobe virtio_pci && modprobe 9pnet_virtio && modprobe 9p &&
       mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 lab ${GUEST_SHARE}; }; then
  say "FAILED: cannot mount the exchange share"
  poweroff -f
fi
say "ready at $(cut -d' ' -f1 /proc/uptime) s"
cd ${GUEST_SHARE}
sh ${GUEST_SCRIPT}
status=$?
echo $status > ${GUEST_SHARE}/${STATUS_FILE}.tmp && mv ${GUEST_SHARE}/${STATUS_FILE}.tmp ${GUEST_SHARE}/${STATUS_FILE}
say "script exited $status at $(cut -d' ' -f1 /proc/uptime) s"
sync
poweroff -f
`;
