import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parseParams } from '../../core/params.ts';
import { ALLOC, FREE } from '../../workloads/events.ts';
import { detectFormat } from '../../workloads/trace/detect.ts';
import { kmallocCache } from '../../workloads/trace/ftrace.ts';
import { TraceError, trace } from '../../workloads/trace/index.ts';
import type { TraceStatsOptions } from '../../workloads/trace/stats.ts';
import { traceStats } from '../../workloads/trace/stats.ts';

const dir = mkdtempSync(join(tmpdir(), 'l2bench-ftrace-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function write(lines: string[]): string {
  const file = join(dir, `f${files++}.txt`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function events(file: string, params: Record<string, string> = {}, cpus = 4): [number, number, number][] {
  const w = trace.create(parseParams('workload trace', trace.params, { file, ...params }), { seed: 1, cpus });
  const out: [number, number, number][] = [];
  for (const c of w.chunks())
    for (let i = 0; i < c.length; i++) out.push([c.kind[i] as number, c.id[i] as number, c.cpu[i] as number]);
  return out;
}

function traceError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TraceError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

/** A tracefs line: `TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: FIELDS`. */
const ev = (cpu: number, event: string, fields: string, flags = '.....') =>
  `          bash-2980    [${String(cpu).padStart(3, '0')}] ${flags}   323.5${cpu}: ${event}: ${fields}`;
const alloc = (cpu: number, ptr: string, bytes = 1024, extra = '', event = 'kmalloc') =>
  ev(
    cpu,
    event,
    `call_site=iommu_map+0x1c/0x40 ptr=${ptr} bytes_req=1000 bytes_alloc=${bytes} gfp_flags=GFP_ATOMIC${extra}`,
  );
const free = (cpu: number, ptr: string, event = 'kfree') => ev(cpu, event, `call_site=iommu_unmap+0x2/0x9 ptr=${ptr}`);

const TRACEFS_HEADER = [
  '# tracer: nop',
  '#',
  '# entries-in-buffer/entries-written: 4/4   #P:8',
  '#',
  '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
  '#              | |         |   |||||     |         |',
];

describe('ftrace text', () => {
  it('reads tracefs output with its header, and folds CPU 5 onto CPU 1 of 4', () => {
    const file = write([...TRACEFS_HEADER, alloc(5, '00000000aa'), alloc(2, '00000000bb'), free(0, '00000000aa')]);
    expect(events(file)).toEqual([
      [ALLOC, 0, 1],
      [ALLOC, 1, 2],
      [FREE, 0, 0],
    ]);
  });

  it('reads trace-cmd report output: cpus= header, no flags column, 0x pointers, wide spacing', () => {
    const file = write([
      'version = 7',
      'cpus=2',
      'CPU 0 is empty',
      '  sshd-session-3242  [001]  8115.304880: kmalloc:              call_site=iommu_map+0xa9 ptr=0xffff95c7d458d300 bytes_req=1024 bytes_alloc=1024 gfp_flags=0x820 node=-1 accounted=false',
      '  sshd-session-3242  [001]  8115.304881: sched_switch:         prev_comm=sshd prev_pid=3242',
      '  sshd-session-3242  [001]  8115.304882: kfree:                call_site=iommu_unmap+0x1f ptr=0xffff95c7d458d300',
    ]);
    expect(events(file)).toEqual([
      [ALLOC, 0, 1],
      [FREE, 0, 1],
    ]);
  });

  it('reads the _node events and kmem_cache_free, and skips lost-event and stack lines', () => {
    const file = write([
      alloc(0, 'p1', 1024, ' node=0', 'kmalloc_node'),
      alloc(1, 'p2', 1024, ' name=io-pgtable_armv7s_l2', 'kmem_cache_alloc_node'),
      'CPU:1 [LOST 12 EVENTS]',
      ' => iommu_map',
      free(1, 'p2', 'kmem_cache_free'),
    ]);
    expect(events(file)).toEqual([
      [ALLOC, 0, 0],
      [ALLOC, 1, 1],
      [FREE, 1, 1],
    ]);
  });

  it('skips frees of null and of pointers it never saw, and ignores failed allocations', () => {
    const file = write([
      alloc(0, '0000000000000000'),
      alloc(0, 'p1'),
      free(0, '0000000000000000'),
      free(0, '(null)'),
      free(0, '0x0'),
      free(0, 'p9'),
      free(0, 'p1'),
    ]);
    expect(events(file)).toEqual([
      [ALLOC, 0, 0],
      [FREE, 0, 0],
    ]);
    const s = traceStats(file);
    expect([s.allocations, s.frees, s.skipped_frees]).toEqual([1, 1, 4]);
  });

  it('frees the old table when a live pointer is allocated again (a missed free)', () => {
    const file = write([alloc(0, 'p1'), alloc(1, 'p1'), alloc(2, 'p2'), alloc(3, 'p2', 512), free(0, 'p1')]);
    expect(events(file)).toEqual([
      [ALLOC, 0, 0],
      [FREE, 0, 1],
      [ALLOC, 0, 1],
      [ALLOC, 1, 2],
      [FREE, 1, 3], // p2 handed out again as 512 bytes: its 1 KiB table is gone
      [FREE, 0, 0],
    ]);
    const s = traceStats(file);
    expect([s.allocations, s.frees, s.realloc_without_free, s.peak_live, s.live_at_end]).toEqual([3, 1, 2, 2, 0]);
  });

  it('filters by size, cache (kmalloc events as kmalloc-<size>) and call-site function', () => {
    const file = write([
      alloc(0, 'a', 1024),
      alloc(0, 'b', 2048),
      alloc(0, 'c', 2048, ' name=kmalloc-2k', 'kmem_cache_alloc'),
      alloc(0, 'd', 1024, ' name=l2', 'kmem_cache_alloc'),
      ev(0, 'kmalloc', 'call_site=other+0x1/0x2 ptr=e bytes_req=9 bytes_alloc=1024'),
    ]);
    const count = (params: TraceStatsOptions) => traceStats(file, params).allocations;
    expect(count({})).toBe(3);
    expect(count({ size: 2048 })).toBe(2);
    expect(count({ cache: 'kmalloc-1k' })).toBe(2);
    expect(count({ cache: 'l2' })).toBe(1);
    expect(count({ site: 'iommu_map' })).toBe(2);
    expect(count({ site: 'other', cache: 'kmalloc-1k' })).toBe(1);
    expect(events(file, { size: '2048', cache: 'kmalloc-2k' })).toHaveLength(2);
  });

  it.each([
    [
      'no CPU column',
      'bash-1 323.5: kmalloc: ptr=a',
      'not an ftrace event line (no [CPU] column): "bash-1 323.5: kmalloc: ptr=a"',
    ],
    [
      'a long line cut short',
      `bash-1 ${'x'.repeat(50)}`,
      `not an ftrace event line (no [CPU] column): "bash-1 ${'x'.repeat(33)}…"`,
    ],
    ['no ptr=', ev(0, 'kmalloc', 'call_site=f+0x1 bytes_alloc=1024'), 'kmalloc without ptr='],
    ['no ptr= on a free', ev(0, 'kmem_cache_free', 'call_site=f+0x1'), 'kmem_cache_free without ptr='],
    [
      'bad bytes_alloc',
      ev(0, 'kmalloc', 'ptr=a bytes_alloc=1k'),
      'kmalloc without a whole number in bytes_alloc= ("1k")',
    ],
    ['no bytes_alloc', ev(0, 'kmalloc_node', 'ptr=a'), 'kmalloc_node without a whole number in bytes_alloc= ("")'],
  ])('refuses a line with %s, giving FILE:LINE', (_, bad, what) => {
    const file = write([...TRACEFS_HEADER, alloc(0, 'p1'), bad]);
    expect(traceError(() => events(file))).toBe(`${file}:8: ${what}`);
  });

  it('needs name= on kmem_cache_alloc only when cache= asks for it', () => {
    const file = write([alloc(0, 'p1', 1024, '', 'kmem_cache_alloc')]);
    expect(events(file)).toHaveLength(1);
    expect(traceError(() => events(file, { cache: 'x' }))).toBe(
      `${file}:1: kmem_cache_alloc without name= (needed by cache=)`,
    );
  });
});

describe('format detection and naming', () => {
  it.each([
    ['alloc,1', 'native'],
    ['  free,0xffff,2', 'native'],
    [alloc(0, 'p'), 'ftrace'],
    ['cpus=4', 'ftrace'],
    ['<idle>-0 [001] 1.0: kfree: ptr=0', 'ftrace'],
    ['alloc 1', undefined],
    ['kmalloc: ptr=1', undefined],
  ])('%j is %s', (line, format) => {
    expect(detectFormat(line, line.search(/\S/))).toBe(format);
  });

  it('names kmalloc caches as the kernel does', () => {
    expect([96, 1000, 1024, 2048, 8192, 1 << 20, 2 << 20].map(kmallocCache)).toEqual([
      'kmalloc-96',
      'kmalloc-1000',
      'kmalloc-1k',
      'kmalloc-2k',
      'kmalloc-8k',
      'kmalloc-1M',
      'kmalloc-2M',
    ]);
  });
});

describe('CPU folding', () => {
  it('says so in its notices when a trace has more CPUs than the machine, nothing otherwise, and never prints', () => {
    const file = write([alloc(5, 'p1'), alloc(2, 'p2'), free(7, 'p1')]);
    const create = (cpus: number) =>
      trace.create(parseParams('workload trace', trace.params, { file }), { seed: 1, cpus });
    const say = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(create(8).notices).toEqual([]);
      expect(events(file, {}, 4)).toEqual([
        [ALLOC, 0, 1],
        [ALLOC, 1, 2],
        [FREE, 0, 3],
      ]);
      expect(create(4).notices).toEqual([
        `${file}: trace CPUs 0..7 are folded onto 4 simulated CPUs (trace CPU c runs on c % 4)`,
      ]);
      expect(say).not.toHaveBeenCalled();
    } finally {
      say.mockRestore();
    }
  });
});
