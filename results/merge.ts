import type { FullRecord } from '../core/record.ts';
import { ResultsError } from './errors.ts';
import { RUN_SCHEMA, type RunResult } from './run-schema.ts';

/** What an incomplete shard lacks, in a few words: its cells, and whether it was stopped, failed or never finished. */
function lacking(run: RunResult): string {
  const failed = run.missing.filter((m) => m.reason === 'failed' || m.reason === 'timeout').length;
  const notTimed = run.missing.filter((m) => m.reason === 'not timed').length;
  const why = run.interrupted
    ? 'interrupted'
    : failed
      ? `${failed} failed`
      : notTimed === run.missing.length && run.records.length === run.cells
        ? `${notTimed} not fully timed`
        : 'never finished (killed, or still running)';
  return `${run.records.length} of ${run.cells} cells, ${why}`;
}

/** The shards that are not complete, each named with what it lacks: `DIR (shard 3/3: 2 of 4 cells, interrupted)`. */
export function incompleteShards(shards: readonly { path: string; run: RunResult }[]): string[] {
  return shards
    .filter(({ run }) => !run.complete)
    .map(({ path, run }) => {
      const shard = run.provenance.plan?.shard;
      return `${path} (shard ${shard?.index}/${shard?.count}: ${lacking(run)})`;
    });
}

/**
 * Join the shards of one run (`l2bench run --shard i/n`) into the run they are parts of: every
 * shard of the same plan (same l2bench version and plan hash), each once, none missing; records in
 * plan order, exactly as a single run would have written them. `path` names each shard in errors.
 * A shard that is not complete (stopped, killed, with failed cells) is refused, naming it, unless
 * `partial`: the run is then joined as it is, and marked incomplete.
 */
export function mergeRuns(
  shards: readonly { path: string; run: RunResult }[],
  options: { partial?: boolean } = {},
): RunResult {
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
  const incomplete = incompleteShards(shards);
  if (incomplete.length && !options.partial) {
    const which =
      incomplete.length === 1
        ? `${incomplete[0]} is incomplete; rerun it`
        : `${incomplete.length} shards are incomplete: ${incomplete.join(', ')}; rerun them`;
    throw new ResultsError(`merge: ${which}, or give --partial to merge what there is`);
  }
  const records: FullRecord[] = shards
    .flatMap(({ run }) => run.records)
    .sort((a, b) => (a.detail.cell ?? 0) - (b.detail.cell ?? 0));
  return {
    schema: RUN_SCHEMA,
    provenance: { ...first.run.provenance, plan: { cells: plan.cells, sha256: plan.sha256, shard: null } },
    records,
    // Stopped by a signal: a shard was. Failed cells or a killed shard are not an interruption.
    interrupted: shards.some(({ run }) => run.interrupted),
    complete: shards.every(({ run }) => run.complete) && records.length === plan.cells,
    cells: plan.cells,
    missing: shards.flatMap(({ run }) => run.missing),
  };
}
