import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { deviceName } from '../lab/devices.ts';
import { GUEST_OUTPUT } from './guest-script.ts';
import type { CapturedDevice } from './split.ts';

/** What the capture script reported besides the trace. */
export interface GuestFacts {
  readonly devices: CapturedDevice[];
  readonly ring: { lost: number; written: number; inBuffer: number };
  /** Probe hits the kernel could not record, by probe (those with any). */
  readonly probeMisses: Record<string, number>;
  /** Guest uptime when the workload started and ended. */
  readonly workloadSeconds: [number, number];
  readonly uname: string;
}

/** Read the files the capture script left in the share. */
export function readGuestFacts(share: string): GuestFacts {
  const times = readFileSync(join(share, GUEST_OUTPUT.times), 'utf8').trim().split(/\s+/).map(Number);
  return {
    devices: readDevices(join(share, GUEST_OUTPUT.devices)),
    ring: readRing(join(share, GUEST_OUTPUT.ringStats), join(share, GUEST_OUTPUT.trace)),
    probeMisses: readProbeMisses(join(share, GUEST_OUTPUT.probes)),
    workloadSeconds: [times[0] ?? Number.NaN, times[1] ?? Number.NaN],
    uname: readFileSync(join(share, GUEST_OUTPUT.uname), 'utf8').trim(),
  };
}

/** devices.txt: `PCI DRIVER GROUP TYPE` per PCI device; the lab's devices get their names. */
function readDevices(file: string): CapturedDevice[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pci = '', driver = '-', group = '-', domain = '-'] = line.trim().split(/\s+/);
      return { name: deviceName(pci), pci, driver, iommu_group: group, domain };
    });
}

/**
 * What the ring buffers lost: each CPU's overrun (overwritten), commit overrun and dropped events
 * (per_cpu/cpuN/stats), checked against the trace's own `entries-in-buffer/entries-written` line.
 */
function readRing(statsFile: string, trace: string): { lost: number; written: number; inBuffer: number } {
  let lost = 0;
  for (const line of readFileSync(statsFile, 'utf8').split('\n')) {
    for (const key of [/(?<!commit )overrun: (\d+)/, /commit overrun: (\d+)/, /dropped events: (\d+)/]) {
      const m = key.exec(line);
      if (m) lost += Number(m[1]);
    }
  }
  const fd = openSync(trace, 'r');
  const head = Buffer.alloc(4096);
  const n = readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  const m = /entries-in-buffer\/entries-written: (\d+)\/(\d+)/.exec(head.toString('utf8', 0, n));
  const inBuffer = m ? Number(m[1]) : 0;
  const written = m ? Number(m[2]) : 0;
  return { lost: Math.max(lost, written - inBuffer), written, inBuffer };
}

/** kprobe_profile: `EVENT HITS MISSES` per probe; misses are hits the kernel could not record (a probe inside another). */
function readProbeMisses(file: string): Record<string, number> {
  const misses: Record<string, number> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*(\S+)\s+\d+\s+(\d+)\s*$/.exec(line);
    if (m && Number(m[2]) > 0) misses[m[1] as string] = Number(m[2]);
  }
  return misses;
}
