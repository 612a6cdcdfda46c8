import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TIMING_COLUMNS } from '../../core/record.ts';
import { STRATEGIES } from '../../strategies/index.ts';
import { l2bench, ROOT } from '../cli.ts';
import { tempDir } from '../tmp.ts';

const tmp = () => tempDir('l2bench-rel-');

/** RFC 4180: fields may be quoted, with commas, newlines and doubled quotes inside. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function readCsv(dir: string): { header: string[]; rows: string[][] } {
  const [header, ...rows] = parseCsv(readFileSync(join(dir, 'results.csv'), 'utf8'));
  for (const row of rows) expect(row.length).toBe(header?.length);
  return { header: header as string[], rows };
}

/** results.csv with the timing columns removed, serialized again: equal text means equal bytes. */
function csvWithoutTiming(dir: string): string {
  const { header, rows } = readCsv(dir);
  const keep = header.map((h, i) => ((TIMING_COLUMNS as readonly string[]).includes(h) ? -1 : i)).filter((i) => i >= 0);
  return [header, ...rows].map((r) => JSON.stringify(keep.map((i) => r[i]))).join('\n');
}

interface Json {
  provenance: Record<string, unknown>;
  records: Record<string, unknown>[];
  interrupted: boolean;
  cells: number;
}

const readJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Json;

/** A record without what may differ between runs of one seed: timing columns and replay samples. */
function withoutTiming(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...record };
  for (const c of TIMING_COLUMNS) delete out[c];
  const detail = { ...(out.detail as Record<string, unknown>) };
  delete detail.samples;
  delete detail.rounds;
  out.detail = detail;
  return out;
}

const tmpFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

describe('determinism and atomic writes', () => {
  it('gives identical results for one seed, timing columns aside, and leaves no temporary file', async () => {
    const base = tmp();
    const dirs = [join(base, 'a'), join(base, 'b')];
    // Same flags except the output folder, run side by side: the memory metrics must not care.
    const args = (out: string) => [
      'run',
      '--suite',
      'test/fixtures/suites/small.yaml',
      '--time',
      '20',
      '--rounds',
      '3',
      '-o',
      out,
    ];
    const runs = await Promise.all(dirs.map((d) => l2bench(args(d))));
    for (const r of runs) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    const [a, b] = dirs as [string, string];

    // (c) atomic writes: the two results and nothing else.
    for (const d of dirs) {
      expect(tmpFiles(d)).toEqual([]);
      expect(readdirSync(d).sort()).toEqual(['results.csv', 'results.json']);
    }

    // results.csv: 7 workloads × every built-in strategy, with timings measured; equal once they are removed.
    const csv = readCsv(a);
    expect(csv.rows).toHaveLength(7 * STRATEGIES.length);
    const col = (name: string) => csv.header.indexOf(name);
    for (const row of csv.rows) expect(Number(row[col('replay_samples')])).toBeGreaterThanOrEqual(5);
    // Quoted fields with commas inside survive the parser.
    expect(csv.rows.map((r) => r[col('workload')])).toContain('churn:live=64,ops=2000,cpus=spread');
    expect(csv.rows.map((r) => r[col('workload')])).toContain(
      'trace:file=test/fixtures/ftrace-kmalloc-1k.txt,size=1024',
    );
    expect(csvWithoutTiming(a)).toBe(csvWithoutTiming(b));
    // The check is not vacuous: the timings themselves did vary.
    expect(readCsv(b).rows.map((r) => r[col('ops_per_sec')])).not.toEqual(csv.rows.map((r) => r[col('ops_per_sec')]));

    // results.json: the records agree but for timings and samples; the provenance but for when and where.
    const [ja, jb] = [readJson(a), readJson(b)];
    expect(ja.records).toHaveLength(42);
    expect(ja.interrupted).toBe(false);
    expect(ja.cells).toBe(42);
    expect(ja.records.map(withoutTiming)).toEqual(jb.records.map(withoutTiming));
    for (const r of ja.records) expect((r.detail as { samples: number[] }).samples.length).toBe(r.replay_samples);
    const provenance = (j: Json) => ({ ...j.provenance, started_at: '', command_line: [] });
    expect(provenance(ja)).toEqual(provenance(jb));
    expect(ja.provenance.throughput_time_ms).toBe(20);
    expect(ja.provenance.suite).toBe('test/fixtures/suites/small.yaml');
    expect(jb.provenance.command_line).toEqual(args(b));
  });

  it('refuses a non-empty --out folder and leaves it untouched', async () => {
    const dir = join(tmp(), 'earlier-run');
    mkdirSync(dir);
    writeFileSync(join(dir, 'results.csv'), 'an earlier run\n');
    const before = statSync(join(dir, 'results.csv')).mtimeMs;
    const r = await l2bench(['run', '-s', 'full-page', '-w', 'hold:tables=4', '--no-throughput', '-o', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`l2bench: --out ${dir}: folder is not empty; refusing to overwrite a run\n`);
    expect(readdirSync(dir)).toEqual(['results.csv']);
    expect(readFileSync(join(dir, 'results.csv'), 'utf8')).toBe('an earlier run\n');
    expect(statSync(join(dir, 'results.csv')).mtimeMs).toBe(before);
  });

  it('accepts an existing empty --out folder', async () => {
    const dir = tmp();
    const r = await l2bench(['run', '-s', 'full-page', '-w', 'hold:tables=4', '--no-throughput', '-o', dir]);
    expect(r.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['results.csv', 'results.json']);
  });

  it('runs a suite with a relative trace from any working directory', async () => {
    const cwd = tmp();
    const r = await l2bench(
      ['run', '--suite', join(ROOT, 'test/fixtures/suites/small.yaml'), '--no-throughput', '-o', 'out'],
      { cwd },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
