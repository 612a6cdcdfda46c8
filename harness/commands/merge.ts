import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult } from '../../results/run.ts';
import { prepareOutDir } from '../../results/write.ts';
import { writeResults } from '../benchmark.ts';
import type { FullRecord } from '../record.ts';
import { splitList, UsageError } from '../spec.ts';
import { readRun } from './report.ts';

/** A run folder or its results.json. */
function resultsFile(path: string): string {
  return existsSync(path) && statSync(path).isDirectory() ? join(path, 'results.json') : path;
}

/**
 * Join the shards of one run (`l2bench run --shard i/n`) into the run they are parts of: every
 * shard of the same plan (same l2bench version and plan hash), each once, none missing; records in
 * plan order, exactly as a single run would have written them.
 */
export function mergeRuns(paths: readonly string[]): RunResult {
  if (paths.length === 0) throw new UsageError('merge: name the shard folders to join');
  const runs = paths.map((p) => ({ path: p, run: readRun(resultsFile(p)) }));
  const first = runs[0] as { path: string; run: RunResult };
  const plan = first.run.provenance.plan;
  if (!plan?.shard) throw new UsageError(`${first.path}: not a shard (it was not run with --shard)`);
  const seen = new Map<number, string>();
  for (const { path, run } of runs) {
    const p = run.provenance;
    if (!p.plan?.shard) throw new UsageError(`${path}: not a shard (it was not run with --shard)`);
    if (p.l2bench_version !== first.run.provenance.l2bench_version) {
      throw new UsageError(
        `${path}: l2bench ${p.l2bench_version}, but ${first.path} is ${first.run.provenance.l2bench_version}`,
      );
    }
    if (p.plan.sha256 !== plan.sha256 || p.plan.shard.count !== plan.shard.count) {
      throw new UsageError(
        `${path}: a shard of another run (different suite, options or shard count than ${first.path})`,
      );
    }
    const other = seen.get(p.plan.shard.index);
    if (other) throw new UsageError(`${path}: shard ${p.plan.shard.index}/${p.plan.shard.count} again (also ${other})`);
    seen.set(p.plan.shard.index, path);
  }
  const missing = Array.from({ length: plan.shard.count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length)
    throw new UsageError(`merge: shards ${missing.map((i) => `${i}/${plan.shard?.count}`).join(', ')} are missing`);
  const records: FullRecord[] = runs
    .flatMap(({ run }) => run.records)
    .sort((a, b) => (a.detail.cell ?? 0) - (b.detail.cell ?? 0));
  return {
    schema: 'l2bench-run/1',
    provenance: { ...first.run.provenance, plan: { cells: plan.cells, sha256: plan.sha256, shard: null } },
    records,
    interrupted: runs.some(({ run }) => run.interrupted) || records.length < plan.cells,
    cells: plan.cells,
  };
}

/** `l2bench merge DIR... [--out DIR] [--format …]`: returns the files written. */
export function mergeCommand(paths: readonly string[], flags: { out?: string; format: string }): string[] {
  const run = mergeRuns(paths);
  const dir = prepareOutDir(flags.out, new Date());
  return writeResults(dir, run, splitList(flags.format));
}
