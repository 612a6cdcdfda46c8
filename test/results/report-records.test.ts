import { describe, expect, it } from 'vitest';
import { costedRecords } from '../../results/report/analyse.ts';
import { blankRecord, completeRun, seriesDetail } from '../records.ts';

/**
 * The report keeps a record's whole footprint series only where a chart draws it: the first cpus and
 * seed of each workload within each platform and kernel (each has its own charts). Other records keep
 * their last point only.
 */
describe('which records keep their whole series', () => {
  const series: [number, number][] = [
    [0, 4096],
    [10, 8192],
    [20, 4096],
  ];
  const rec = (platform: string, cpus: number) =>
    blankRecord(
      { workload: 'churn', strategy: 'full-page', platform, cpus, seed: 1 },
      { detail: seriesDetail(series) },
    );

  it('keeps the first cpus of each platform whole, even when another platform ran other cpus first', () => {
    // mt8173 ran cpus 1 and 4; mt8183 ran cpus 4 only: its chart draws cpus 4, so that series stays whole.
    const records = costedRecords(completeRun([rec('mt8173', 1), rec('mt8173', 4), rec('mt8183', 4)]));
    expect(records.map((r) => r.detail.series.event.length)).toEqual([3, 1, 3]);
    // A cut series keeps its last point: the footprint at the end.
    expect(records[1]?.detail.series.footprint_bytes).toEqual([4096]);
  });
});
