import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FullRecord } from '../../core/record.ts';
import { compareRuns } from '../../results/compare/diff.ts';
import { openRun, readRun } from '../../results/read-run.ts';
import { l2bench, ROOT } from '../cli.ts';
import { tempDir } from '../tmp.ts';

/**
 * Runs written by l2bench before the platform axis (commit 9cdbd7b, the last before it), with
 * `run -s slab-dma32,full-page,slab-normal -w ramp:peak=6 --kernel 5.1,6.18 --time 10 --rounds 2
 * --format json -j 1` whole and as --shard 1/2 and 2/2. Their records have no platform,
 * placement_violations, total_peak/mean/final_footprint_bytes or returned_after_peak_bytes (nor
 * lost_events, newer still).
 */
const FIXTURES = join(ROOT, 'test/fixtures/before-platforms');
const RUN = join(FIXTURES, 'run/results.json');
const SHARDS = [join(FIXTURES, 'shard-1'), join(FIXTURES, 'shard-2')];
/** The metrics measured since the platform axis that nothing in an older record implies. */
const NEWER = [
  'lost_events',
  'total_peak_footprint_bytes',
  'total_mean_footprint_bytes',
  'returned_after_peak_bytes',
] as const;

const byStrategy = (records: readonly FullRecord[], strategy: string) => records.filter((r) => r.strategy === strategy);

describe('a run written before the platform axis', () => {
  it('is read as it was: mt8173, the metrics it implies derived exactly, the newer ones absent', () => {
    const raw = JSON.parse(readFileSync(RUN, 'utf8')) as { records: Record<string, unknown>[] };
    // The fixture is what it says: none of the newer fields.
    for (const key of ['platform', 'placement_violations', 'total_final_footprint_bytes', ...NEWER]) {
      expect(raw.records.some((r) => key in r)).toBe(false);
    }
    const { records, complete } = readRun(RUN);
    expect(complete).toBe(true);
    expect(records).toHaveLength(6);
    for (const r of records) {
      expect(r.platform).toBe('mt8173');
      for (const key of NEWER) expect(r[key]).toBeNull();
    }
    // slab-normal takes ZONE_NORMAL first: on the 4 GiB board from 1 GiB, all 6 tables of the ramp
    // lie above 4 GiB, mt8173's limit, so each is a placement violation as it is a DMA32 one.
    for (const r of byStrategy(records, 'slab-normal'))
      expect([r.dma32_violations, r.placement_violations]).toEqual([6, 6]);
    for (const r of byStrategy(records, 'slab-dma32')) expect(r.placement_violations).toBe(0);
    // full-page frees each table's page with it and keeps no metadata: nothing is held at the end.
    for (const r of byStrategy(records, 'full-page')) expect(r.total_final_footprint_bytes).toBe(0);
    // slab-dma32 keeps its empty slab (16 KiB) and its cache's metadata (640 B) after the ramp.
    for (const r of byStrategy(records, 'slab-dma32')) {
      expect([r.final_footprint_bytes, r.metadata_bytes, r.total_final_footprint_bytes]).toEqual([16384, 640, 17024]);
    }
  });

  it('streamed twice (openRun) reads the same records as read whole', () => {
    const streamed = [...openRun(RUN).records()];
    expect(streamed).toEqual(readRun(RUN).records);
  });

  it('l2bench report writes its report, without the columns the run did not measure', async () => {
    const out = tempDir('l2b-old-report-');
    const r = await l2bench(['report', RUN, '--format', 'md', '--out', out]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain('**Winner: `slab-dma32`.**');
    // The table of every metric goes from the pages' figures to J&W's: no total columns between them.
    expect(md).toContain('| peak footprint (↓) | mean footprint (↓) | J&W mean frag (↓) |');
    expect(md).not.toContain('peak total footprint');
  });

  it('l2bench merge joins its shards into the run, the newer metrics null', async () => {
    const out = tempDir('l2b-old-merge-');
    const r = await l2bench(['merge', ...SHARDS, '--format', 'json', '--out', out]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const merged = readRun(join(out, 'results.json'));
    const whole = readRun(RUN);
    expect(merged.complete).toBe(true);
    const exact = (x: FullRecord) => ({ ...x, detail: undefined, ops_per_sec: 0, ops_per_sec_rme: 0 });
    const timingFree = (rs: readonly FullRecord[]) =>
      rs.map((x) => {
        const { replay_median_ms, replay_mad_ms, replay_p99_ms, replay_samples, kernel_ns_per_op, ...rest } = exact(x);
        return rest;
      });
    // Plan order, the same cells and exact figures as the run made whole.
    expect(timingFree(merged.records)).toEqual(timingFree(whole.records));
    const json = readFileSync(join(out, 'results.json'), 'utf8');
    expect(json).toContain('"total_peak_footprint_bytes":null');
  });

  it('l2bench compare against a run of today: the newer metrics are not in the base, not changes', async () => {
    const out = tempDir('l2b-old-compare-');
    const run = await l2bench([
      'run',
      ...['-s', 'slab-dma32,full-page,slab-normal', '-w', 'ramp:peak=6', '--kernel', '5.1,6.18'],
      ...['--no-throughput', '--format', 'json', '-j', '1', '--out', out],
    ]);
    expect(run.code).toBe(0);
    const r = await l2bench(['compare', RUN, out]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'warning: the base run was written before lost_events, total_peak_footprint_bytes, total_mean_footprint_bytes, returned_after_peak_bytes: not compared',
    );
    expect(r.stdout).toContain('hidden because in one run only (24)'); // 4 metrics × 6 cells
    const cmp = compareRuns(openRun(RUN), openRun(out));
    const rows = cmp.rows.filter((row) => row.kind === 'exact');
    for (const row of rows.filter((x) => (NEWER as readonly string[]).includes(x.metric))) {
      expect([row.base, row.verdict]).toEqual([null, 'not in base']);
    }
    // What an older run implies is what a run of today measures.
    for (const metric of ['placement_violations', 'total_final_footprint_bytes']) {
      const derived = rows.filter((x) => x.metric === metric);
      expect(derived).toHaveLength(6);
      for (const row of derived) expect(row.verdict).toBe('no change');
    }
  });
});
