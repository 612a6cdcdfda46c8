import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BIN, l2bench, ROOT } from '../cli.ts';
import { tempDir } from '../tmp.ts';

/**
 * Faults that let the process run one more line (a full disk, an I/O error, a stop signal at any
 * moment) and one that does not (SIGKILL): every computed cell must end up on disk, the lock let go,
 * and the files must say what is missing. Each answer is known in advance: with one worker, cells
 * finish in plan order, so the cells on disk are the first ones of the plan.
 */

const PRELOAD = join(ROOT, 'test/harness/fs-faults.mjs');
const tmp = () => tempDir('l2bench-faults-');

interface RunJson {
  complete: boolean;
  interrupted: boolean;
  cells: number;
  records: { workload: string; strategy: string; peak_footprint_bytes: number; detail: { cell: number } }[];
  missing: { reason: string; cell: number }[];
}
const readJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunJson;
const cellsOf = (records: { detail: { cell: number } }[]) => records.map((r) => r.detail.cell);
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Start `l2bench ARGS` with the file faults of fs-faults.mjs. */
function start(args: string[], faults: object = {}) {
  const child = spawn(process.execPath, ['--import', PRELOAD, BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', L2BENCH_DEBUG: '', L2BENCH_TEST_FS_FAULTS: JSON.stringify(faults) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  children.push(child);
  return { child, exited, stderr: () => stderr };
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Wait for a file (the preload's marker: the process is held in a write). */
async function until(file: string, child: ChildProcess): Promise<void> {
  while (!existsSync(file)) {
    if (child.exitCode !== null) throw new Error(`the run ended (exit ${child.exitCode}) before it got there`);
    await sleep(20);
  }
}

/** A small tmpfs of its own, or why the machine cannot give one (not root, no mount). */
function smallDisk(): { dir: string } | { skip: string } {
  if (process.getuid?.() !== 0) return { skip: 'not root: cannot mount a tmpfs' };
  const dir = tmp();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'ignore' });
  } catch (e) {
    return { skip: `mount -t tmpfs failed: ${(e as Error).message.split('\n')[0]}` };
  }
  afterAll(() => {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  });
  return { dir };
}

const disk = smallDisk();

describe.skipIf('skip' in disk)(`a full disk (a 2 MB tmpfs)${'skip' in disk ? ` (skipped: ${disk.skip})` : ''}`, () => {
  it('stops the run in one line, the lock let go: every cell it finished is in the spool, results.json says what is missing', async () => {
    const dir = join((disk as { dir: string }).dir, 'big');
    const plan = ['-s', 'slab-dma32', '-w', 'hold:tables=1..2000+1', '--no-throughput', '--jobs', '1'];
    const run = start(['run', ...plan, '-o', dir]);
    expect(await run.exited).toBe(1);
    const line = run.stderr();
    const told = new RegExp(
      `^l2bench: cannot write ${dir}/[^:]+: no space left on device \\(ENOSPC\\); (\\d+) of 2,000 cells are in ${dir}/\\.l2bench-records\\.spool; ${dir}/results\\.json holds (\\d+) of them \\(complete: false\\)(; 1 more cell could not be written at all)?\\n$`,
    ).exec(line);
    expect(told, line).not.toBeNull();
    const [spooled, saved] = [Number(told?.[1]), Number(told?.[2])];
    // Nothing half-written, no lock: the spool and the last save, each whole as far as its lines go.
    expect(readdirSync(dir).sort()).toEqual(['.l2bench-records.spool', 'results.csv', 'results.json']);
    const lines = readFileSync(join(dir, '.l2bench-records.spool'), 'utf8').split('\n');
    const spool = lines.slice(0, -1).map((l) => JSON.parse(l) as RunJson['records'][number]);
    expect(cellsOf(spool)).toEqual(upTo(spooled));
    const json = readJson(dir);
    expect(json).toMatchObject({ complete: false, cells: 2000 });
    expect(cellsOf(json.records)).toEqual(upTo(saved));
    expect(saved).toBeLessThanOrEqual(spooled);
    expect(json.records.length + json.missing.length).toBe(2000);
    // The same cells measured on a disk with room: the same figures.
    const roomy = join(tmp(), 'roomy');
    const whole = await l2bench([
      'run',
      '-s',
      'slab-dma32',
      '-w',
      `hold:tables=1..${spooled}+1`,
      '--no-throughput',
      '-o',
      roomy,
    ]);
    expect(whole.code).toBe(0);
    expect(readJson(roomy).records.map((r) => [r.workload, r.peak_footprint_bytes])).toEqual(
      spool.map((r) => [r.workload, r.peak_footprint_bytes]),
    );
    // The report reads what was saved, and says it is incomplete.
    const report = await l2bench(['report', dir, '--format', 'md', '--out', join(tmp(), 'report')]);
    expect(report.code).toBe(0);
  });
});

describe('an I/O error', () => {
  it('on the spool stops the run in one line; the cell it could not spool is in results.json with every other', async () => {
    const dir = join(tmp(), 'run');
    const args = ['run', '-s', 'full-page,slab-dma32', '-w', 'hold:tables=1..40+1', '--no-throughput', '--jobs', '1'];
    // The spool takes 10 records, then every write to it fails.
    const run = start([...args, '-o', dir], { fail: { match: 'records\\.spool$', code: 'EIO', after: 10 } });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toBe(
      `l2bench: cannot write ${dir}/.l2bench-records.spool: i/o error (EIO); the run stopped; kept 11 of 80 cells in ${dir}/results.csv, ${dir}/results.json\n`,
    );
    expect(readdirSync(dir).sort()).toEqual(['results.csv', 'results.json']);
    const json = readJson(dir);
    expect(json).toMatchObject({ complete: false, interrupted: true, cells: 80 });
    expect(cellsOf(json.records)).toEqual(upTo(11));
    expect(json.missing.map((m) => [m.reason, m.cell])).toEqual(
      upTo(80)
        .slice(11)
        .map((c) => ['not run', c]),
    );
  });
});

describe('a stop signal while the final files are written', () => {
  const args = (dir: string) => [
    'run',
    '-s',
    'full-page,slab-dma32',
    '-w',
    'hold:tables=1..3',
    '--no-throughput',
    '--format',
    'csv,json,md',
    '-o',
    dir,
  ];
  // Held in the rename of the last results.json (the complete one) while the signal comes.
  const pauseAtLastSave = (marker: string) => ({
    pause: { match: 'results\\.json\\.\\d+\\.tmp$', contains: '"complete": true', marker },
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('%s: the results are whole, the reports skipped, one line; exit %i', async (signal, code) => {
    const dir = join(tmp(), 'run');
    const marker = join(tmp(), 'paused');
    const run = start(args(dir), pauseAtLastSave(marker));
    await until(marker, run.child);
    run.child.kill(signal);
    rmSync(marker);
    expect(await run.exited).toBe(code);
    expect(run.stderr()).toBe(
      `l2bench: interrupted by ${signal} while writing the reports; every cell is in ${dir}/results.csv, ${dir}/results.json\n`,
    );
    expect(readdirSync(dir).sort()).toEqual(['results.csv', 'results.json']);
    expect(readJson(dir)).toMatchObject({ complete: true, cells: 6 });
  });

  it('a second signal then leaves at once, saying where every cell is', async () => {
    const dir = join(tmp(), 'run');
    const marker = join(tmp(), 'paused');
    const run = start(args(dir), pauseAtLastSave(marker));
    await until(marker, run.child);
    // Two signals of one kind sent at once may arrive as one: two kinds, then. Which one the process
    // sees first depends on the scheduler (both pending: the lower-numbered, SIGHUP; else SIGTERM),
    // so the first one seen names the stop and the exit status, and the second must end it at once.
    run.child.kill('SIGTERM');
    run.child.kill('SIGHUP');
    rmSync(marker);
    const code = await run.exited;
    const first = ({ 129: 'SIGHUP', 143: 'SIGTERM' } as Record<number, string>)[code ?? -1];
    expect(first, `exit status ${code}`).toBeDefined();
    expect(run.stderr()).toBe(
      `l2bench: interrupted by ${first} while writing the reports; kept 6 of 6 cells in ${dir}/results.csv, ${dir}/results.json\n`,
    );
    expect(readdirSync(dir).sort()).toEqual(['results.csv', 'results.json']);
  });
});

describe('SIGKILL', () => {
  it('during the first save leaves a folder that says so: a run killed before it saved anything, not 0 of 0 cells', async () => {
    const dir = join(tmp(), 'run');
    const marker = join(tmp(), 'paused');
    mkdirSync(dir);
    const run = start(['run', '-s', 'full-page', '-w', 'hold:tables=1..3', '--no-throughput', '-o', dir], {
      pause: { match: 'results\\.json\\.\\d+\\.tmp$', marker },
    });
    await until(marker, run.child);
    run.child.kill('SIGKILL');
    await run.exited;
    // No cell runs before the plan is saved: nothing computed was lost.
    const report = await l2bench(['report', dir]);
    expect([report.code, report.stderr]).toEqual([
      2,
      `l2bench: ${dir}: a run that was killed (or is still starting) before it saved results.json: no results to read\n`,
    ]);
  });
  it('during the final save leaves the last save, saying the run is not complete; every cell is in the spool; a rerun finishes it', async () => {
    const dir = join(tmp(), 'run');
    const marker = join(tmp(), 'paused');
    const args = ['run', '-s', 'full-page,slab-dma32', '-w', 'hold:tables=1..3', '--no-throughput', '-o', dir];
    const run = start(args, { pause: { match: 'results\\.json\\.\\d+\\.tmp$', contains: '"complete": true', marker } });
    await until(marker, run.child);
    run.child.kill('SIGKILL');
    await run.exited;
    // The complete results.json was whole but not yet in place: it stays a temporary file, and the
    // results.json in place is an earlier save, which says it is not complete.
    const files = readdirSync(dir).sort();
    expect(files.filter((f) => !/^results\.json\.\d+\.tmp$/.test(f))).toEqual([
      '.l2bench-records.spool',
      '.l2bench.lock',
      'results.csv',
      'results.json',
    ]);
    const json = readJson(dir);
    expect(json).toMatchObject({ complete: false, cells: 6 });
    expect(json.records.length + json.missing.length).toBe(6);
    // Nothing computed is lost: the spool holds all 6 cells, in the order the workers finished them.
    const spool = readFileSync(join(dir, '.l2bench-records.spool'), 'utf8').trimEnd().split('\n');
    const spooled = cellsOf(spool.map((l) => JSON.parse(l) as RunJson['records'][number]));
    expect(spooled.sort((a, b) => a - b)).toEqual(upTo(6));
    const reportDir = join(tmp(), 'report');
    const report = await l2bench(['report', dir, '--format', 'md', '--out', reportDir]);
    expect(report.code).toBe(0);
    expect(readFileSync(join(reportDir, 'report.md'), 'utf8')).toContain('> **Incomplete run: it did not finish');
    // The same plan run again replaces the killed run (its temporary file too) and finishes it.
    const again = await l2bench(args);
    expect(again.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['results.csv', 'results.json']);
    expect(readJson(dir)).toMatchObject({ complete: true, cells: 6 });
  });
});
