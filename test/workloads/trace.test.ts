import { createHash } from 'node:crypto';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseParams } from '../../core/params.ts';
import { ALLOC, FREE, type Workload } from '../../workloads/events.ts';
import { TraceError, type TraceWorkload, trace } from '../../workloads/trace/index.ts';
import { traceStats } from '../../workloads/trace/stats.ts';
import { tempDir, traceWriter } from '../tmp.ts';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const KMALLOC_1K = fixture('ftrace-kmalloc-1k.txt');
const RAW = fixture('ftrace-kmem-raw-excerpt.txt');

const dir = tempDir('l2bench-trace-test-');
/** A trace file in the test's temporary directory. */
const write = traceWriter(dir);

function make(file: string, params: Record<string, string> = {}, cpus = 4): TraceWorkload {
  return trace.create(parseParams('workload trace', trace.params, { file, ...params }), { seed: 1, cpus });
}

/** Every event of one pass as [kind, id, cpu], checking that ids are live exactly when they should be. */
function events(w: Workload): [number, number, number][] {
  const out: [number, number, number][] = [];
  const live = new Set<number>();
  for (const c of w.chunks()) {
    for (let i = 0; i < c.length; i++) {
      const [kind, id] = [c.kind[i] as number, c.id[i] as number];
      if (kind === ALLOC ? live.has(id) : !live.has(id)) throw new Error(`event ${out.length}: bad id ${id}`);
      if (kind === ALLOC) live.add(id);
      else live.delete(id);
      out.push([kind, id, c.cpu[i] as number]);
    }
  }
  return out;
}

function summary(w: Workload) {
  let live = 0;
  let peak = 0;
  let allocs = 0;
  let maxId = -1;
  const cpus = new Set<number>();
  const evs = events(w);
  for (const [kind, id, cpu] of evs) {
    if (kind === ALLOC) allocs++;
    live += kind === ALLOC ? 1 : -1;
    peak = Math.max(peak, live);
    maxId = Math.max(maxId, id);
    cpus.add(cpu);
  }
  return { events: evs.length, allocs, frees: evs.length - allocs, peak, live, maxId, cpus: [...cpus].sort() };
}

/** The message of the error fn throws, checking it is a one-line TraceError. */
function traceError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TraceError);
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('no error');
}

/*
 * Expected counts for the Linux 6.18 samples, worked out independently of this reader: a Python
 * script (a regex per line, dicts for the live pointers) applying the rules in workloads/trace/README.md,
 * cross-checked with awk and grep:
 *   grep -cE ' (kmalloc|kmem_cache_alloc): .*bytes_alloc=1024 '   → 128 and 11 allocations (none of another size)
 *   grep -cE ' (kfree|kmem_cache_free): .*ptr=0000000000000000'    → 0 and 606 null frees
 *   awk: live[ptr] on 1 KiB allocations, delete on frees of live pointers, peak of the live count.
 * [allocations, frees, skipped frees, peak live, live at the end]:
 */
const expected = {
  kmalloc1k: {
    all: [128, 128, 0, 4, 0],
    'cache=iommu_iova_magazine': [44, 44, 84, 2, 0],
    'cache=kmalloc-1k': [84, 84, 44, 4, 0],
    'site=load_elf_phdrs': [53, 53, 75, 2, 0],
  },
  // 2989 frees: 10 free a table; 2979 are skipped, 606 of them kfree(NULL).
  raw: {
    all: [11, 10, 2979, 3, 1],
    'cache=iommu_iova_magazine': [3, 3, 2986, 1, 0],
    'cache=kmalloc-1k': [8, 7, 2982, 3, 1],
    'site=load_elf_phdrs': [6, 6, 2983, 2, 0],
  },
};

describe('trace workload on real Linux 6.18 ftrace samples', () => {
  for (const [name, file] of [
    ['kmalloc1k', KMALLOC_1K],
    ['raw', RAW],
  ] as const) {
    for (const [filter, counts] of Object.entries(expected[name])) {
      it(`${name} ${filter}`, () => {
        const params = filter === 'all' ? {} : Object.fromEntries([filter.split('=') as [string, string]]);
        const s = summary(make(file, params));
        const stats = traceStats(file, params);
        expect([s.allocs, s.frees, stats.skipped_frees, s.peak, s.live]).toEqual(counts);
        expect([stats.allocations, stats.frees, stats.peak_live, stats.live_at_end]).toEqual([
          s.allocs,
          s.frees,
          s.peak,
          s.live,
        ]);
        expect(stats.realloc_without_free).toBe(0);
        expect(s.maxId).toBeLessThan(s.peak); // ids are recycled
      });
    }
  }

  it('records the file, its sha256 and its format', () => {
    const w = make(KMALLOC_1K);
    const sha256 = createHash('sha256').update(readFileSync(KMALLOC_1K)).digest('hex');
    expect(w.info).toEqual({ file: KMALLOC_1K, sha256, format: 'ftrace' });
    expect(w.kind).toBe('trace');
    expect(w.spec).toMatch(/^trace:file=.*ftrace-kmalloc-1k\.txt/);
  });

  it('keeps the trace CPUs 0 and 1, folded onto fewer simulated CPUs', () => {
    expect(summary(make(KMALLOC_1K, {}, 4)).cpus).toEqual([0, 1]);
    expect(summary(make(KMALLOC_1K, {}, 1)).cpus).toEqual([0]);
  });

  it('refuses a size that no allocation has, naming the filters', () => {
    expect(traceError(() => make(KMALLOC_1K, { size: '512' }))).toBe(
      `${KMALLOC_1K}: no allocation of 512 bytes (size=512)`,
    );
    expect(traceError(() => make(RAW, { cache: 'nope', site: 'x' }))).toBe(
      `${RAW}: no allocation of 1024 bytes (size=1024,cache=nope,site=x)`,
    );
  });
});

describe('native format', () => {
  const hand = [
    '# hand-written: peak 3 live after line 4, 2 live at the end',
    'alloc,1',
    'alloc,2,1',
    'alloc,0xffff8000,3',
    '',
    'free,2,1',
    '   # an indented comment',
    'alloc,2,2',
    'free,1',
    'free,0xffff8000,3',
    'alloc,7,0',
  ].join('\n');

  it('replays allocations and frees with recycled ids and CPU c % cpus', () => {
    const [A, F] = [ALLOC, FREE];
    // Ids from the pool: 0, 1, 2; id 1 is freed and reused, then 0 and 2 are freed and 2 (the last freed) reused.
    expect(events(make(write(hand)))).toEqual([
      [A, 0, 0],
      [A, 1, 1],
      [A, 2, 3],
      [F, 1, 1],
      [A, 1, 2],
      [F, 0, 0],
      [F, 2, 3],
      [A, 2, 0],
    ]);
    const folded = events(make(write(hand), {}, 2)).map((e) => e[2]);
    expect(folded).toEqual([0, 1, 1, 1, 0, 0, 1, 0]);
    expect(make(write(hand)).info.format).toBe('native');
  });

  it('counts the hand-written trace: 5 allocations, 3 frees, peak 3', () => {
    const s = summary(make(write(hand)));
    expect([s.allocs, s.frees, s.peak, s.live]).toEqual([5, 3, 3, 2]);
  });

  it('accepts CRLF, a byte order mark, spaces around fields and no final newline', () => {
    const s = summary(make(write('\uFEFFalloc,a\r\nalloc, b , 1 \r\nfree,b,1\r\nfree,a')));
    expect([s.allocs, s.frees, s.peak, s.cpus]).toEqual([2, 2, 2, [0, 1]]);
  });

  it.each([
    ['alloc', 'expected alloc,ID[,CPU] or free,ID[,CPU], got "alloc"'],
    ['allocate,1', 'unknown event "allocate" (expected alloc or free)'],
    ['alloc,', 'missing ID'],
    ['free, ,1', 'missing ID'],
    ['alloc,5,x', 'bad CPU "x" (expected 0..65535)'],
    ['alloc,5,', 'bad CPU "" (expected 0..65535)'],
    ['alloc,5,70000', 'bad CPU "70000" (expected 0..65535)'],
    ['alloc,5,-1', 'bad CPU "-1" (expected 0..65535)'],
    ['alloc,5,1,2,3', 'too many fields (expected alloc,ID[,CPU[,TIMESTAMP]])'],
    ['alloc,5,1,x', 'bad TIMESTAMP "x" (expected seconds as ftrace prints them, e.g. 323.570264)'],
    ['alloc,5,1,1.', 'bad TIMESTAMP "1." (expected seconds as ftrace prints them, e.g. 323.570264)'],
    ['alloc,5,1,.5', 'bad TIMESTAMP ".5" (expected seconds as ftrace prints them, e.g. 323.570264)'],
    ['alloc,5,,1.5', 'bad CPU "" (expected 0..65535)'],
    ['alloc,1', 'alloc of ID "1", which is live (allocated on line 2)'],
    ['free,9', 'free of ID "9", which is not live'],
    ['free,1\nfree,1', 'free of ID "1", which is not live'],
  ])('refuses %j with FILE:LINE', (bad, what) => {
    const file = write(`# header\nalloc,1\n\n${bad}\nfree,1\n`);
    const line = bad.startsWith('free,1\n') ? 5 : 4;
    expect(traceError(() => make(file))).toBe(`${file}:${line}: ${what}`);
  });

  it('refuses cache= and site=, which only apply to ftrace', () => {
    const file = write('# x\nalloc,1\n');
    expect(traceError(() => make(file, { site: 'f' }))).toBe(
      `${file}:2: cache= and site= filter ftrace events, but this is a native trace`,
    );
  });
});

describe('bad files', () => {
  it('refuses an empty file and one with only comments', () => {
    for (const text of ['', '\n\n', '# tracer: nop\n#\n   \n']) {
      const file = write(text);
      expect(traceError(() => make(file))).toBe(`${file}: empty trace (no events, only blank lines and comments)`);
    }
  });

  it('refuses a missing or unreadable file', () => {
    const missing = join(dir, 'missing.trace');
    expect(traceError(() => make(missing))).toBe(`${missing}: cannot read (ENOENT)`);
    expect(traceError(() => make(dir))).toBe(`${dir}: cannot read (EISDIR)`);
  });

  it('requires file=', () => {
    expect(() => trace.create(parseParams('workload trace', trace.params, {}), { seed: 1, cpus: 1 })).toThrow(
      'workload trace: file= is required',
    );
  });

  it('refuses a file in neither format, and says what a trace.dat is', () => {
    const text = write('\n# notes\nhello,world\n');
    expect(traceError(() => make(text))).toBe(
      `${text}:3: neither the native format (alloc,ID[,CPU]) nor ftrace kmem events: "hello,world"`,
    );
    const dat = write('\u0017\bDtracing6\u0000\u0001\u0008\n');
    expect(traceError(() => make(dat))).toBe(
      `${dat}:1: a binary trace-cmd .dat file: convert it to text with trace-cmd report`,
    );
  });

  it('refuses a line longer than the 1 MiB read buffer', () => {
    const file = write(`alloc,1\nalloc,${'x'.repeat(1 << 20)}\n`);
    expect(traceError(() => make(file))).toBe(`${file}:2: line longer than 1048576 bytes`);
  });

  it('refuses a pass over a file changed since the workload was created', () => {
    const file = write('alloc,1\n');
    const w = make(file);
    writeFileSync(file, 'alloc,1\nalloc,2\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(traceError(() => events(w))).toBe(`${file}: changed since the workload was created (size or mtime differ)`);
  });
});

describe('streaming', () => {
  /** A native trace of n lines over 1 MiB, churning around `live` tables; its counts by construction. */
  function churn(n: number, live: number) {
    const lines: string[] = [];
    let next = 0;
    const held: number[] = [];
    let peak = 0;
    for (let i = 0; i < n; i++) {
      if (held.length < live || i % 2 === 0) {
        held.push(next);
        lines.push(`alloc,ffff888000${String(next++).padStart(6, '0')},${i % 7}`);
      } else {
        const id = held.splice((i * 7919) % held.length, 1)[0] as number;
        lines.push(`free,ffff888000${String(id).padStart(6, '0')},${i % 7}`);
      }
      peak = Math.max(peak, held.length);
    }
    return { file: write(`${lines.join('\n')}\n`), allocs: next, frees: n - next, peak };
  }

  it('reads a file larger than its buffer, line by line across the boundaries', () => {
    const c = churn(60_000, 500);
    const s = summary(make(c.file, {}, 4));
    expect([s.allocs, s.frees, s.peak]).toEqual([c.allocs, c.frees, c.peak]);
    expect(s.maxId).toBeLessThan(c.peak);
    expect(s.cpus).toEqual([0, 1, 2, 3]);
  });

  it('is deterministic, restarts on every chunks() call, and yields synchronously', () => {
    const c = churn(20_000, 300);
    const w = make(c.file);
    const first = events(w);
    const it = w.chunks()[Symbol.iterator]();
    const step = it.next();
    expect(step.done).toBe(false);
    expect(step.value?.length).toBe(4096);
    it.return?.(); // abandon the pass half-way
    expect(events(w)).toEqual(first);
    for (const f of [RAW, KMALLOC_1K]) {
      const v = make(f);
      expect(events(v)).toEqual(events(v));
    }
  });
});
