import { InputError } from '../../core/errors.ts';
import {
  COMPARE_FORMATS,
  type CompareFormat,
  formatChange,
  formatComparison,
} from '../../results/compare/comparison-text.ts';
import { compareRuns, describeKey, regressions } from '../../results/compare/diff.ts';
import { openRun } from '../../results/read-run.ts';

export interface CompareFlags {
  all?: boolean;
  /** Percent: exit 1 when a metric worsens by more. */
  failOnRegression?: string;
  format?: string;
  /** Percent: throughput changes of at most this are noise (default 2). */
  noise?: string;
}

/** A percentage given on the command line: a non-negative number, with or without `%`. */
function parsePct(text: string, flag: string): number {
  const value = Number(text.trim().replace(/%$/, ''));
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new InputError(`${flag} ${text}: not a non-negative percentage`);
  }
  return value;
}

/**
 * `l2bench compare BASE NEW`: match two runs' cells and report what changed. The exit code is 1
 * when --fail-on-regression is given and some metric worsened by more than it; 0 otherwise.
 */
export function compareCommand(base: string, next: string, flags: CompareFlags): { output: string; exitCode: number } {
  const format = (flags.format ?? 'text') as CompareFormat;
  if (!COMPARE_FORMATS.includes(format)) {
    throw new InputError(`--format ${flags.format}: allowed: ${COMPARE_FORMATS.join(', ')}`);
  }
  const noisePct = flags.noise === undefined ? 2 : parsePct(flags.noise, '--noise');
  const failPct =
    flags.failOnRegression === undefined ? undefined : parsePct(flags.failOnRegression, '--fail-on-regression');
  const baseRun = openRun(base);
  const nextRun = openRun(next);
  const cmp = compareRuns(baseRun, nextRun, { noisePct, all: Boolean(flags.all) });
  const output = formatComparison(cmp, {
    format,
    all: Boolean(flags.all),
    sources: { base: { file: base, run: baseRun }, next: { file: next, run: nextRun } },
  });
  if (failPct === undefined) return { output, exitCode: 0 };
  const worse = regressions(cmp, failPct);
  // In Markdown the last line is a paragraph of its own.
  const sep = format === 'md' ? '\n' : '';
  if (worse.length === 0) return { output: `${output}${sep}no regression beyond ${failPct}%\n`, exitCode: 0 };
  const list = worse.map((r) => `${describeKey(r.key)} ${r.metric} ${formatChange(r.changePct)}`).join('; ');
  return { output: `${output}${sep}regressions beyond ${failPct}% (${worse.length}): ${list}\n`, exitCode: 1 };
}
