import { splitList } from '../../core/spec.ts';
import { incompleteShards, mergeRuns } from '../../results/merge.ts';
import { openRun } from '../../results/read-run.ts';
import { prepareOutDir, writeResults } from '../../results/write.ts';

/**
 * `l2bench merge DIR... [--out DIR] [--format …] [--partial]`: join the shards of a run; resolves to
 * the files written. An incomplete shard is refused unless --partial, which says which it merged.
 */
export function mergeCommand(
  paths: readonly string[],
  flags: { out?: string; format: string; partial?: boolean },
): Promise<string[]> {
  const shards = paths.map((path) => ({ path, run: openRun(path) }));
  const run = mergeRuns(shards, { partial: flags.partial ?? false });
  const incomplete = incompleteShards(shards);
  if (incomplete.length) {
    process.stderr.write(
      `l2bench: merge: incomplete shards joined as they are (the result says complete: false): ${incomplete.join(', ')}\n`,
    );
  }
  const dir = prepareOutDir(flags.out, new Date());
  return writeResults(dir, run, splitList(flags.format));
}
