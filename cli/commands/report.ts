import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError } from '../../core/errors.ts';
import { splitList } from '../../core/spec.ts';
import { loadCosts } from '../../results/costs.ts';
import { EXPORTERS } from '../../results/index.ts';
import { openRun } from '../../results/read-run.ts';
import { withCosts } from '../../results/run-source.ts';
import { prepareOutDir, writeResults } from '../../results/write.ts';

const REPORT_FORMATS = ['md', 'html'];

/**
 * `l2bench report results.json [--out DIR] [--format md,html]`: regenerate the report from a saved
 * run (or its folder). Without --out it goes beside the results file; an existing report there is
 * replaced atomically (the run itself is never touched).
 */
export function reportCommand(
  path: string,
  flags: { out?: string; format: string; objective?: 'peak' | 'mean'; costs?: string },
): Promise<string[]> {
  const formats = splitList(flags.format);
  const allowed = REPORT_FORMATS.filter((x) => EXPORTERS.some((e) => e.format === x));
  for (const f of formats) {
    if (!allowed.includes(f)) {
      throw new InputError(`--format ${flags.format}: '${f}' is not a report format (allowed: ${allowed.join(', ')})`);
    }
  }
  const read = openRun(path);
  // Every record's modelled cost again, from the counts it kept, with the table asked for.
  const run = flags.costs === undefined ? read : withCosts(read, loadCosts(flags.costs));
  const folder = statSync(path).isDirectory() ? path : dirname(path);
  const dir = flags.out === undefined ? folder : prepareOutDir(flags.out, new Date());
  return writeResults(dir, run, formats, { objective: flags.objective ?? 'peak' });
}
