/**
 * What `l2bench capture` runs in the guest: named workloads, each a busybox sh fragment run once
 * the devices are up (guest-script.ts), while iommu:map/unmap and the probes are recorded. The
 * fragment may call `fail MESSAGE` (in a background part too), `parts_done` (wait for the background
 * parts whose PIDs it added to $parts, failing if one did; a bare `wait` would also wait for the
 * network namespace's holder, which never ends) and `in_ns COMMAND` (run on the e1000e side, 10.0.0.2; virtio-net is
 * 10.0.0.1, and each side serves /4m, /1m and /small over HTTP). Sizes and
 * counts are fixed, so that a workload's name says what ran (its sha256 goes into the manifest);
 * guest time is emulated (TCG), so how long each takes is not a property of the workload.
 */
export interface CaptureWorkload {
  readonly name: string;
  readonly description: string;
  readonly script: string;
}

/** O_DIRECT reads then writes of mib MiB at each request size on a block device. */
const directIo = (dev: string, mib: number, sizes: readonly number[]) => `
for bs in ${sizes.join(' ')}; do
  n=$(( ${mib} * 1048576 / bs ))
  dd if=/dev/${dev} of=/dev/null bs=$bs count=$n iflag=direct 2>/dev/null || fail "direct read of /dev/${dev} (bs=$bs)"
  dd if=/dev/zero of=/dev/${dev} bs=$bs count=$n oflag=direct 2>/dev/null || fail "direct write of /dev/${dev} (bs=$bs)"
done`;

/** Buffered writes (written back by the flusher, then sync), the page cache dropped, buffered reads (readahead). */
const bufferedIo = (dev: string, mib: number, sizes: readonly number[]) => `
for bs in ${sizes.join(' ')}; do
  n=$(( ${mib} * 1048576 / bs ))
  dd if=/dev/zero of=/dev/${dev} bs=$bs count=$n 2>/dev/null || fail "buffered write of /dev/${dev} (bs=$bs)"
  sync
  echo 3 > /proc/sys/vm/drop_caches
  dd if=/dev/${dev} of=/dev/null bs=$bs count=$n 2>/dev/null || fail "buffered read of /dev/${dev} (bs=$bs)"
done`;

/** streams concurrent O_DIRECT streams on the NVMe namespace, each rounds × 16 requests of 4–128 KiB at random places. */
const nvmeDeep = (streams: number, rounds: number) => `
for s in $(seq ${streams}); do
  (
    r=0
    while [ $r -lt ${rounds} ]; do
      bs=$(( 4096 << (RANDOM % 6) )); at=$(( RANDOM % 4096 ))
      if [ $(( RANDOM % 2 )) = 0 ]; then
        dd if=/dev/nvme0n1 of=/dev/null bs=$bs count=16 skip=$at iflag=direct 2>/dev/null
      else
        dd if=/dev/zero of=/dev/nvme0n1 bs=$bs count=16 seek=$at oflag=direct 2>/dev/null
      fi || fail "NVMe stream $s (bs=$bs)"
      r=$(( r + 1 ))
    done
  ) &
  parts="$parts $!"
done
parts_done`;

/** HTTP downloads of a file (4m or 1m: its MiB) both ways: virtio-net sends and e1000e receives, then the reverse. */
const netBulk = (rounds: number, file: '4m' | '1m') => `
for i in $(seq ${rounds}); do
  in_ns wget -q -O /dev/null http://10.0.0.1/${file} || fail "download over virtio-net"
  wget -q -O /dev/null http://10.0.0.2/${file} || fail "download over e1000e"
done`;

/** Small packets: pings of 56 bytes every 10 ms both ways, and short HTTP requests. */
const netSmall = (pings: number, requests: number) => `
ping -q -c ${pings} -i 0.01 -s 56 10.0.0.2 > /dev/null || fail "ping over e1000e"
in_ns ping -q -c ${pings} -i 0.01 -s 56 10.0.0.1 > /dev/null || fail "ping over virtio-net"
for i in $(seq ${requests}); do
  in_ns wget -q -O /dev/null http://10.0.0.1/small || fail "small request over virtio-net"
  wget -q -O /dev/null http://10.0.0.2/small || fail "small request over e1000e"
done`;

const SIZES = [4096, 16384, 65536, 262144, 1048576];

export const CAPTURE_WORKLOADS: readonly CaptureWorkload[] = [
  {
    name: 'block-direct',
    description: 'virtio-blk, O_DIRECT reads then writes of 4 MiB at 4, 16, 64, 256 and 1024 KiB per request',
    script: directIo('vda', 4, SIZES),
  },
  {
    name: 'block-buffered',
    description:
      'virtio-blk through the page cache: 8 MiB written (writeback, sync), the cache dropped, read back (readahead), at 4, 64 and 1024 KiB per call',
    script: bufferedIo('vda', 8, [4096, 65536, 1048576]),
  },
  {
    name: 'nvme-deep',
    description:
      'NVMe, 32 concurrent O_DIRECT streams of 4–128 KiB random reads and writes (4 rounds of 16 requests each)',
    script: nvmeDeep(32, 4),
  },
  {
    name: 'net-bulk',
    description: 'TCP bulk transfer between virtio-net and e1000e on one hub: a 4 MiB HTTP download each way',
    script: netBulk(1, '4m'),
  },
  {
    name: 'net-small',
    description:
      'small packets between virtio-net and e1000e: 300 pings of 56 B every 10 ms each way, 50 short HTTP requests each way',
    script: netSmall(300, 50),
  },
  {
    name: 'mix',
    description:
      'all at once: block-direct (1 MiB per size), nvme-deep (16 streams × 2 rounds), net-bulk (1 MiB each way), net-small (60 pings, 10 requests)',
    script: `
( ${directIo('vda', 1, SIZES)} ) &
parts="$parts $!"
( ${nvmeDeep(16, 2)} ) &
parts="$parts $!"
( ${netBulk(1, '1m')} ) &
parts="$parts $!"
( ${netSmall(60, 10)} ) &
parts="$parts $!"
parts_done`,
  },
  {
    name: 'idle',
    description:
      'a long idle: 60 s with a wake-up every second (a 4 KiB O_DIRECT read on each disk, one ping each way)',
    script: `
for i in $(seq 60); do
  sleep 1
  dd if=/dev/vda of=/dev/null bs=4096 count=1 skip=$i iflag=direct 2>/dev/null || fail "read of /dev/vda"
  dd if=/dev/nvme0n1 of=/dev/null bs=4096 count=1 skip=$i iflag=direct 2>/dev/null || fail "read of /dev/nvme0n1"
  ping -q -c 1 10.0.0.2 > /dev/null || fail "ping over e1000e"
  in_ns ping -q -c 1 10.0.0.1 > /dev/null || fail "ping over virtio-net"
done`,
  },
  {
    name: 'smoke',
    description:
      'a short check of every device: 64 O_DIRECT 4 KiB reads on each disk, 5 pings each way, one HTTP request each way',
    script: `
dd if=/dev/vda of=/dev/null bs=4096 count=64 iflag=direct 2>/dev/null || fail "read of /dev/vda"
dd if=/dev/nvme0n1 of=/dev/null bs=4096 count=64 iflag=direct 2>/dev/null || fail "read of /dev/nvme0n1"
ping -q -c 5 -i 0.05 10.0.0.2 > /dev/null || fail "ping over e1000e"
in_ns ping -q -c 5 -i 0.05 10.0.0.1 > /dev/null || fail "ping over virtio-net"
in_ns wget -q -O /dev/null http://10.0.0.1/small || fail "request over virtio-net"
wget -q -O /dev/null http://10.0.0.2/small || fail "request over e1000e"`,
  },
];

export function captureWorkload(name: string): CaptureWorkload | undefined {
  return CAPTURE_WORKLOADS.find((w) => w.name === name);
}
