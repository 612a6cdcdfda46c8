import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { iommuTraceStats, isIommuTrace } from '../../workloads/iommu/stats.ts';
import { map, unmap } from '../lab/raw-lines.ts';
import { tempDir } from '../tmp.ts';

const dir = tempDir('l2bench-iommu-stats-');
let n = 0;
function write(lines: string[], header: string[] = []): string {
  const file = join(dir, `t${n++}.trace.gz`);
  writeFileSync(file, gzipSync(`${[...header, ...lines].join('\n')}\n`));
  return file;
}

const K = 1024;
const M = 0x100000;

describe('trace stats of an IOMMU trace', () => {
  // Worked by hand, page by page (4 KiB pages, 1 MiB slots = iova >> 20).
  const lines = [
    map(0, 0xfff00000, 0x10000000, 4 * K), // slot 0xfff
    map(0, 0xfff01000, 0x10001000, 8 * K), // slot 0xfff, 2 pages
    map(0, 0xffeff000, 0x10010000, 8 * K), // pages 0xffeff (slot 0xffe) and 0xfff00: over a live page
    unmap(0, 0xfff00000, 12 * K), // closes the first two maps (a scatterlist-like unmap) and drops page 0xfff00 of the third
    map(1, 0xffd00000, 0x20000000, 64 * K), // slot 0xffd
    unmap(1, 0xffc00000, 4 * K), // nothing mapped there
    map(0, 0xffa00000, 0x30000000, 2 * M), // 2 MiB: slots 0xffa and 0xffb
  ];
  const file = write(lines, ['# source: a hand-written trace', '# lost_events: 0']);
  const s = iommuTraceStats(file);

  it('counts maps, unmaps and bytes', () => {
    expect([s.maps, s.unmaps, s.mapped_bytes]).toEqual([5, 2, 4 * K + 8 * K + 8 * K + 64 * K + 2 * M]);
  });

  it('buckets map sizes by the power of two at or above them', () => {
    // ≤4K: 1; ≤8K: 2; ≤64K: 1; >1M: 1.
    expect(s.map_sizes).toEqual([1, 2, 0, 0, 1, 0, 0, 0, 0, 1]);
    expect(s.largest_map).toBe(2 * M);
  });

  it('counts distinct 1 MiB slots and the most live at once', () => {
    // Touched: 0xfff, 0xffe, 0xffd, 0xffa, 0xffb. Live at once: after the third map 0xfff and 0xffe
    // (2); after the unmap only 0xffe (page 0xffeff); then 0xffd (2); at the end 0xffa and 0xffb (4).
    expect(s.slots).toBe(5);
    expect(s.peak_live_slots).toBe(4);
  });

  it('says what does not match: an unmap of nothing, a map over a live page', () => {
    expect(s.unmaps_not_mapped).toBe(1);
    expect(s.unmaps_partial).toBe(0);
    expect(s.maps_over_live).toBe(1);
  });

  it('counts maps an unmap closed, and lifetimes in events', () => {
    // The unmap (event 4) closes maps 1 and 2 (lifetimes 3 and 2); map 3 keeps page 0xffeff.
    expect(s.unmaps_closing_several).toBe(1);
    expect(s.most_maps_closed).toBe(2);
    expect(s.lifetime_events).toMatchObject({ count: 2, min: 2, max: 3 });
    expect(s.maps_live_at_end).toBe(3);
    // Pages: 1 + 2 + 1 (0xffeff) + 16 + 512 at the end; at most that too.
    expect(s.live_pages_at_end).toBe(1 + 16 + 512);
    expect(s.peak_live_pages).toBe(1 + 16 + 512);
  });

  it('reads the source and losses from the header, and replays it through the v7s model', () => {
    expect(s.source).toBe('a hand-written trace');
    expect(s.lost_events).toBe(0);
    expect(s.max_cpu).toBe(1);
    // Tables: slot 0xfff, 0xffe (the 8 KiB map over 0xffeff/0xfff00 fails with -EEXIST on 0xfff00,
    // after taking a table for 0xffe), 0xffd; the 2 MiB map is two 1 MiB sections: no table.
    expect(s.v7s).toMatchObject({ table_allocs: 3, peak_tables: 3, map_failures: 1 });
  });

  it('tells an IOMMU trace from a kmem one', () => {
    expect(isIommuTrace(file)).toBe(true);
    const kmem = join(dir, 'kmem.txt');
    writeFileSync(kmem, 'alloc,1,0\nfree,1,0\n');
    expect(isIommuTrace(kmem)).toBe(false);
  });
});
