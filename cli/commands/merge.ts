import { splitList } from '../../core/spec.ts';
import { mergeRuns } from '../../results/merge.ts';
import { readRun } from '../../results/read-run.ts';
import { prepareOutDir, writeResults } from '../../results/write.ts';

/** `l2bench merge DIR... [--out DIR] [--format …]`: join the shards of a run; resolves to the files written. */
export function mergeCommand(paths: readonly string[], flags: { out?: string; format: string }): Promise<string[]> {
  const run = mergeRuns(paths.map((path) => ({ path, run: readRun(path) })));
  const dir = prepareOutDir(flags.out, new Date());
  return writeResults(dir, run, splitList(flags.format));
}
