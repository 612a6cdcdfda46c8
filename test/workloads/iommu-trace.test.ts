import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ALLOC, FREE } from '../../workloads/events.ts';
import { TraceError } from '../../workloads/trace/errors.ts';
import { drain, workload } from '../workload-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'l2bench-iommu-trace-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function write(lines: string[], gzip = false): string {
  const file = join(dir, `i${files++}.txt${gzip ? '.gz' : ''}`);
  const text = `${lines.join('\n')}\n`;
  writeFileSync(file, gzip ? gzipSync(text) : text);
  return file;
}

const hex = (n: bigint | number) => `0x${BigInt(n).toString(16).padStart(16, '0')}`;
const line = (cpu: number, event: string, text: string) =>
  `     kworker/0:1-42      [${String(cpu).padStart(3, '0')}] .....    12.345678: ${event}: ${text}`;
/** The iommu:map tracepoint as tracefs prints it on Linux 6.18 (events/iommu/map/format). */
const map = (iova: bigint | number, paddr: bigint | number, size: number, cpu = 0) =>
  line(cpu, 'map', `IOMMU: iova=${hex(iova)} - ${hex(BigInt(iova) + BigInt(size))} paddr=${hex(paddr)} size=${size}`);
/** The iommu:unmap tracepoint: iova, iova + size, size, unmapped_size. */
const unmap = (iova: bigint | number, size: number, unmapped = size, cpu = 0) =>
  line(
    cpu,
    'unmap',
    `IOMMU: iova=${hex(iova)} - ${hex(BigInt(iova) + BigInt(size))} size=${size} unmapped_size=${unmapped}`,
  );

const M = 0x100000;
const K4 = 0x1000;

/** The events of an iommu:trace= workload as [kind, slot, cpu], and what it counted. */
function run(file: string, params: Record<string, string> = {}, cpus = 4) {
  const w = workload('iommu', { trace: file, ...params }, 1, cpus);
  const events: [number, number, number][] = [];
  for (const c of w.chunks())
    for (let i = 0; i < c.length; i++) events.push([c.kind[i] as number, c.id[i] as number, c.cpu[i] as number]);
  return { events, pass: w.lastPass?.() as Record<string, number>, w };
}

describe('iommu:trace= replays iommu:map/unmap through the v7s page table (counts worked out by hand)', () => {
  it('a 4 KiB map into an empty 1 MiB slot allocates one table (slot 1 for IOVA 1 MiB)', () => {
    const { events, pass } = run(write([map(M, 0x80000000, 4096, 2)]));
    expect(events).toEqual([[ALLOC, 1, 2]]);
    expect(pass).toMatchObject({ maps: 1, table_allocs: 1, table_frees: 0, peak_tables: 1 });
  });

  it('a 64 KiB map allocates one table too (16 L2 entries); a second 4 KiB map in the same slot none', () => {
    const { events } = run(write([map(M + 0x10000, 0x80010000, 0x10000), map(M + 0x40000, 0x90000000, 4096)]));
    expect(events).toEqual([[ALLOC, 1, 0]]);
  });

  it('a 1 MiB-aligned 1 MiB map is a section and allocates none; 16 MiB aligned is a supersection', () => {
    const { events, pass } = run(write([map(2 * M, 0x80100000, M), map(16 * M, 0x81000000, 16 * M)]));
    expect(events).toEqual([]);
    expect(pass).toMatchObject({ maps: 2, table_allocs: 0, map_failures: 0 });
  });

  it('a 1 MiB map whose paddr is not 1 MiB-aligned is mapped with 64 KiB pages: one table', () => {
    // iommu_map picks page sizes by the alignment of iova | paddr: 0x80010000 allows 64 KiB at most.
    expect(run(write([map(3 * M, 0x80010000, M)])).events).toEqual([[ALLOC, 3, 0]]);
  });

  it('unmapping the last 4 KiB page leaves the table; a 1 MiB unmap of its slot frees it', () => {
    const kept = run(write([map(M, 0x80000000, 4096), unmap(M, 4096)]));
    expect(kept.events).toEqual([[ALLOC, 1, 0]]);
    expect(kept.pass).toMatchObject({ unmaps: 1, table_frees: 0, unmaps_not_mapped: 0 });
    const freed = run(write([map(M, 0x80000000, 4096, 1), unmap(M, M, M, 3)]));
    expect(freed.events).toEqual([
      [ALLOC, 1, 1],
      [FREE, 1, 3],
    ]);
    expect(freed.pass).toMatchObject({ table_allocs: 1, table_frees: 1, peak_tables: 1 });
  });

  it('unmaps unmapped_size bytes, what the kernel did unmap; skips an unmap of nothing', () => {
    // size 1 MiB asked, but the kernel reports 4 KiB unmapped: a 4 KiB unmap, the table stays.
    const { events, pass } = run(write([map(M, 0x80000000, 8192), unmap(M, M, 4096), unmap(M + K4, 4096, 0)]));
    expect(events).toEqual([[ALLOC, 1, 0]]);
    expect(pass).toMatchObject({ unmaps: 2, unmaps_empty: 1, unmaps_not_mapped: 0 });
  });

  it('counts and skips unmaps of ranges never mapped in the trace, and partial ones', () => {
    const { events, pass } = run(
      write([map(M, 0x80000000, 4096), unmap(5 * M, 4096), unmap(M + 0x8000, 4096), unmap(M, 8192)]),
    );
    expect(events).toEqual([[ALLOC, 1, 0]]);
    // 5 MiB: empty L1 slot; M + 32 KiB: an empty L2 entry; M..M+8 KiB: the first page only.
    expect(pass).toMatchObject({ unmaps: 3, unmaps_not_mapped: 2, unmaps_partial: 1 });
  });

  it('folds IOVAs above 4 GiB modulo 4 GiB, counting them, and skips a range crossing the top', () => {
    const { events, pass } = run(
      write([
        map(0x1_0010_0000n, 0x80000000, 4096),
        map(0xffff_f000, 0x80000000, 8192),
        map(0x7_0020_0000n, 0x80200000, M),
      ]),
    );
    // 0x1_0010_0000 → 0x0010_0000: slot 1; 0x7_0020_0000 → 0x0020_0000: a section in slot 2.
    expect(events).toEqual([[ALLOC, 1, 0]]);
    expect(pass).toMatchObject({ maps: 3, folded: 2, wrapped: 1, table_allocs: 1 });
  });

  it('rounds ranges that are not whole 4 KiB pages outward, as dma-iommu does, counting them', () => {
    // 100 bytes at M + 0x800: the page M..M+4K; 0x1800 bytes at 2M + 0xc00: pages 2M..2M+8K.
    const { events, pass } = run(
      write([map(M + 0x800, 0x80000800, 100), map(2 * M + 0xc00, 0x80000c00, 0x1800), unmap(M + 0x10, 10)]),
    );
    expect(events).toEqual([
      [ALLOC, 1, 0],
      [ALLOC, 2, 0],
    ]);
    expect(pass).toMatchObject({ rounded: 3, unmaps_not_mapped: 0, map_failures: 0 });
  });

  it('counts a map over a live mapping as a failure (-EEXIST) and skips it', () => {
    const { pass } = run(write([map(M, 0x80000000, 4096), map(M, 0x90000000, 4096), map(M, 0x80100000, M)]));
    // The 1 MiB map over slot 1 would free its table (arm_v7s_init_pte), so it succeeds.
    expect(pass).toMatchObject({ maps: 3, map_failures: 1, table_allocs: 1, table_frees: 1 });
  });

  it('frees every table at teardown=1; folds CPUs and says so in its notices, printing nothing', () => {
    const file = write([map(M, 0x80000000, 4096, 5), map(3 * M, 0x80000000, 4096, 7)]);
    const say = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const { events, w } = run(file, { teardown: '1' }, 4);
      expect(events).toEqual([
        [ALLOC, 1, 1],
        [ALLOC, 3, 3],
        [FREE, 1, 0],
        [FREE, 3, 0],
      ]);
      expect(w.spec).toBe(`iommu:trace=${file},teardown=1`);
      expect(w.info).toMatchObject({ file, format: 'iommu' });
      expect(w.notices).toEqual([
        `${file}: trace CPUs 0..7 are folded onto 4 simulated CPUs (trace CPU c runs on c % 4)`,
      ]);
      expect(say).not.toHaveBeenCalled();
    } finally {
      say.mockRestore();
    }
  });

  it('reads gzip, skips other events and headers, and is deterministic', () => {
    const lines = [
      '# tracer: nop',
      'cpus=2',
      line(0, 'attach_device_to_domain', 'IOMMU: device=0000:00:02.0'),
      map(M, 0x80000000, 4096),
      line(1, 'kmalloc', 'call_site=f ptr=1 bytes_alloc=1024'),
      unmap(M, M),
    ];
    const plain = run(write(lines));
    const gz = run(write(lines, true));
    expect(gz.events).toEqual(plain.events);
    expect(gz.events).toHaveLength(2);
    const d = drain(workload('iommu', { trace: write(lines) }));
    expect([d.allocs, d.frees, d.finalLive]).toEqual([1, 1, 0]);
  });

  it.each([
    [[map(M, 0, 4096).replace('iova=0x', 'iova=')], ':1: map without a hex iova= ("0000000000100000")'],
    [[map(M, 0, 4096).replace(' paddr=', ' phys=')], ':1: map without a hex paddr= ("")'],
    [[map(M, 0, 4096).replace('size=4096', 'size=4k')], ':1: map without a whole number in size= ("4k")'],
    [
      [map(M, 0, 4096), unmap(M, 4096).replace(' unmapped_size=4096', '')],
      ':2: unmap without a whole number in unmapped_size= ("")',
    ],
    [['12.3: map: IOMMU: iova=0x1'], ':1: not an ftrace event line (no [CPU] column): "12.3: map: IOMMU: iova=0x1"'],
    [[unmap(M, 4096)], ': no iommu:map event (an IOMMU trace has `map: IOMMU: iova=…` lines)'],
  ])('refuses a bad trace in one line naming it: %j', (lines, what) => {
    const file = write(lines);
    expect(() => run(file)).toThrow(TraceError);
    expect(() => run(file)).toThrow(`${file}${what}`);
  });

  it('refuses length= with trace=', () => {
    expect(() => run(write([map(M, 0, 4096)]), { length: '5' })).toThrow(
      'workload iommu: length= is for scenarios, not with trace=',
    );
  });
});
