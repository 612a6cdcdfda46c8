import { DEVICES } from '../lab/devices.ts';
import { kprobeDefinitions } from './probes.ts';
import type { CaptureWorkload } from './workloads.ts';

/** Files the capture script leaves in the share. */
export const GUEST_OUTPUT = {
  trace: 'trace.txt',
  ringStats: 'ring-stats.txt',
  devices: 'devices.txt',
  uname: 'uname.txt',
  times: 'workload-times.txt',
  probes: 'kprobe-profile.txt',
} as const;

/** The ring buffer per CPU: a 21 s workload of 176 k events lost none with 256 MB; these stay shorter. */
export const BUFFER_KB = 131072;

const CONSOLE = 'l2bench-capture:';

/**
 * The guest side of a capture: define the probes (refused probes fail the capture), size the ring
 * buffer, enable iommu:map, iommu:unmap and the probes, start tracing, then load the device
 * drivers (so their rings and buffers set up at probe time are in the trace), wait for the devices,
 * set up the network (e1000e moved into a network namespace, so that traffic between 10.0.0.1 and
 * 10.0.0.2 crosses the hub), run the workload, stop tracing and write out the trace, the ring
 * buffers' statistics and what each PCI device is bound to.
 */
export function captureScript(w: CaptureWorkload): string {
  const net = DEVICES.find((d) => d.name === 'virtio-net')?.pci;
  const e1000e = DEVICES.find((d) => d.name === 'e1000e')?.pci;
  return `T=/sys/kernel/tracing
rm -f /tmp/failed
fail() { echo "$*" >> /tmp/failed; echo "${CONSOLE} FAILED: $*"; exit 1; }
parts=
parts_done() {
  for p in $parts; do wait $p; done
  parts=
  [ ! -e /tmp/failed ] || { echo "${CONSOLE} FAILED: $(head -n 1 /tmp/failed)"; exit 1; }
}
uptime_s() { cut -d' ' -f1 /proc/uptime; }

echo 0 > /proc/sys/debug/kprobes-optimization || fail "cannot turn kprobes-optimization off"
${kprobeDefinitions()
  .map((d) => `echo '${d}' >> $T/kprobe_events || fail "the kernel refused the probe: ${d}"`)
  .join('\n')}
echo ${BUFFER_KB} > $T/buffer_size_kb || fail "cannot size the ring buffer"
echo 1 > $T/events/l2bench/enable && echo 1 > $T/events/iommu/map/enable && echo 1 > $T/events/iommu/unmap/enable || fail "cannot enable the events"
echo 1 > $T/tracing_on

for m in ${DEVICES.map((d) => d.module).join(' ')}; do modprobe $m || fail "cannot load $m"; done
i=0
while [ ! -b /dev/vda ] || [ ! -b /dev/nvme0n1 ] || ! ls /sys/bus/pci/devices/${net}/virtio*/net/* >/dev/null 2>&1 || [ ! -d /sys/bus/pci/devices/${e1000e}/net ]; do
  i=$((i + 1)); [ $i -le 300 ] || fail "the devices did not appear within 30 s"; sleep 0.1
done
VNET=$(ls /sys/bus/pci/devices/${net}/virtio*/net/)
ENET=$(ls /sys/bus/pci/devices/${e1000e}/net/)
ip link set lo up && ip link set $VNET up && ip addr add 10.0.0.1/24 dev $VNET || fail "cannot set up $VNET"
unshare -n sh -c 'echo $$ > /tmp/ns.pid; exec sleep 100000' &
i=0; while [ ! -s /tmp/ns.pid ]; do i=$((i + 1)); [ $i -le 100 ] || fail "no network namespace"; sleep 0.1; done
NS=$(cat /tmp/ns.pid)
in_ns() { nsenter -n -t $NS "$@"; }
ip link set $ENET netns $NS || fail "cannot move $ENET into a namespace"
in_ns sh -c "ip link set lo up && ip link set $ENET up && ip addr add 10.0.0.2/24 dev $ENET" || fail "cannot set up $ENET"
mkdir -p /tmp/www && dd if=/dev/zero of=/tmp/www/4m bs=1048576 count=4 2>/dev/null && dd if=/dev/zero of=/tmp/www/1m bs=1048576 count=1 2>/dev/null && echo ok > /tmp/www/small
httpd -p 10.0.0.1:80 -h /tmp/www && in_ns httpd -p 10.0.0.2:80 -h /tmp/www || fail "cannot start httpd"
i=0; while ! ping -q -c 1 -W 1 10.0.0.2 > /dev/null 2>&1; do i=$((i + 1)); [ $i -le 30 ] || fail "no link between 10.0.0.1 and 10.0.0.2"; done

for d in /sys/bus/pci/devices/*; do
  drv=$(basename "$(readlink $d/driver)" 2>/dev/null)
  for v in $d/virtio*; do [ -e "$v/driver" ] && drv=$(basename "$(readlink $v/driver)"); done
  echo "\${d##*/} \${drv:--} $(basename "$(readlink $d/iommu_group)") $(cat $d/iommu_group/type 2>/dev/null || echo -)"
done > ${GUEST_OUTPUT.devices}
uname -a > ${GUEST_OUTPUT.uname}

echo "${CONSOLE} workload ${w.name} starts at $(uptime_s) s"
t0=$(uptime_s)
${w.script.trim()}
t1=$(uptime_s)
echo 0 > $T/tracing_on
echo "${CONSOLE} workload ${w.name} ended at $t1 s"
echo "$t0 $t1" > ${GUEST_OUTPUT.times}
cat $T/kprobe_profile > ${GUEST_OUTPUT.probes}
for c in $T/per_cpu/cpu*; do echo "\${c##*/} $(tr '\\n' ' ' < $c/stats)"; done > ${GUEST_OUTPUT.ringStats}
cat $T/trace > ${GUEST_OUTPUT.trace}.tmp && mv ${GUEST_OUTPUT.trace}.tmp ${GUEST_OUTPUT.trace} || fail "cannot write the trace to the share"
sync
`;
}
