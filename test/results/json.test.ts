import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FullRecord } from '../../core/record.ts';
import { jsonExporter } from '../../results/json.ts';
import { readRun } from '../../results/read-run.ts';
import type { RunResult } from '../../results/run-schema.ts';
import { blankRecord, completeRun } from '../records.ts';
import { tempDir } from '../tmp.ts';

function run(records: FullRecord[]): RunResult {
  return completeRun(records, { command_line: ['run', '--workload', 'hold:tables=1..3'] });
}

describe('results.json', () => {
  it('writes each record on one line and reads back the same run', async () => {
    const records = [1, 2, 3].map((n) =>
      blankRecord(
        { workload: `hold:tables=${n}`, strategy: 'full-page', cpus: 1, seed: 1 },
        { peak_footprint_bytes: 4096 * n },
      ),
    );
    const written = run(records);
    const text = await jsonExporter.render(written);
    const lines = text.split('\n');
    const first = lines.findIndex((l) => l.trim() === '"records": [');
    // The three records follow, one per line; the rest of the run is indented as before.
    expect(lines.slice(first + 1, first + 4).map((l) => JSON.parse(l.trim().replace(/,$/, '')))).toEqual(records);
    expect(lines[first + 4]).toBe('  ],');
    expect(lines[1]).toBe('  "schema": "l2bench-run/2",');
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(written)));
    const file = join(tempDir('l2bench-json-'), 'results.json');
    writeFileSync(file, text);
    expect(readRun(file).records).toEqual(records);
  });

  it('leaves a "records" key anywhere but the top alone, and writes a run of no records', async () => {
    const written = run([]);
    written.provenance.machine = { records: 7 };
    const text = await jsonExporter.render(written);
    expect(text).toContain('"records": []');
    expect(JSON.parse(text).provenance.machine).toEqual({ records: 7 });
  });
});
