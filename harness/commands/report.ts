import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { EXPORTERS } from '../../results/index.ts';
import type { RunResult } from '../../results/run.ts';
import { prepareOutDir } from '../../results/write.ts';
import { writeResults } from '../benchmark.ts';
import { splitList, UsageError } from '../spec.ts';

/** Read a results.json, refusing anything else with one line that names the file. */
export function readRun(file: string): RunResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let run: RunResult;
  try {
    run = JSON.parse(text) as RunResult;
  } catch (e) {
    throw new UsageError(`${file}: not JSON (${(e as Error).message})`);
  }
  if (run?.schema !== 'l2bench-run/1' || !Array.isArray(run.records)) {
    throw new UsageError(`${file}: not an l2bench results.json (schema l2bench-run/1)`);
  }
  return run;
}

const REPORT_FORMATS = ['md', 'html'];

/**
 * `l2bench report results.json [--out DIR] [--format md,html]`: regenerate the report from a saved
 * run. Without --out it goes beside the results file; an existing report there is replaced
 * atomically (the run itself is never touched).
 */
export function reportCommand(file: string, flags: { out?: string; format: string }): string[] {
  const formats = splitList(flags.format);
  for (const f of formats) {
    if (!REPORT_FORMATS.includes(f) || !EXPORTERS.some((e) => e.format === f)) {
      throw new UsageError(
        `--format ${flags.format}: '${f}' is not a report format (allowed: ${REPORT_FORMATS.filter((x) => EXPORTERS.some((e) => e.format === x)).join(', ')})`,
      );
    }
  }
  const run = readRun(file);
  const dir = flags.out === undefined ? dirname(file) : prepareOutDir(flags.out, new Date());
  return writeResults(dir, run, formats);
}
