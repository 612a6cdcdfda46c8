import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvExporter } from '../../results/csv.ts';
import { MemoryRecords, SpooledRecords } from '../../results/record-store.ts';
import { blankRecord, completeRun } from '../records.ts';
import { tempDir } from '../tmp.ts';

const rec = (n: number, over = {}) =>
  blankRecord(
    { workload: `hold:tables=${n}`, strategy: 'full-page', cpus: 1, seed: 1 },
    { peak_footprint_bytes: 4096 * n, ...over },
  );

describe.each([
  ['in memory', () => new MemoryRecords()],
  ['spooled to disk', () => new SpooledRecords(join(tempDir('l2bench-spool-'), 'spool'), 5)],
])('a record store %s', (_, make) => {
  it('gives back each cell’s latest record, in plan order, whatever order they came in', () => {
    const store = make();
    store.put(3, rec(3));
    store.put(0, rec(0));
    store.put(3, rec(3, { ops_per_sec: 1234.5 })); // timed after a round: replaced, not added
    expect(store.size).toBe(2);
    expect(store.get(1)).toBeUndefined();
    expect(store.get(3)).toEqual(rec(3, { ops_per_sec: 1234.5 }));
    expect([...store.values()]).toEqual([rec(0), rec(3, { ops_per_sec: 1234.5 })]);
    // values() can be read again, the same.
    expect([...store.values()].map((r) => r.workload)).toEqual(['hold:tables=0', 'hold:tables=3']);
  });
});

describe('SpooledRecords', () => {
  it('is a file of JSON lines, the later line of a cell winning; close removes it, keep leaves it', () => {
    const dir = tempDir('l2bench-spool-');
    const store = new SpooledRecords(join(dir, 'spool'), 2);
    store.put(1, rec(1));
    store.put(0, rec(0));
    store.put(1, rec(1, { ops_per_sec: 7 }));
    const lines = readFileSync(join(dir, 'spool'), 'utf8').split('\n');
    expect(lines.map((l) => (l ? JSON.parse(l) : l))).toEqual([rec(1), rec(0), rec(1, { ops_per_sec: 7 }), '']);
    store.keep();
    expect(readdirSync(dir)).toEqual(['spool']);
    const other = new SpooledRecords(join(dir, 'other'), 1);
    other.put(0, rec(0));
    other.close();
    other.close();
    expect(existsSync(join(dir, 'other'))).toBe(false);
  });

  it('compacts the file once replaced records are most of it, keeping every latest record', () => {
    const store = new SpooledRecords(join(tempDir('l2bench-spool-'), 'spool'), 3, { compactAbove: 0 });
    store.put(0, rec(0));
    store.put(2, rec(2));
    const live = store.bytes;
    // Timed again and again: each put appends a new copy of record 1.
    for (let round = 1; round <= 50; round++) {
      store.put(1, rec(1, { ops_per_sec: round }));
      // Read between puts, from the file's start: a compaction moves the lines (1 comes before 2 in
      // the new file), and a read after it must find them there, not in what was read before it.
      expect(store.get(0)).toEqual(rec(0));
      expect(store.get(1)).toEqual(rec(1, { ops_per_sec: round }));
      expect(store.bytes).toBeLessThanOrEqual(3 * (live + JSON.stringify(rec(1, { ops_per_sec: round })).length + 1));
    }
    expect([...store.values()]).toEqual([rec(0), rec(1, { ops_per_sec: 50 }), rec(2)]);
    store.close();
  });

  it('gives each latest record as its line, JSON.stringify of it, a record longer than the read window too', () => {
    const store = new SpooledRecords(join(tempDir('l2bench-spool-'), 'spool'), 3);
    // A strategy note of 600,000 characters, 1.2 MB in UTF-8: a line longer than the 1 MiB window json() reads.
    const long = rec(2, { detail: { ...rec(2).detail, strategy_note: 'é'.repeat(600_000) } });
    store.put(0, rec(0));
    store.put(0, rec(0, { ops_per_sec: 9 }));
    store.put(2, long);
    const text = (i: number) => store.json(i)?.toString('utf8');
    expect([0, 1, 2].map(text)).toEqual([JSON.stringify(rec(0, { ops_per_sec: 9 })), undefined, JSON.stringify(long)]);
    expect(text(0)).toBe(JSON.stringify(rec(0, { ops_per_sec: 9 }))); // read again after a longer line
    // A line appended after a read, beyond the window read then.
    store.put(1, rec(1));
    expect(store.get(1)).toEqual(rec(1));
    store.close();
  });

  it('keeps each latest record’s results.csv row, as the whole file has it, in a file that is in no folder', () => {
    const dir = tempDir('l2bench-spool-');
    const store = new SpooledRecords(join(dir, 'spool'), 4, { compactAbove: 0 });
    // A workload whose name needs quoting, and a record timed again and again (compacted on the way).
    const quoted = rec(3, { workload: 'trace:file="a,b.trace"' });
    store.put(3, quoted);
    store.put(0, rec(0));
    for (let round = 1; round <= 20; round++) store.put(1, rec(1, { ops_per_sec: round * 1.5 }));
    const latest = [rec(0), rec(1, { ops_per_sec: 30 }), quoted];
    // The rows of results.csv as the exporter writes them from the records, header dropped.
    const csv = csvExporter.render(completeRun(latest)) as string;
    const rows = csv.split(/(?<=\n)/).slice(1);
    expect(rows).toHaveLength(3);
    expect([0, 1, 2, 3].map((i) => store.csv(i)?.toString('utf8'))).toEqual([rows[0], rows[1], undefined, rows[2]]);
    expect(rows[2]).toMatch(/^"trace:file=""a,b\.trace"""/);
    // Only the spool of records has a name: the rows go with the process, however it ends.
    expect(readdirSync(dir)).toEqual(['spool']);
    store.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a position outside the plan', () => {
    const store = new SpooledRecords(join(tempDir('l2bench-spool-'), 'spool'), 2);
    expect(() => store.put(2, rec(2))).toThrow('no cell at position 2');
    store.close();
  });
});
