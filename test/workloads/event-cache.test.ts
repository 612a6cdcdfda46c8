import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, type Stats, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseParams } from '../../core/params.ts';
import { fileHash } from '../../workloads/event-cache/hash.ts';
import { cachedEvents, entriesCheckedByPlan } from '../../workloads/event-cache/index.ts';
import { clearCache, listCache } from '../../workloads/event-cache/store.ts';
import { ALLOC, ChunkWriter, type EventChunk, FREE, type Workload } from '../../workloads/events.ts';
import { trace } from '../../workloads/trace/index.ts';
import { tempDir, traceWriter } from '../tmp.ts';
import { workload } from '../workload-helpers.ts';

const dir = tempDir('l2bench-event-cache-test-');
const write = traceWriter(dir);
let files = 0;

/** Each test gets an empty cache folder of its own. */
let cache = '';
const saved = { dir: process.env.L2BENCH_CACHE_DIR, max: process.env.L2BENCH_CACHE_MAX };
beforeEach(() => {
  cache = join(dir, `cache${files++}`);
  process.env.L2BENCH_CACHE_DIR = cache;
  delete process.env.L2BENCH_CACHE_MAX;
});
afterEach(() => {
  process.env.L2BENCH_CACHE_DIR = saved.dir;
  if (saved.max === undefined) delete process.env.L2BENCH_CACHE_MAX;
  else process.env.L2BENCH_CACHE_MAX = saved.max;
});

/** A native trace of n events over CPUs 0..7 churning around `live` tables. */
function churn(n: number, live = 50): string {
  const lines: string[] = [];
  const held: number[] = [];
  let next = 0;
  for (let i = 0; i < n; i++) {
    if (held.length < live || (i % 3 === 0 && held.length < 2 * live)) {
      held.push(next);
      lines.push(`alloc,${next++},${i % 8}`);
    } else {
      const at = (i * 7919) % held.length;
      lines.push(`free,${held[at]},${(i * 5) % 8}`);
      held.splice(at, 1);
    }
  }
  return write(`${lines.join('\n')}\n`);
}

const make = (file: string, cpus: number, params: Record<string, string> = {}): Workload =>
  trace.create(parseParams('workload trace', trace.params, { file, ...params }), { seed: 1, cpus });

function events(w: Workload): number[][] {
  const out: number[][] = [];
  for (const c of w.chunks()) for (let i = 0; i < c.length; i++) out.push([c.kind[i], c.id[i], c.cpu[i]] as number[]);
  return out;
}

/** The same workload with the cache off: the reference its cached replays must equal. */
function uncached<T>(f: () => T): T {
  const was = process.env.L2BENCH_CACHE_DIR;
  process.env.L2BENCH_CACHE_DIR = 'off';
  try {
    return f();
  } finally {
    process.env.L2BENCH_CACHE_DIR = was;
  }
}

const entries = () => readdirSync(cache).filter((n) => n.endsWith('.l2ev'));

/** A conversion of `n` events, alloc/free pairs on CPU i % 5, that counts how often it runs. */
function counting(n: number) {
  const calls = { count: 0 };
  const file = write(`conversion source ${n}\n`);
  function* convert(
    onBytes: (b: Uint8Array) => void,
    onOpen: (s: Stats) => void,
  ): Generator<EventChunk, Record<string, unknown>> {
    calls.count++;
    onOpen(statSync(file));
    onBytes(readFileSync(file));
    const w = new ChunkWriter();
    for (let i = 0; i < n; i++) if (w.push(i % 2 === 0 ? ALLOC : FREE, i >> 1, i % 5)) yield w.take();
    if (w.pending > 0) yield w.take();
    return { maxCpu: 4, note: 'kept' };
  }
  return { calls, file, convert };
}

describe('event cache', () => {
  it('converts a file once: later workloads replay the entry, with the same events, hash and facts', () => {
    const c = counting(200_000);
    const first = cachedEvents(c.file, { k: 1 }, c.convert);
    const second = cachedEvents(c.file, { k: 1 }, c.convert);
    expect(c.calls.count).toBe(1);
    expect(second?.sha256).toBe(createHash('sha256').update(readFileSync(c.file)).digest('hex'));
    expect(second?.meta).toEqual({ maxCpu: 4, note: 'kept' });
    // Event n as converted, its CPU folded onto 3; each chunk's ids bound above its ids.
    let n = 0;
    let wrong = 0;
    for (const chunk of second?.chunks(3) ?? []) {
      for (let i = 0; i < chunk.length; i++, n++) {
        const want = [n % 2 === 0 ? ALLOC : FREE, n >> 1, (n % 5) % 3];
        if (chunk.kind[i] !== want[0] || chunk.id[i] !== want[1] || chunk.cpu[i] !== want[2]) wrong++;
        if ((chunk.id[i] as number) >= chunk.ids) wrong++;
      }
    }
    expect([n, wrong]).toEqual([200_000, 0]);
    // Both say how many events a pass gives: the one just converted and the one found.
    expect([first?.events, second?.events]).toEqual([200_000, 200_000]);
    expect(first?.sha256).toBe(second?.sha256);
    // Another key (other options or parser version) is another conversion.
    cachedEvents(c.file, { k: 2 }, c.convert);
    expect(c.calls.count).toBe(2);
    expect(entries()).toHaveLength(2);
  });

  it('converts again when the file changes, and when its entry is cut short, damaged or replaced', () => {
    const c = counting(100_000);
    cachedEvents(c.file, { k: 1 }, c.convert);
    const [name] = entries();
    const entry = join(cache, name as string);
    const size = statSync(entry).size;
    truncateSync(entry, size - 100);
    expect(cachedEvents(c.file, { k: 1 }, c.convert)).toBeDefined();
    expect(c.calls.count).toBe(2);
    expect(statSync(entry).size).toBe(size);
    // One flipped bit in the last block's payload.
    const bytes = readFileSync(entry);
    bytes[size - 5] = (bytes[size - 5] as number) ^ 1;
    writeFileSync(entry, bytes);
    cachedEvents(c.file, { k: 1 }, c.convert);
    expect(c.calls.count).toBe(3);
    // A header that is not an entry's.
    writeFileSync(entry, 'not an entry');
    cachedEvents(c.file, { k: 1 }, c.convert);
    expect(c.calls.count).toBe(4);
    // The file itself rewritten: its identity (size, times) changes, so it is hashed again.
    writeFileSync(c.file, 'conversion source, rewritten\n');
    const again = cachedEvents(c.file, { k: 1 }, c.convert);
    expect(c.calls.count).toBe(5);
    expect(again?.sha256).toBe(createHash('sha256').update('conversion source, rewritten\n').digest('hex'));
    expect(readdirSync(cache).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });

  it("in a worker (entries checked by the plan) reads a found entry's header only; a block damaged since stops the replay", () => {
    const c = counting(100_000); // two blocks: 65,536 events, then 34,464
    cachedEvents(c.file, { k: 1 }, c.convert);
    const entry = join(cache, entries()[0] as string);
    const bytes = readFileSync(entry);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] as number) ^ 1; // in the last block's payload
    writeFileSync(entry, bytes);
    entriesCheckedByPlan();
    try {
      const found = cachedEvents(c.file, { k: 1 }, c.convert);
      expect(c.calls.count).toBe(1);
      let replayed = 0;
      expect(() => {
        for (const chunk of found?.chunks(3) ?? []) replayed += chunk.length;
      }).toThrow(/changed during the run \(block 1: CRC-32 does not match\): run again/);
      expect(replayed).toBe(65_536);
      // A damaged header is still seen: converted again.
      writeFileSync(entry, 'not an entry');
      cachedEvents(c.file, { k: 1 }, c.convert);
      expect(c.calls.count).toBe(2);
    } finally {
      entriesCheckedByPlan(false);
    }
  });

  it('keeps nothing of a conversion that fails, and says why', () => {
    const file = write('x\n');
    function* failing(): Generator<EventChunk, Record<string, unknown>> {
      const w = new ChunkWriter();
      w.push(ALLOC, 0, 0);
      yield w.take();
      throw new Error(`${file}:2: bad line`);
    }
    expect(() => cachedEvents(file, { k: 1 }, failing)).toThrow(`${file}:2: bad line`);
    expect(readdirSync(cache).filter((n) => n !== 'files')).toEqual([]);
  });

  it('replays a trace as the file would: native and ftrace, folded onto fewer CPUs, with filters', () => {
    const file = churn(30_000);
    for (const cpus of [1, 3, 8]) {
      const want = uncached(() => events(make(file, cpus)));
      expect(events(make(file, cpus))).toEqual(want);
    }
    for (const name of ['ftrace-kmem-raw-excerpt.txt', 'ftrace-kmalloc-1k.txt']) {
      const ftrace = new URL(`../fixtures/${name}`, import.meta.url).pathname;
      for (const params of [{}, { cache: 'kmalloc-1k' }] as Record<string, string>[]) {
        const want = uncached(() => events(make(ftrace, 2, params)));
        expect(want.length).toBeGreaterThan(0);
        expect(events(make(ftrace, 2, params))).toEqual(want);
      }
    }
    const w = make(file, 4);
    expect(w.info).toEqual(uncached(() => make(file, 4).info));
    expect(w.notices).toEqual(uncached(() => make(file, 4).notices));
  });

  it('replays an IOMMU trace as the file would, with its counts', () => {
    const line = (cpu: number, iova: number, map: boolean) =>
      map
        ? `  kworker-1 [00${cpu}] .....   1.000000: map: IOMMU: iova=0x${iova.toString(16).padStart(16, '0')} - 0x${(iova + 4096).toString(16).padStart(16, '0')} paddr=0x0000000040000000 size=4096`
        : `  kworker-1 [00${cpu}] .....   1.000001: unmap: IOMMU: iova=0x${iova.toString(16).padStart(16, '0')} - 0x${(iova + 0x100000).toString(16).padStart(16, '0')} size=1048576 unmapped_size=1048576`;
    const lines: string[] = [];
    for (let i = 0; i < 64; i++) lines.push(line(i % 4, 0x10000000 + i * 0x100000, true));
    for (let i = 0; i < 64; i += 2) lines.push(line(i % 3, 0x10000000 + i * 0x100000, false));
    const file = write(`${lines.join('\n')}\n`);
    const run = () => {
      const w = workload('iommu', { trace: file }, 1, 2);
      return { events: events(w), pass: w.lastPass?.(), info: w.info };
    };
    const want = uncached(run);
    // 64 maps into 64 empty 1 MiB slots allocate 64 tables; 32 unmaps of whole slots free 32 (no teardown).
    expect(want.events.length).toBe(64 + 32);
    expect(run()).toEqual(want);
    expect(entries()).toHaveLength(1);
    expect(run()).toEqual(want);
  });

  it('keeps its entries within L2BENCH_CACHE_MAX, the least recently used going first', () => {
    process.env.L2BENCH_CACHE_MAX = '1M';
    const a = counting(100_000); // ~700 KB each
    const b = counting(100_001);
    cachedEvents(a.file, { k: 1 }, a.convert);
    cachedEvents(b.file, { k: 1 }, b.convert);
    expect(entries()).toHaveLength(1);
    expect(listCache().bytes).toBeLessThanOrEqual(1 << 20);
    cachedEvents(a.file, { k: 1 }, a.convert);
    expect(a.calls.count).toBe(2);
    expect(clearCache()).toBe(1);
    expect(listCache().entries).toBe(0);
  });

  it('replays the file itself when the cache folder cannot be made', () => {
    const file = churn(2000);
    const want = uncached(() => events(make(file, 2)));
    process.env.L2BENCH_CACHE_DIR = join(file, 'cache'); // below a file: no folder can be made there
    expect(events(make(file, 2))).toEqual(want);
  });

  it('is off with L2BENCH_CACHE_DIR=off: nothing written, the file replayed', () => {
    process.env.L2BENCH_CACHE_DIR = 'off';
    const c = counting(10);
    expect(cachedEvents(c.file, { k: 1 }, c.convert)).toBeUndefined();
    expect(c.calls.count).toBe(0);
  });

  it('a process killed mid-conversion (the scan on two threads) leaves no entry: the next run converts again', async () => {
    // 68 MB of ftrace: past the size from which the scan runs on two threads. A block of 1000 lines
    // repeated: each pointer allocated again while live (counted as a missed free), which is valid.
    const lines: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const ptr = (0xffff888000000000n + BigInt(i * 1024)).toString(16);
      const bytes = i % 3 === 0 ? 512 : 1024;
      lines.push(
        i % 4 === 3
          ? `  bash-1  [00${i % 4}] .....  1.000001: kfree: call_site=free_msg+0x1b/0x50 ptr=${ptr}`
          : `  bash-1  [00${i % 4}] .....  1.000001: kmalloc: call_site=load_msg+0x41/0x1e0 ptr=${ptr} bytes_req=948 bytes_alloc=${bytes} gfp_flags=GFP_KERNEL node=-1 accounted=false`,
      );
    }
    const block = Buffer.from(`${lines.join('\n')}\n`);
    const file = write('');
    writeFileSync(file, Buffer.concat(Array.from({ length: Math.ceil((68 << 20) / block.length) }, () => block)));
    const script = `
      import { parseParams } from '${new URL('../../core/params.ts', import.meta.url).pathname}';
      import { trace } from '${new URL('../../workloads/trace/index.ts', import.meta.url).pathname}';
      trace.create(parseParams('workload trace', trace.params, { file: ${JSON.stringify(file)} }), { seed: 1, cpus: 2 });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, L2BENCH_CACHE_DIR: cache },
      stdio: 'ignore',
    });
    const tmp = () => (existsSync(cache) ? readdirSync(cache).filter((n) => n.startsWith('.tmp-')) : []);
    const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_, signal) => done(signal)));
    let killed = false;
    while (!killed && child.exitCode === null) {
      if (tmp().length > 0) killed = child.kill('SIGKILL');
      else await new Promise((r) => setTimeout(r, 2));
    }
    expect(await exited).toBe('SIGKILL');
    // Killed during the conversion: its temporary file is there, no entry is.
    expect(tmp()).toHaveLength(1);
    expect(entries()).toEqual([]);
    const w = make(file, 2);
    expect(events(w)).toEqual(events(uncached(() => make(file, 2))));
    expect(entries()).toHaveLength(1);
  }, 60_000);

  it('two processes converting the same file at once leave one sound entry', async () => {
    const file = churn(400_000, 500);
    const script = `
      import { parseParams } from '${new URL('../../core/params.ts', import.meta.url).pathname}';
      import { trace } from '${new URL('../../workloads/trace/index.ts', import.meta.url).pathname}';
      const w = trace.create(parseParams('workload trace', trace.params, { file: ${JSON.stringify(file)} }), { seed: 1, cpus: 2 });
      let n = 0, sum = 0;
      for (const c of w.chunks()) for (let i = 0; i < c.length; i++) { n++; sum = (sum * 31 + c.id[i] * 3 + c.kind[i] + c.cpu[i]) % 1000000007; }
      console.log(n, sum, w.info.sha256);`;
    const child = () =>
      new Promise<string>((done, fail) => {
        const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
          env: { ...process.env, L2BENCH_CACHE_DIR: cache },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.on('exit', (code) => (code === 0 ? done(out.trim()) : fail(new Error(`exit ${code}`))));
      });
    const [a, b] = await Promise.all([child(), child()]);
    expect(a).toBe(b);
    const w = make(file, 2);
    let sum = 0;
    let n = 0;
    for (const c of uncached(() => make(file, 2)).chunks()) {
      for (let i = 0; i < c.length; i++) {
        n++;
        sum = (sum * 31 + (c.id[i] as number) * 3 + (c.kind[i] as number) + (c.cpu[i] as number)) % 1000000007;
      }
    }
    expect(a).toBe(`${n} ${sum} ${w.info?.sha256}`);
    expect(entries()).toHaveLength(1);
    expect(readdirSync(cache).filter((x) => x.startsWith('.tmp-'))).toEqual([]);
  });
});

describe('the hash of a converted file', () => {
  it('is its sha256, on another thread for a large file (the pieces copied, the reader free to reuse its buffer)', () => {
    // 3 MiB pieces and 60 of them: pieces larger than a slot of the thread's ring, and the ring wrapping round.
    const piece = Buffer.alloc(3 << 20);
    for (const size of [1000, 1 << 30]) {
      const h = fileHash(size);
      const reference = createHash('sha256');
      for (let i = 0; i < 60; i++) {
        piece.fill(i * 7 + (size & 1));
        const part = piece.subarray(i, i % 3 === 0 ? piece.length - i : 1000 + i);
        h.update(part);
        reference.update(part);
      }
      expect(h.digest()).toBe(reference.digest('hex'));
    }
  });
});

describe('l2bench cache', () => {
  it('says where the cache is and how full, clears it, and refuses other actions and bad limits in one line', async () => {
    const { l2bench } = await import('../cli.ts');
    const file = churn(1000);
    const run = await l2bench(
      ['run', '-s', 'full-page', '-w', `trace:file=${file}`, '--no-throughput', '--out', join(dir, `out${files++}`)],
      {
        env: { L2BENCH_CACHE_DIR: cache },
      },
    );
    expect(run.code).toBe(0);
    const shown = await l2bench(['cache'], { env: { L2BENCH_CACHE_DIR: cache, L2BENCH_CACHE_MAX: '500M' } });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`event cache     ${cache} (L2BENCH_CACHE_DIR; off turns it off)`);
    expect(shown.stdout).toMatch(/entries {9}1, \d+\.\d MiB/);
    expect(shown.stdout).toContain('at most         500.0 MiB (L2BENCH_CACHE_MAX)');
    const cleared = await l2bench(['cache', 'clear'], { env: { L2BENCH_CACHE_DIR: cache } });
    expect(cleared.stdout).toMatch(new RegExp(`^event cache: ${cache}: 1 entry removed`));
    expect(entries()).toEqual([]);
    const bad = await l2bench(['cache', 'empty'], { env: { L2BENCH_CACHE_DIR: cache } });
    expect([bad.code, bad.stderr.trim()]).toEqual([2, 'l2bench: cache empty: the only action is clear']);
    const limit = await l2bench(['cache'], { env: { L2BENCH_CACHE_DIR: cache, L2BENCH_CACHE_MAX: 'lots' } });
    expect([limit.code, limit.stderr.trim()]).toEqual([
      2,
      'l2bench: L2BENCH_CACHE_MAX=lots: a size in bytes, e.g. 500M or 4G',
    ]);
  });
});
