import type { FullRecord } from '../core/record.ts';
import { ResultsError } from './errors.ts';
import { RUN_SCHEMA, type RunResult } from './run-schema.ts';

/**
 * Join the shards of one run (`l2bench run --shard i/n`) into the run they are parts of: every
 * shard of the same plan (same l2bench version and plan hash), each once, none missing; records in
 * plan order, exactly as a single run would have written them. `path` names each shard in errors.
 */
export function mergeRuns(shards: readonly { path: string; run: RunResult }[]): RunResult {
  const first = shards[0];
  if (!first) throw new ResultsError('merge: no shards to join');
  const plan = first.run.provenance.plan;
  if (!plan?.shard) throw new ResultsError(`${first.path}: not a shard (it was not run with --shard)`);
  const seen = new Map<number, string>();
  for (const { path, run } of shards) {
    const p = run.provenance;
    if (!p.plan?.shard) throw new ResultsError(`${path}: not a shard (it was not run with --shard)`);
    if (p.l2bench_version !== first.run.provenance.l2bench_version) {
      throw new ResultsError(
        `${path}: l2bench ${p.l2bench_version}, but ${first.path} is ${first.run.provenance.l2bench_version}`,
      );
    }
    if (p.plan.sha256 !== plan.sha256 || p.plan.shard.count !== plan.shard.count) {
      throw new ResultsError(
        `${path}: a shard of another run (different suite, options or shard count than ${first.path})`,
      );
    }
    const other = seen.get(p.plan.shard.index);
    if (other)
      throw new ResultsError(`${path}: shard ${p.plan.shard.index}/${p.plan.shard.count} again (also ${other})`);
    seen.set(p.plan.shard.index, path);
  }
  const missing = Array.from({ length: plan.shard.count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length)
    throw new ResultsError(`merge: shards ${missing.map((i) => `${i}/${plan.shard?.count}`).join(', ')} are missing`);
  const records: FullRecord[] = shards
    .flatMap(({ run }) => run.records)
    .sort((a, b) => (a.detail.cell ?? 0) - (b.detail.cell ?? 0));
  return {
    schema: RUN_SCHEMA,
    provenance: { ...first.run.provenance, plan: { cells: plan.cells, sha256: plan.sha256, shard: null } },
    records,
    interrupted: shards.some(({ run }) => run.interrupted) || records.length < plan.cells,
    complete: shards.every(({ run }) => run.complete) && records.length === plan.cells,
    cells: plan.cells,
    missing: shards.flatMap(({ run }) => run.missing),
  };
}
