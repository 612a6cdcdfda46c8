import { describe, expect, it } from 'vitest';
import { MissingJson } from '../../harness/missing-json.ts';
import { ENTRY_SEPARATOR } from '../../results/json.ts';
import type { MissingCell } from '../../results/run-schema.ts';
import { textOf } from '../../results/run-source.ts';

/** A plan of `cells` cells, each done, failed or not run; its entries as results.json lists them. */
function plan(cells: number) {
  const state: ('not run' | 'done' | 'failed')[] = Array.from({ length: cells }, () => 'not run');
  const entry = (i: number): MissingCell | null =>
    state[i] === 'done'
      ? null
      : {
          workload: `hold:tables=${i + 1}`,
          strategy: 'full-page',
          platform: 'mt8173',
          cpus: 4,
          kernel: '5.1',
          seed: 1,
          module: null,
          reason: state[i] === 'failed' ? 'failed' : 'not run',
          step: state[i] === 'failed' ? 'metrics' : null,
          error: state[i] === 'failed' ? `cell ${i} threw` : null,
          cell: i,
        };
  const json = new MissingJson(cells, entry, (i) => state[i] === 'not run');
  /** What results.json's missing list holds: each entry's JSON, one a line. */
  const expected = () =>
    state
      .map((_, i) => entry(i))
      .filter((m) => m !== null)
      .map((m) => JSON.stringify(m));
  const listed = () => [...json.texts()].map(textOf).join(ENTRY_SEPARATOR).split(ENTRY_SEPARATOR);
  return { state, expected, listed, texts: () => [...json.texts()] };
}

describe('the missing list as results.json writes it, blocks of cells not run kept ready', () => {
  // 10,000 cells: blocks of 4,096, 4,096 and 1,808.
  it('lists every entry, in plan order, as JSON.stringify makes it', () => {
    const p = plan(10_000);
    expect(p.listed()).toEqual(p.expected());
    expect(p.listed()).toHaveLength(10_000);
  });

  it('drops a kept block once one of its cells runs or fails, whichever block it is in', () => {
    const p = plan(10_000);
    p.listed(); // every block kept, each all not run
    p.state[9_000] = 'done'; // the last block
    p.state[4_096] = 'failed'; // the first cell of the second
    for (let i = 0; i < 4_096; i++) p.state[i] = 'done'; // the whole first block
    const now = p.listed();
    expect(now).toEqual(p.expected());
    expect(now).toHaveLength(10_000 - 4_096 - 1);
    expect(now[0]).toContain('"reason":"failed"');
    expect(now.some((line) => line.endsWith('"cell":9000}'))).toBe(false);
    expect(now.some((line) => line.endsWith('"cell":9001}'))).toBe(true);
    // Every cell done: no text at all, so the list is written `[]`.
    p.state.fill('done');
    expect([
      ...new MissingJson(
        10_000,
        () => null,
        () => false,
      ).texts(),
    ]).toEqual([]);
  });
});
