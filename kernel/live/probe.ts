import { closeSync, existsSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import type { KernelVersion } from '../../core/kernel.ts';
import { preadStart } from './libc.ts';

/**
 * What the running kernel offers as an oracle for the SLUB model: its version, the msg_msg-* bucket
 * caches (CONFIG_SLAB_BUCKETS, Linux 6.11+) and their geometry in sysfs, who else uses System V
 * messages, KFENCE, the online CPUs and the System V limits. Only reads; `shrinkCache` writes.
 */

/** The msg_msg buckets userspace can reach: one message is one allocation of 48 + min(text, 4048) bytes. */
export const BUCKETS = ['64', '96', '128', '192', '256', '512', '1k', '2k', '4k'] as const;
export type Bucket = (typeof BUCKETS)[number];

/** sizeof(struct msg_msg) on 64-bit. */
const MSG_HEADER = 48;
/** DATALEN_MSG: text carried by the msg_msg allocation itself (PAGE_SIZE − 48); the rest goes to segments. */
const DATALEN_MSG = 4096 - MSG_HEADER;

const BUCKET_BYTES: Record<Bucket, number> = {
  '64': 64,
  '96': 96,
  '128': 128,
  '192': 192,
  '256': 256,
  '512': 512,
  '1k': 1024,
  '2k': 2048,
  '4k': 4096,
};

/** kmalloc size classes below each bucket (the bucket serves sizes above it). */
const BELOW: Record<Bucket, number> = {
  '64': 32,
  '96': 64,
  '128': 96,
  '192': 128,
  '256': 192,
  '512': 256,
  '1k': 512,
  '2k': 1024,
  '4k': 2048,
};

export interface BucketSpec {
  readonly bucket: Bucket;
  readonly cache: string;
  /** s->object_size of the bucket cache. */
  readonly bytes: number;
  /** Message text sizes that land in this bucket (48 + text in (below, bytes]). */
  readonly minText: number;
  readonly maxText: number;
}

export function bucketSpec(bucket: Bucket): BucketSpec {
  const bytes = BUCKET_BYTES[bucket];
  return {
    bucket,
    cache: `msg_msg-${bucket}`,
    bytes,
    minText: Math.max(0, BELOW[bucket] + 1 - MSG_HEADER),
    maxText: bytes - MSG_HEADER,
  };
}

const SLAB_DIR = '/sys/kernel/slab';

/** The model for a kernel release: 6.8 through 6.18 follow section B2's rules. */
export function modelFor(releaseText: string): KernelVersion | null {
  const m = /^(\d+)\.(\d+)/.exec(releaseText);
  if (!m) return null;
  const v = Number(m[1]) * 1000 + Number(m[2]);
  return v >= 6008 && v <= 6018 ? '6.18' : null;
}

/** The first number of a sysfs slab file ("5 N0=5" without CONFIG_SLUB_STATS on NUMA builds, or "5"). */
export function firstNumber(text: string): number {
  const m = /^\s*(-?\d+)/.exec(text);
  if (!m) throw new Error(`unexpected sysfs text '${text.trim()}'`);
  return Number(m[1]);
}

/** slabs_cpu_partial: "OBJS(SLABS) C0=objs(slabs) C1=…" → total slabs and slabs per CPU. */
export function parseCpuPartial(text: string): { slabs: number; byCpu: Record<number, number> } {
  const m = /^\s*-?\d+\((\d+)\)/.exec(text);
  if (!m) throw new Error(`unexpected slabs_cpu_partial '${text.trim()}'`);
  const byCpu: Record<number, number> = {};
  for (const c of text.matchAll(/C(\d+)=-?\d+\((\d+)\)/g)) byCpu[Number(c[1])] = Number(c[2]);
  return { slabs: Number(m[1]), byCpu };
}

/** The bucket cache's geometry as sysfs shows it. */
export interface CacheGeometry {
  readonly order: number;
  readonly objsPerSlab: number;
  readonly cpuPartial: number;
  readonly minPartial: number;
  readonly objectSize: number;
  readonly slabSize: number;
  /** 0 when the file is absent (kernels before sheaves). */
  readonly sheafCapacity: number;
  readonly aliases: number;
}

function readNumber(file: string): number {
  return firstNumber(readFileSync(file, 'latin1'));
}

function readGeometry(cache: string): CacheGeometry {
  const dir = `${SLAB_DIR}/${cache}`;
  const sheaf = `${dir}/sheaf_capacity`;
  return {
    order: readNumber(`${dir}/order`),
    objsPerSlab: readNumber(`${dir}/objs_per_slab`),
    cpuPartial: readNumber(`${dir}/cpu_partial`),
    minPartial: readNumber(`${dir}/min_partial`),
    objectSize: readNumber(`${dir}/object_size`),
    slabSize: readNumber(`${dir}/slab_size`),
    sheafCapacity: existsSync(sheaf) ? readNumber(sheaf) : 0,
    aliases: readNumber(`${dir}/aliases`),
  };
}

/** The four counters the check compares, read fast: kept-open fds, pread at offset 0. */
export interface LiveCounters {
  slabs: number;
  partial: number;
  cpu_slabs: number;
  slabs_cpu_partial: number;
}

/**
 * Reads the four counters after every event, so it is the check's hot path: kept-open fds, one
 * pread at offset 0 each (sysfs regenerates the text), numbers parsed from the bytes.
 */
export class SlabCounters {
  readonly #fds: number[];
  readonly #buf = Buffer.alloc(4096);

  constructor(readonly cache: string) {
    const dir = `${SLAB_DIR}/${cache}`;
    this.#fds = ['slabs', 'partial', 'cpu_slabs', 'slabs_cpu_partial'].map((f) => openSync(`${dir}/${f}`, 'r'));
  }

  #read(i: number): string {
    const n = readSync(this.#fds[i] as number, this.#buf, 0, this.#buf.length, 0);
    return this.#buf.toString('latin1', 0, n);
  }

  /** The number at the start of file i; with `paren`, the number inside the first parentheses. */
  #number(i: number, paren: boolean): number {
    const buf = this.#buf;
    const n = preadStart(this.#fds[i] as number, buf);
    if (n < 0) throw new Error(`reading ${this.cache} failed: errno ${-n}`);
    let p = 0;
    if (paren) {
      while (p < n && buf[p] !== 0x28) p++; // '('
      p++;
    }
    while (p < n && buf[p] === 0x20) p++;
    let v = 0;
    const start = p;
    for (let c = buf[p] as number; p < n && c >= 0x30 && c <= 0x39; c = buf[++p] as number) v = v * 10 + (c - 0x30);
    if (p === start) throw new Error(`unexpected sysfs text '${buf.toString('latin1', 0, n).trim()}'`);
    return v;
  }

  /** Fill `out` with the live counters. */
  read(out: LiveCounters): LiveCounters {
    out.slabs = this.#number(0, false);
    out.partial = this.#number(1, false);
    out.cpu_slabs = this.#number(2, false);
    out.slabs_cpu_partial = this.#number(3, true);
    return out;
  }

  /** slabs_cpu_partial per CPU, for a divergence report. */
  cpuPartialByCpu(): Record<number, number> {
    return parseCpuPartial(this.#read(3)).byCpu;
  }

  close(): void {
    for (const fd of this.#fds) closeSync(fd);
  }
}

/** Everything else a report may want from sysfs (objects, total_objects). */
export function readObjects(cache: string): { objects: number; total_objects: number } {
  const dir = `${SLAB_DIR}/${cache}`;
  return { objects: readNumber(`${dir}/objects`), total_objects: readNumber(`${dir}/total_objects`) };
}

/** `echo 1 > /sys/kernel/slab/<cache>/shrink`. */
export function shrinkCache(cache: string): void {
  writeFileSync(`${SLAB_DIR}/${cache}/shrink`, '1');
}

/**
 * flush_all() alone: cpu_partial_store() sets cpu_partial and flushes every CPU's slabs to the node
 * (mm/slub.c, 6.1 and 6.18), so writing the file its own value flushes and changes nothing else.
 */
export function flushCache(cache: string): void {
  const file = `${SLAB_DIR}/${cache}/cpu_partial`;
  writeFileSync(file, String(readNumber(file)));
}

/** A row of /proc/sysvipc/msg. */
export interface SysvQueue {
  readonly key: number;
  readonly msqid: number;
  readonly cbytes: number;
  readonly qnum: number;
  /** msg_ctime: when it was made (or last changed by IPC_SET), in seconds. */
  readonly ctime: number;
}

export function sysvQueues(): SysvQueue[] {
  let text: string;
  try {
    text = readFileSync('/proc/sysvipc/msg', 'latin1');
  } catch {
    return [];
  }
  const out: SysvQueue[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    out.push({
      key: Number(f[0]),
      msqid: Number(f[1]),
      cbytes: Number(f[3]),
      qnum: Number(f[4]),
      ctime: Number(f[13]),
    });
  }
  return out;
}

/**
 * Could this queue hold a message whose msg_msg (or a msgmsg segment) lands in the bucket? Exact for
 * a queue of one message that needs no segment; any other queue with messages might.
 */
export function mayHoldBucket(q: SysvQueue, spec: BucketSpec): boolean {
  if (q.qnum === 0) return false;
  if (q.qnum === 1 && q.cbytes <= DATALEN_MSG) return q.cbytes >= spec.minText && q.cbytes <= spec.maxText;
  return true;
}

/** KFENCE: sample_interval in ms, 0 when off, null when not built in. */
function kfenceInterval(): number | null {
  const f = '/sys/module/kfence/parameters/sample_interval';
  if (!existsSync(f)) return null;
  try {
    return readNumber(f);
  } catch {
    return null;
  }
}

/** Online CPU ids from /sys/devices/system/cpu/online ("0-1", "0,2-3"). */
function onlineCpus(): number[] {
  const text = readFileSync('/sys/devices/system/cpu/online', 'latin1').trim();
  const out: number[] = [];
  for (const part of text.split(',')) {
    const [a, b] = part.split('-').map(Number) as [number, number | undefined];
    for (let c = a; c <= (b ?? a); c++) out.push(c);
  }
  return out;
}

function sysvLimits(): { msgmnb: number; msgmni: number; msgmax: number } {
  const r = (name: string) => readNumber(`/proc/sys/kernel/${name}`);
  return { msgmnb: r('msgmnb'), msgmni: r('msgmni'), msgmax: r('msgmax') };
}

export interface KernelInfo {
  readonly release: string;
  /** The model that applies, or null outside 6.8–6.18. */
  readonly model: KernelVersion | null;
  readonly root: boolean;
  readonly bucket: BucketSpec;
  readonly cachePath: string;
  readonly cacheExists: boolean;
  readonly geometry: CacheGeometry | null;
  /** objects and slabs now (null when unreadable). */
  readonly objects: number | null;
  readonly slabs: number | null;
  /** System V queues that hold (or may hold) messages of this bucket's size. */
  readonly busyQueues: readonly SysvQueue[];
  readonly queues: number;
  readonly kfence: number | null;
  readonly cpus: readonly number[];
  readonly limits: { msgmnb: number; msgmni: number; msgmax: number } | null;
  /** Why the kernel cannot serve as the oracle; empty when it can. */
  readonly problems: readonly string[];
  /** The same without the System V queues in use (which another l2bench instance may hold for a while). */
  readonly staticProblems: readonly string[];
  readonly usable: boolean;
}

/** The bucket's cache: whether it exists, its geometry and counts, and what keeps it from serving (added to problems). */
function probeCache(
  spec: BucketSpec,
  root: boolean,
  problems: string[],
): Pick<KernelInfo, 'cachePath' | 'cacheExists' | 'geometry' | 'objects' | 'slabs'> {
  const cachePath = `${SLAB_DIR}/${spec.cache}`;
  const cacheExists = existsSync(cachePath);
  if (!cacheExists) {
    problems.push(
      `${cachePath} is missing: no dedicated msg_msg caches (CONFIG_SLAB_BUCKETS, Linux 6.11+), or the cache was merged`,
    );
  }
  let geometry: CacheGeometry | null = null;
  let objects: number | null = null;
  let slabs: number | null = null;
  if (cacheExists && root) {
    try {
      geometry = readGeometry(spec.cache);
      objects = readNumber(`${cachePath}/objects`);
      slabs = readNumber(`${cachePath}/slabs`);
    } catch (e) {
      problems.push(`cannot read ${cachePath}: ${(e as Error).message}`);
    }
  }
  if (geometry) {
    if (geometry.aliases !== 0) {
      problems.push(`${spec.cache} is merged with ${geometry.aliases} other cache(s) (aliases ${geometry.aliases})`);
    }
    if (geometry.sheafCapacity > 0) {
      problems.push(
        `${spec.cache} uses sheaves (sheaf_capacity ${geometry.sheafCapacity}): the 6.18 rules do not hold`,
      );
    }
    if (geometry.objectSize !== spec.bytes || geometry.slabSize !== spec.bytes) {
      problems.push(
        `${spec.cache} has object_size ${geometry.objectSize}, slab_size ${geometry.slabSize}, not ${spec.bytes} (slub_debug or KASAN?)`,
      );
    }
  }
  return { cachePath, cacheExists, geometry, objects, slabs };
}

/** KFENCE, the System V limits and the online CPUs, and what keeps them from serving (added to problems). */
function probeSystem(problems: string[]): Pick<KernelInfo, 'kfence' | 'limits' | 'cpus'> {
  const kfence = kfenceInterval();
  if (kfence !== null && kfence > 0) {
    problems.push(`KFENCE is on (sample_interval ${kfence} ms): it serves some allocations from its own pool`);
  }
  let limits: KernelInfo['limits'] = null;
  try {
    limits = sysvLimits();
  } catch {
    problems.push('cannot read the System V limits in /proc/sys/kernel');
  }
  let cpus: number[] = [];
  try {
    cpus = onlineCpus();
  } catch {
    problems.push('cannot read /sys/devices/system/cpu/online');
  }
  return { kfence, cpus, limits };
}

/** Probe everything `kernel info` shows and `kernel check` needs. */
export function probeKernel(bucket: Bucket, ignoreQueues: ReadonlySet<number> = new Set()): KernelInfo {
  const rel = release();
  const model = modelFor(rel);
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const spec = bucketSpec(bucket);
  const problems: string[] = [];
  if (process.platform !== 'linux') problems.push(`not Linux (${process.platform})`);
  if (!model) problems.push(`kernel ${rel} is outside 6.8–6.18, the versions the SLUB 6.18 model covers`);
  if (!root) problems.push('not root: the sysfs slab files are root-only (mode 0400)');
  const cache = probeCache(spec, root, problems);
  const all = sysvQueues();
  const busyQueues = all.filter((q) => !ignoreQueues.has(q.msqid) && mayHoldBucket(q, spec));
  const system = probeSystem(problems);
  const staticProblems = [...problems];
  if (busyQueues.length > 0) {
    problems.push(
      `another process uses System V messages that may land in ${spec.cache} (queues ${busyQueues.map((q) => q.msqid).join(', ')} in /proc/sysvipc/msg)`,
    );
  }
  return {
    release: rel,
    model,
    root,
    bucket: spec,
    ...cache,
    busyQueues,
    queues: all.length,
    ...system,
    problems,
    staticProblems,
    usable: problems.length === 0,
  };
}
