import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../../results/run-schema.ts';
import { writeResults } from '../../results/write.ts';
import { BIN, l2bench, ROOT } from '../cli.ts';
import { tempDir } from '../tmp.ts';

/**
 * A run saves (and a stop writes) its result files by copying what it kept as each cell finished:
 * each record's line of results.json and its row of results.csv, made once. The files must be the
 * very bytes that formatting every record again gives: results.json parsed and written again, as a
 * run in memory (each record and missing cell through JSON.stringify, the rows through csv-stringify).
 */

const tmp = () => tempDir('l2bench-stop-files-');
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** results.csv and results.json of `dir`, and the same written again from results.json's records and missing cells. */
async function rewritten(dir: string): Promise<{ written: string[]; again: string[] }> {
  const other = tmp();
  const run = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResult;
  await writeResults(other, run, ['csv', 'json']);
  const files = ['results.csv', 'results.json'];
  return {
    written: files.map((f) => readFileSync(join(dir, f), 'utf8')),
    again: files.map((f) => readFileSync(join(other, f), 'utf8')),
  };
}

const recordsIn = (dir: string): number =>
  existsSync(join(dir, 'results.json'))
    ? (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { records: unknown[] }).records.length
    : 0;

describe('the result files written from what the run kept', () => {
  it('are byte for byte those made from the records again, after SIGINT mid-run (records, failed and not-run cells)', async () => {
    const dir = join(tmp(), 'run');
    const gate = join(tmp(), 'never');
    const throws = join(tmp(), 'throws.mjs');
    writeFileSync(
      throws,
      `export default { name: 'throws', description: 'fails', placement: 'dma32', params: {},
  create: () => ({ work: {}, metadataBytes: () => 0, strandedBytes: () => 0,
    alloc() { throw new Error('boom, "quoted", in alloc'); }, free() {} }) };
`,
    );
    // One worker, cells in plan order: each workload's 4 strategies; the gated cell of 30 tables
    // waits for a file that never comes, after 29 workloads' cells and 2 of the 30th. Its label has a comma: a quoted CSV field.
    const gated = `${join(ROOT, 'test/slurm/gated-page.ts')}:at=30,open=${gate}`;
    const args = ['run', '-s', `full-page,${throws},slab-dma32,${gated}`, '-w', 'hold:tables=1..40+1'];
    const child = spawn(process.execPath, [BIN, ...args, '--no-throughput', '--jobs', '1', '-o', dir], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', L2BENCH_DEBUG: '' },
      stdio: 'ignore',
    });
    children.push(child);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // 29 × 3 records before the gated cell of 30 tables, and full-page's and slab-dma32's of 30.
    while (recordsIn(dir) < 89) {
      if (child.exitCode !== null) throw new Error(`the run ended (exit ${child.exitCode}) before it was stopped`);
      await sleep(50);
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(json).toMatchObject({ complete: false, interrupted: true, cells: 160 });
    expect(json.records).toHaveLength(89);
    expect(json.missing.filter((m: { reason: string }) => m.reason === 'failed')).toHaveLength(30);
    const { written, again } = await rewritten(dir);
    expect(written).toEqual(again);
    expect(written[1]).toContain('boom, \\"quoted\\", in alloc');
  });

  it('are byte for byte those made from the records again, for a complete run whose records were timed in rounds', async () => {
    const dir = join(tmp(), 'run');
    const run = await l2bench([
      'run',
      '-s',
      'full-page,slab-dma32',
      '-w',
      'hold:tables=1..3',
      '--time',
      '30',
      '-o',
      dir,
    ]);
    expect(run.code).toBe(0);
    const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(json).toMatchObject({ complete: true, cells: 6 });
    expect(json.records.every((r: { ops_per_sec: number | null }) => r.ops_per_sec !== null)).toBe(true);
    const { written, again } = await rewritten(dir);
    expect(written).toEqual(again);
  });
});
