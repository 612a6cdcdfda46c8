import { describe, expect, it } from 'vitest';
import type { FullRecord } from '../../core/record.ts';
import { renderMarkdown } from '../../results/markdown.ts';
import { analyse } from '../../results/report/analyse.ts';
import { heldAtPeak } from '../../results/report/held.ts';
import { realCaptures, realCapturesTable } from '../../results/report/real-captures.ts';
import { completeRun } from '../records.ts';
import { CAPTURE_A, CAPTURE_B, CHURN, held, SCENARIO } from './capture-records.ts';

/** a and b on each workload: [a's bytes, b's bytes]. */
function run(bytes: Record<string, [number, number]>): FullRecord[] {
  return Object.entries(bytes).flatMap(([w, [a, b]]) => [held('a', w, a), held('b', w, b)]);
}

describe('realCaptures', () => {
  it('picks on the captures and on the scenarios apart, and says whether the captures move the answer', () => {
    // Captures: a 4 + 4 KiB = 8 KiB, b 8 + 8 = 16 KiB, so a. Scenario: a 3 KiB, b 1 KiB, so b.
    // Everything: a 8 + 3 + 100 = 111 KiB, b 16 + 1 + 50 = 67 KiB; without the captures a 103, b 51: b both times.
    const records = run({
      [CAPTURE_A]: [4096, 8192],
      [CAPTURE_B]: [4096, 8192],
      [SCENARIO]: [3072, 1024],
      [CHURN]: [102400, 51200],
    });
    const rc = realCaptures(records, heldAtPeak, ['a', 'b'], '');
    expect(rc?.traces).toBe(2);
    expect(rc?.captures).toBe(2);
    expect(rc?.peakTables).toEqual([2, 2]);
    expect([rc?.real.strategy, rc?.real.agreed, rc?.real.units]).toEqual(['a', true, 2]);
    expect([rc?.scenarios?.strategy, rc?.scenarios?.units]).toEqual(['b', 1]);
    expect([rc?.all.strategy, rc?.without.strategy]).toEqual(['b', 'b']);
    expect(rc?.sentences.join(' ')).toContain('the real captures disagree with them');
    expect(rc?.sentences.join(' ')).toContain("not a v7s SoC's display, camera or codec masters");
    expect(rc?.sentences.join(' ')).toContain('the real captures do not change the answer');
    const t = rc ? realCapturesTable(rc) : null;
    expect(t?.head).toEqual([
      'strategy',
      'real captures: bytes summed (2)',
      'real captures: geometric mean',
      'illustrative scenarios: bytes summed (1)',
      'illustrative scenarios: geometric mean',
    ]);
    // a: 8 KiB summed, ratios 1 and 1; b: 16 KiB, ratios 2 and 2; on the scenario a 3 KiB (3×), b 1 KiB (1×).
    expect(t?.rows.map((r) => r.map((c) => (c.pick ? `*${c.text}` : c.text)))).toEqual([
      ['a', '*8 KiB', '*1.00×', '3 KiB', '3.00×'],
      ['b', '16 KiB', '2.00×', '*1 KiB', '*1.00×'],
    ]);
  });

  it('says the captures change the answer where their bytes outweigh the rest', () => {
    // Captures: a 8 KiB, b 400 KiB. Everything: a 111 KiB, b 451 KiB: a; without: b (a 103, b 51).
    const records = run({
      [CAPTURE_A]: [4096, 204800],
      [CAPTURE_B]: [4096, 204800],
      [SCENARIO]: [3072, 1024],
      [CHURN]: [102400, 51200],
    });
    const rc = realCaptures(records, heldAtPeak, ['a', 'b'], '');
    expect([rc?.all.strategy, rc?.without.strategy]).toEqual(['a', 'b']);
    expect(rc?.sentences.join(' ')).toContain('the real captures change the answer');
  });

  it('is null without captures, and the report says so', () => {
    const records = run({ [SCENARIO]: [3072, 1024] });
    expect(realCaptures(records, heldAtPeak, ['a', 'b'], '')).toBeNull();
    expect(renderMarkdown(analyse(completeRun(records)))).toContain('This run has no real IOMMU capture');
  });
});
