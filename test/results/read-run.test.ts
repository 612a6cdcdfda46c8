import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FullRecord } from '../../core/record.ts';
import { jsonExporter } from '../../results/json.ts';
import { openRun, readRun } from '../../results/read-run.ts';
import type { MissingCell, RunResult } from '../../results/run-schema.ts';
import { blankRecord, completeRun } from '../records.ts';
import { tempDir } from '../tmp.ts';

/** Cell `i` of a plan of hold sweeps: the workload and the strategy of position i, and its record. */
function record(i: number, over: Partial<FullRecord> = {}): FullRecord {
  const r = blankRecord(
    { workload: `hold:tables=${(i >> 1) + 1}`, strategy: i % 2 ? 'slab-dma32' : 'full-page', cpus: 4, seed: 1 },
    { allocs: 3, events: 3, peak_footprint_bytes: 8192, mean_footprint_bytes: 4096, final_footprint_bytes: 4096 },
  );
  return { ...r, ...over, detail: { ...r.detail, cell: i, ...over.detail } };
}

function notRun(i: number): MissingCell {
  const { workload, strategy, platform, cpus, kernel, seed } = record(i);
  return {
    workload,
    strategy,
    platform,
    cpus,
    kernel,
    seed,
    module: null,
    reason: 'not run',
    step: null,
    error: null,
    cell: i,
  };
}

/** A run of `cells` cells planned, of which these records and these missing cells. */
function run(
  cells: number,
  records: FullRecord[],
  missing: MissingCell[] = [],
  over: Partial<RunResult> = {},
): RunResult {
  const r = completeRun(records, { plan: { cells, sha256: 'x', shard: null } });
  return { ...r, cells, missing, complete: missing.length === 0 && records.length === cells, ...over };
}

/** The run written as l2bench writes it, into a file. */
function written(r: RunResult, text = jsonExporter.render(r) as string): string {
  const file = join(tempDir('l2bench-read-'), 'results.json');
  writeFileSync(file, text);
  return file;
}

const refusal = (file: string) => {
  try {
    openRun(file);
  } catch (e) {
    return (e as Error).message;
  }
  return 'read';
};

describe('a results file read as a stream', () => {
  it('gives back every record and missing cell, again at each reading, with the counts checked against the header', () => {
    const records = [0, 1, 3].map((i) => record(i));
    const r = run(5, records, [notRun(2), notRun(4)], { interrupted: true });
    const source = openRun(written(r));
    expect(source.header).toMatchObject({ cells: 5, complete: false, interrupted: true });
    expect(source.summary()).toEqual({ records: 3, missing: { failed: 0, timeout: 0, 'not run': 2, 'not timed': 0 } });
    for (let reading = 0; reading < 2; reading++) {
      expect([...source.records()]).toEqual(records);
      expect([...source.missing()]).toEqual([notRun(2), notRun(4)]);
    }
  });

  it('reads the layout of older runs too: the count fields after the records, each missing cell over several lines', () => {
    const r = run(3, [record(0), record(1)], [notRun(2)]);
    const { records, missing, ...rest } = r;
    const old = JSON.stringify(
      {
        schema: rest.schema,
        provenance: rest.provenance,
        records,
        interrupted: false,
        complete: false,
        cells: 3,
        missing,
      },
      null,
      2,
    );
    expect(readRun(written(r, old))).toEqual(r);
  });

  it('refuses to read again a file that changed since it was checked', () => {
    const file = written(run(2, [record(0), record(1)]));
    const source = openRun(file);
    appendFileSync(file, '\n');
    expect(() => [...source.records()]).toThrow(`${file}: changed while it was being read (another run writing it?)`);
  });
});

describe('readers that trust nothing: a file that contradicts itself is refused, naming the field', () => {
  const cases: [string, () => RunResult, string][] = [
    [
      'complete, with fewer records than cells',
      () => ({
        ...run(
          16,
          [0, 1, 2, 3, 4].map((i) => record(i)),
        ),
        complete: true,
      }),
      'complete: true, but 5 of 16 cells have records',
    ],
    [
      'complete, with a missing cell',
      () => ({
        ...run(
          2,
          [record(0), record(1)],
          [{ ...notRun(1), reason: 'not timed', step: 'throughput', error: 'timed in 1 of 8 rounds' }],
        ),
        complete: true,
      }),
      'complete: true, but 1 cell is missing',
    ],
    [
      'complete and interrupted',
      () => ({ ...run(1, [record(0)]), interrupted: true }),
      'complete: true, but the run was interrupted',
    ],
    [
      'more records than cells',
      () => ({
        ...run(
          3,
          [0, 1, 2].map((i) => record(i)),
        ),
        cells: 2,
        complete: false,
      }),
      'cells: 2, but the file holds 3 records',
    ],
    [
      'records and missing cells that do not add up to the cells',
      () => run(5, [record(0), record(1)], [notRun(2)]),
      'cells: 5, but 2 records and 1 cell missing without one make 3',
    ],
    [
      'a negative byte count',
      () => run(1, [record(0, { peak_footprint_bytes: -4096 })]),
      'records[0].peak_footprint_bytes: Too small: expected number to be >=0',
    ],
    [
      'a fractional count',
      () => run(1, [record(0, { allocs: 2.5 })]),
      'records[0].allocs: Invalid input: expected int, received number',
    ],
    [
      'a final footprint above the peak',
      () => run(1, [record(0, { final_footprint_bytes: 16384 })]),
      'records[0].final_footprint_bytes: 16384 is above peak_footprint_bytes 8192',
    ],
    [
      'more failed allocations than allocations',
      () => run(1, [record(0, { alloc_failures: 4 })]),
      'records[0].alloc_failures: 4 failed allocations of 3',
    ],
    [
      'a cell twice',
      () => run(3, [record(0), record(1), record(1)]),
      'records[2]: the cell hold:tables=1 slab-dma32 (cpus=4, kernel=5.1, seed=1) again (also records[1])',
    ],
    [
      'a cell measured and missing',
      () => run(2, [record(0), record(1)], [notRun(1)]),
      'missing[0]: the cell hold:tables=1 slab-dma32 (cpus=4, kernel=5.1, seed=1) is not run, but it has one (records[1])',
    ],
    [
      'a cell not timed, without a record',
      () =>
        run(
          2,
          [record(0)],
          [{ ...notRun(1), reason: 'not timed', step: 'throughput', error: 'timed in 1 of 8 rounds' }],
        ),
      'missing[0]: the cell hold:tables=1 slab-dma32 (cpus=4, kernel=5.1, seed=1) is not timed at throughput, but it has no record',
    ],
    [
      'a record of a cell outside its plan',
      () => run(2, [record(0), record(5)]),
      'records[1].detail.cell: 5 is not a cell of shard 1/1 of 2',
    ],
    [
      'cells that are not the plan',
      () => ({
        ...run(
          3,
          [0, 1, 2].map((i) => record(i)),
        ),
        provenance: { ...run(3, []).provenance, plan: { cells: 4, sha256: 'x', shard: null } },
      }),
      'cells: 3, but its plan (provenance.plan: 4 cells) has 4',
    ],
  ];
  it.each(cases)('%s', (_, make, message) => {
    const file = written(make());
    expect(refusal(file)).toBe(`${file}: invalid l2bench run: ${message}`);
  });

  it('a shard holds the cells i of its plan with i mod n = its index − 1, and says so', () => {
    const shard = (index: number, positions: number[], cells: number) => ({
      ...run(
        cells,
        positions.map((i) => record(i)),
      ),
      provenance: { ...run(0, []).provenance, plan: { cells: 5, sha256: 'x', shard: { index, count: 2 } } },
    });
    expect(refusal(written(shard(1, [0, 2, 4], 3)))).toBe('read');
    expect(refusal(written(shard(2, [1, 3], 2)))).toBe('read');
    const file = written(shard(2, [1, 2], 2));
    expect(refusal(file)).toBe(
      `${file}: invalid l2bench run: records[1].detail.cell: 2 is not a cell of shard 2/2 of 5`,
    );
  });
});
