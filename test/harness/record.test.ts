import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { KmemConverter } from '../../kernel/tracefs/convert.ts';
import { RecordError } from '../../kernel/tracefs/errors.ts';
import { callSiteFilter, isKmallocFamily, requireFormat } from '../../kernel/tracefs/events.ts';
import { TraceWriter } from '../../kernel/tracefs/output.ts';
import { type RecordOptions, record } from '../../kernel/tracefs/record.ts';
import { ensureTracefs } from '../../kernel/tracefs/tracefs.ts';
import { replay } from '../../workloads/trace/pass.ts';
import { traceStats } from '../../workloads/trace/stats.ts';
import { Tracker } from '../../workloads/trace/tracker.ts';
import { liveTestsOff } from '../live/oracle.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/l2bench.js');
const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'l2bench-record-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const out = (ext = '.trace') => join(dir, `r${files++}${ext}`);

/** Every event and count of a replay of file. */
function replayed(file: string, size = 1024) {
  const tracker = new Tracker();
  const events: number[] = [];
  const p = replay(file, { size, cache: '', site: '', cpus: 8 }, tracker);
  for (let s = p.next(); !s.done; s = p.next()) {
    for (let i = 0; i < s.value.length; i++) events.push(s.value.kind[i] as number, s.value.cpu[i] as number);
  }
  return { events, counts: [tracker.allocations, tracker.frees, tracker.reallocWithoutFree, tracker.peakLive] };
}

async function refusal(o: Partial<RecordOptions>): Promise<RecordError> {
  try {
    await record({ out: out(), ...o });
  } catch (e) {
    expect(e).toBeInstanceOf(RecordError);
    return e as RecordError;
  }
  throw new Error('no refusal');
}

describe('record: converting trace_pipe text', () => {
  it('keeps what the ftrace reader keeps: the native trace replays to the same events as the ftrace text', () => {
    for (const name of ['ftrace-kmem-raw-excerpt.txt', 'ftrace-kmalloc-1k.txt']) {
      const c = new KmemConverter({ size: 1024 });
      const text = readFileSync(fixture(name), 'utf8');
      const native = text
        .split('\n')
        .map((l) => c.convert(l))
        .join('');
      const file = out();
      writeFileSync(file, native);
      const a = replayed(fixture(name));
      const b = replayed(file);
      expect(b).toEqual(a);
      const s = traceStats(fixture(name));
      expect([c.counts.allocations, c.counts.frees, c.counts.realloc_without_free]).toEqual([
        s.allocations,
        s.frees,
        s.realloc_without_free,
      ]);
      // Frees of pointers not kept, and of null, are dropped as the reader skips them.
      expect(c.counts.skipped_frees).toBe(s.skipped_frees);
    }
  });

  it('writes a free first when a live pointer is allocated again, and keeps CPU and timestamp', () => {
    const c = new KmemConverter({ size: 1024 });
    const ev = (cpu: number, t: string, what: string) => `  bash-1  [00${cpu}] .....  ${t}: ${what}`;
    const lines = [
      ev(
        1,
        '5.000001',
        'kmalloc: call_site=f+0x1/0x2 ptr=00000000aa bytes_req=1000 bytes_alloc=1024 gfp_flags=GFP_KERNEL',
      ),
      'CPU:1 [LOST 7 EVENTS]',
      ev(
        0,
        '5.000002',
        'kmalloc: call_site=f+0x1/0x2 ptr=00000000aa bytes_req=100 bytes_alloc=128 gfp_flags=GFP_KERNEL',
      ),
      ev(0, '5.000003', 'kfree: call_site=g+0x1/0x2 ptr=00000000aa'),
      ev(0, '5.000004', 'kmalloc: call_site=f+0x1/0x2 ptr=0000000000000000 bytes_req=1 bytes_alloc=1024 gfp_flags=x'),
      ev(1, '5.000005', 'kmem_cache_alloc: call_site=f+0x1/0x2 ptr=00000000bb name=x bytes_req=1024 bytes_alloc=1024'),
      ev(1, '5.000006', 'kmem_cache_free: call_site=f+0x1/0x2 ptr=00000000bb name=x'),
    ];
    expect(lines.map((l) => c.convert(l)).join('')).toBe(
      [
        'alloc,00000000aa,1,5.000001',
        '# LOST 7 events on CPU 1 here', // where trace_pipe said so
        'free,00000000aa,0,5.000002', // handed out again (as 128 bytes): its free was lost
        'alloc,00000000bb,1,5.000005',
        'free,00000000bb,1,5.000006',
        '',
      ].join('\n'),
    );
    expect(c.counts).toMatchObject({ allocations: 2, frees: 1, realloc_without_free: 1, reported_lost: 7 });
    expect(c.counts.skipped_frees).toBe(1); // the kfree of 00000000aa, no longer live
  });

  it('checks name= for a named cache, in user space too', () => {
    const c = new KmemConverter({ cache: 'l2' });
    const line = (name: string, ptr: string) =>
      `  a-1 [000] ..... 1.0: kmem_cache_alloc: call_site=f ptr=${ptr} name=${name} bytes_req=1024 bytes_alloc=1024`;
    expect(c.convert(line('l2', 'p1'))).toBe('alloc,p1,0,1.0\n');
    expect(c.convert(line('other', 'p2'))).toBe('');
  });
});

describe('record: the kernel side, without a kernel', () => {
  it('tells kmalloc caches and kmem_buckets caches (msg_msg-1k) from dedicated ones', () => {
    const caches = new Set(['kmalloc-1k', 'kmalloc-96', 'msg_msg-1k', 'bio-184']);
    const exists = (n: string) => caches.has(n);
    expect(
      ['kmalloc-1k', 'kmalloc-cg-1k', 'dma-kmalloc-96', 'msg_msg-1k', 'msg_msg-96'].map((n) =>
        isKmallocFamily(n, exists),
      ),
    ).toEqual([true, true, true, true, true]);
    // bio-184: no kmalloc-184 beside it; names_cache: no size suffix.
    expect(['bio-184', 'names_cache', 'io-pgtable_armv7s_l2'].map((n) => isKmallocFamily(n, exists))).toEqual([
      false,
      false,
      false,
    ]);
  });

  it('writes call-site filters as address ranges', () => {
    expect(callSiteFilter([[0xffffffff81a65540n, 0xffffffff81a65720n]])).toBe(
      '(call_site >= 0xffffffff81a65540 && call_site < 0xffffffff81a65720)',
    );
    expect(
      callSiteFilter([
        [16n, 32n],
        [64n, 80n],
      ]),
    ).toBe('(call_site >= 0x10 && call_site < 0x20) || (call_site >= 0x40 && call_site < 0x50)');
  });

  it('refuses an event that is missing, lacks a field, or prints a format the reader does not know', () => {
    const root = join(dir, 'fake-tracefs');
    const format = (id: string, fields: string[], print: string) => {
      mkdirSync(join(root, 'events', id), { recursive: true });
      const f = fields.map((n) => `\tfield:unsigned long ${n};\toffset:8;\tsize:8;\tsigned:0;`).join('\n');
      writeFileSync(
        join(root, 'events', id, 'format'),
        `name: x\nID: 1\nformat:\n${f}\n\nprint fmt: "${print}", REC->x\n`,
      );
    };
    format('kmem/kmalloc', ['call_site', 'ptr'], 'call_site=%pS ptr=%p bytes_alloc=%zu');
    format('kmem/kfree', ['call_site', 'ptr'], 'call_site=%pS pointer=%p');
    const refused = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(RecordError);
        expect((e as RecordError).exitCode).toBe(1);
        return (e as Error).message;
      }
      throw new Error('not refused');
    };
    expect(refused(() => requireFormat(root, 'kmem/kmalloc', ['bytes_alloc'], []))).toBe(
      'event kmem/kmalloc has no field bytes_alloc on this kernel (fields: call_site, ptr)',
    );
    expect(refused(() => requireFormat(root, 'kmem/kfree', ['ptr'], [' ptr=%p']))).toMatch(
      /^event kmem\/kfree prints a format the reader does not know \(no {2}ptr=%p in "call_site=%pS pointer=%p"\)$/,
    );
    expect(refused(() => requireFormat(root, 'kmem/kmem_cache_alloc', [], []))).toMatch(
      /^this kernel has no event kmem\/kmem_cache_alloc \(no .*\)$/,
    );
    expect(requireFormat(root, 'kmem/kmalloc', ['ptr'], [' ptr=%p']).fields.has('call_site')).toBe(true);
  });

  it('writes the file atomically: nothing under the name until the end, the header filled in place, gzip too', async () => {
    for (const ext of ['.trace', '.trace.gz']) {
      const file = out(ext);
      const w = new TraceWriter(file, '# head: (recording)    \n');
      w.write('alloc,1,0,1.5\n');
      w.flush();
      expect(existsSync(file)).toBe(false);
      await w.finish('# head: 42 lost        \n');
      const bytes = readFileSync(file);
      const text = ext.endsWith('.gz') ? gunzipSync(bytes).toString() : bytes.toString();
      expect(text).toBe('# head: 42 lost        \nalloc,1,0,1.5\n');
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect(traceStats(file)).toMatchObject({ allocations: 1, max_cpu: 0 });
    }
    const aborted = out();
    const w = new TraceWriter(aborted, '#\n');
    w.write('alloc,1\n');
    w.abort();
    expect(existsSync(aborted)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it.each([
    [{ size: 1024, cache: 'x' }, 'record needs exactly one of the options cache, size and iommu'],
    [{}, 'record needs exactly one of the options cache, size and iommu'],
    [{ size: 0 }, 'size 0: not a positive whole number of bytes'],
    [{ iommu: true, callSite: 'f' }, 'callSite f: filters kmem allocations: not with iommu'],
    [{ size: 1, bufferKb: 0 }, 'bufferKb 0: not a positive whole number'],
    [{ size: 1, durationSeconds: 1, command: ['true'] }, 'durationSeconds and command both say when to stop: give one'],
    [{ size: 1, out: '' }, 'out: a trace file to write is required'],
  ] as [Partial<RecordOptions>, string][])(
    'refuses %j as bad input (exit 2) before touching anything, naming the option of record()',
    async (o, what) => {
      const e = await refusal(o);
      expect([e.exitCode, e.message]).toEqual([2, what]);
    },
  );
});

describe('record: refusals anywhere', () => {
  it('refuses to run as another user than root (exit 1), before touching tracefs', async () => {
    const getuid = vi.spyOn(process, 'getuid').mockReturnValue(1000);
    try {
      const e = await refusal({ size: 1024 });
      expect([e.exitCode, e.message]).toEqual([1, 'record needs root: tracefs and its event filters are root-only']);
    } finally {
      getuid.mockRestore();
    }
  });
});

/** Root and a tracefs with the kmem events (mounted here if it is not yet), unless L2BENCH_NO_LIVE is set. */
function tracefsUsable(): boolean {
  if (liveTestsOff() || process.getuid?.() !== 0) return false;
  try {
    return existsSync(join(ensureTracefs(), 'events/kmem/kmalloc'));
  } catch {
    return false;
  }
}
const usable = tracefsUsable();
const instances = () => {
  try {
    return readdirSync('/sys/kernel/tracing/instances');
  } catch {
    return [];
  }
};

/** Open, write and read a file n times: each open allocates and frees a names_cache object (4096 bytes). */
function fileTraffic(n: number): void {
  const f = join(dir, 'traffic');
  for (let i = 0; i < n; i++) {
    writeFileSync(f, String(i));
    readFileSync(f);
  }
}

describe.skipIf(!usable)('record on this machine (needs root and tracefs with the kmem events)', () => {
  it('reports the events a flood loses in a tiny buffer, and marks the trace', async () => {
    const file = out('.trace.gz');
    // The flood runs in this thread while record's reader waits: a 4 KiB buffer per CPU overflows.
    const r = await record({
      size: 4096,
      bufferKb: 4,
      out: file,
      durationSeconds: 0.3,
      onStart: () => fileTraffic(3000),
    });
    expect(r.lost.total).toBeGreaterThan(0);
    expect(r.lost.total).toBe(Math.max(r.lost.overrun + r.lost.commit_overrun + r.lost.dropped, r.lost.reported));
    const head = gunzipSync(readFileSync(file)).toString().split('\n').slice(0, 16).join('\n');
    expect(head).toMatch(new RegExp(`^# lost_events: ${r.lost.total} \\(overrun ${r.lost.overrun},`, 'm'));
    expect(head).toMatch(/^# selection: --size 4096$/m);
    expect(head).toMatch(/^# filter kmem:kmalloc: bytes_alloc == 4096$/m);
    expect(head).toMatch(/^# ended: \S+ \(duration\)/m);
    // Every loss trace_pipe reported is marked where it happened, and the marks add up to its count.
    const marks = [
      ...gunzipSync(readFileSync(file))
        .toString()
        .matchAll(/^# LOST (\d+) events on CPU \d+ here$/gm),
    ];
    expect(marks.reduce((sum, m) => sum + Number(m[1]), 0)).toBe(r.lost.reported);
    const s = traceStats(file);
    expect(s.lost_events).toBe(r.lost.total);
    // A free written for a lost one (realloc without free) is an ordinary free line in the native trace.
    expect([s.allocations, s.frees, s.realloc_without_free]).toEqual([
      r.counts.allocations,
      r.counts.frees + r.counts.realloc_without_free,
      0,
    ]);
    expect(instances()).not.toContain(r.instance);
  }, 60_000);

  it('stops on its AbortSignal, keeps the trace and removes its instance', async () => {
    const file = out();
    const abort = new AbortController();
    let name = '';
    const r = await record({
      size: 4096,
      out: file,
      signal: abort.signal,
      onStart: (instance) => {
        name = instance;
        expect(instances()).toContain(instance);
        fileTraffic(20);
        setTimeout(() => abort.abort(), 100);
      },
    });
    expect(r.stoppedBy).toBe('signal');
    expect(r.counts.allocations).toBeGreaterThanOrEqual(20);
    expect(r.lost.total).toBe(0);
    expect(traceStats(file, {}).allocations).toBe(r.counts.allocations);
    expect(instances()).not.toContain(name);
  }, 60_000);

  it('removes its instance and leaves no file when something throws mid-recording', async () => {
    const file = out();
    let name = '';
    await expect(
      record({
        size: 4096,
        out: file,
        onStart: (instance) => {
          name = instance;
          throw new Error('boom');
        },
      }),
    ).rejects.toThrow('boom');
    expect(name).not.toBe('');
    expect(instances()).not.toContain(name);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses an unknown cache (exit 2) and a missing function for --call-site', async () => {
    expect((await refusal({ cache: 'no-such-cache' })).message).toBe(
      'cache no-such-cache: no such slab cache (not in /sys/kernel/slab)',
    );
    expect((await refusal({ size: 1024, callSite: 'no_such_function_l2bench' })).message).toBe(
      'callSite no_such_function_l2bench: no such kernel function in /proc/kallsyms',
    );
  });

  it('names the flag on the command line: l2bench record --cache no-such-cache', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = spawn(process.execPath, [BIN, 'record', '--cache', 'no-such-cache', '--out', out()], {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: '1' },
      });
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += String(d);
      });
      child.on('close', (code) => done({ code, stderr }));
    });
    expect(r).toEqual({
      code: 2,
      stderr: 'l2bench: --cache no-such-cache: no such slab cache (not in /sys/kernel/slab)\n',
    });
  });

  it.skipIf(existsSync('/sys/class/iommu') && readdirSync('/sys/class/iommu').length > 0)(
    'says there is no IOMMU to record (exit 1)',
    async () => {
      const e = await refusal({ iommu: true });
      expect([e.exitCode, e.message]).toEqual([
        1,
        'iommu: this machine has no IOMMU (/sys/class/iommu is empty), so iommu:map and iommu:unmap never fire',
      ]);
    },
  );

  it('l2bench record stops cleanly on SIGINT: exit 0, a valid trace, no instance left', async () => {
    const file = out();
    const child = spawn(process.execPath, [BIN, 'record', '--size', '4096', '--out', file], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
    });
    const name = await startedInstance(child);
    expect(instances()).toContain(name);
    fileTraffic(10);
    await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGINT');
    const [code, stdout] = await exited(child);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^stopped {2}after [\d.]+ s by signal$/m);
    expect(stdout).toMatch(new RegExp(`^wrote {4}${file}$`, 'm'));
    expect(instances()).not.toContain(name);
    expect(traceStats(file).allocations).toBeGreaterThanOrEqual(10);
  }, 60_000);

  it('l2bench record exits 4 when the kernel lost events, and 0 with --allow-loss; the trace is kept either way', async () => {
    for (const allow of [false, true]) {
      const file = out();
      const args = ['record', '--size', '4096', '--buffer-kb', '4', '--out', file, ...(allow ? ['--allow-loss'] : [])];
      const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
      await startedInstance(child);
      // Stopped, the recorder cannot read: 3000 opens overflow its 4 KiB buffers, whatever the speed.
      child.kill('SIGSTOP');
      fileTraffic(3000);
      child.kill('SIGCONT');
      child.kill('SIGINT');
      const [code, stdout, stderr] = await exited(child);
      const lost = Number(/^LOST {5}(\d+) events/m.exec(stdout)?.[1]);
      expect(lost).toBeGreaterThan(0);
      expect(code).toBe(allow ? 0 : 4);
      if (!allow) {
        expect(stderr).toMatch(
          new RegExp(
            `^l2bench: record lost ${lost} events: ${file} is incomplete \\(its header and '# LOST' lines say where\\); --allow-loss accepts it\n$`,
            'm',
          ),
        );
      }
      expect(traceStats(file).lost_events).toBe(lost);
    }
  }, 120_000);

  it('l2bench record -- COMMAND stops when the command exits', async () => {
    const file = out();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [BIN, 'record', '--size', '4096', '--out', file, '--', 'sh', '-c', 'cat /etc/hostname /etc/hostname > /dev/null'],
      { cwd: ROOT },
    );
    expect(stdout).toMatch(/^stopped {2}after [\d.]+ s by command \(command exit 0\)$/m);
    expect(traceStats(file).allocations).toBeGreaterThan(0);
  }, 60_000);
});

/** The instance name a spawned `l2bench record` announces on stderr once it records. */
function startedInstance(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /recording through tracefs instance (\S+)/.exec(err);
      if (m) resolve(m[1] as string);
    });
    child.on('exit', (code) => reject(new Error(`exited ${code} before recording: ${err}`)));
  });
}

function exited(child: ChildProcess): Promise<[number | null, string, string]> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve([code, stdout, stderr])));
}
