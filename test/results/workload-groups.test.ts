import { describe, expect, it } from 'vitest';
import { OBJECTIVES } from '../../results/report/objective.ts';
import { claims } from '../../results/report/v51-claims.ts';
import { iommuGroupOf } from '../../results/report/workload-groups.ts';
import { blankRecord } from '../records.ts';
import { CAPTURE_A, CAPTURE_B, CHURN, held, SCENARIO } from './capture-records.ts';

describe('iommuGroupOf', () => {
  it('tells real captures from illustrative scenarios by the category, and by the spec in older runs', () => {
    expect(iommuGroupOf(held('a', CAPTURE_A, 1))).toBe('real capture');
    expect(iommuGroupOf(held('a', SCENARIO, 1))).toBe('illustrative scenario');
    expect(iommuGroupOf(held('a', CHURN, 1))).toBeNull();
    const old = (w: string) => blankRecord({ workload: w, strategy: 'a', cpus: 4, seed: 1 });
    expect(iommuGroupOf(old(CAPTURE_B))).toBe('real capture');
    expect(iommuGroupOf(old(SCENARIO))).toBe('illustrative scenario');
  });
});

describe('the field report claim', () => {
  it('gives the illustrative scenarios and the real captures apart', () => {
    const records = [
      held('a', SCENARIO, 1024, { peak_live_tables: 5, allocs: 16, frees: 12 }),
      held('a', CAPTURE_A, 1024, { peak_live_tables: 21, allocs: 21, frees: 0 }),
      held('a', CAPTURE_B, 1024, { peak_live_tables: 1, allocs: 1, frees: 0 }),
    ];
    const c = claims(records, OBJECTIVES.peak).at(-1);
    expect(c?.evidence).toBe(
      "Illustrative IOMMU scenarios (not measured on MT8173): display: peak 5, 12 frees of 16; real captures of a Linux 6.1 guest's drivers (x86 under an emulated VT-d, not MT8173; 2 traces): peak 1 to 21 tables, 0 frees of 22.",
    );
    // Every workload within 100 tables, but the scenario frees 12 of 16 (more than half): partly.
    expect(c?.verdict).toBe('partly');
  });
});
