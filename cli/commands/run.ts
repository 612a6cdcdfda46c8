import { availableParallelism } from 'node:os';
import { InputError } from '../../core/errors.ts';
import { splitList } from '../../core/spec.ts';
import { type BenchmarkOptions, planCommandRun } from '../../harness/benchmark.ts';
import { LIMITS } from '../../harness/options.ts';
import type { SummaryView } from '../../harness/session/run-session.ts';
import { dropSpare } from '../../harness/spare-worker.ts';
import { plural } from '../../results/number-text.ts';
import { FORMATS } from '../../results/output-formats.ts';
import type { ReportOptions } from '../../results/run-schema.ts';
import { parseIntList, parseShard } from '../flag-values.ts';

export interface RunFlags {
  suite?: string;
  strategy?: string;
  workload?: string[];
  cpus?: string;
  kernel?: string;
  platform?: string;
  seed?: string;
  machine?: string;
  check?: boolean;
  throughput: boolean;
  time?: string;
  format: string;
  out?: string;
  jobs?: string;
  shard?: string;
  rounds?: string;
  cellTimeout?: string;
  objective?: 'peak' | 'mean';
  costs?: string;
}

/** Runs of more cells print no tables: the terminal is no place for them, nor memory for the records. */
const TABLE_CELLS = 20_000;

/** `--cell-timeout SECONDS`: a positive number, at most the timer's limit (LIMITS.cellTimeoutMs). */
function parseSeconds(text: string, flag: string): number {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new InputError(`${flag} ${text}: not a positive number of seconds`);
  }
  const max = LIMITS.cellTimeoutMs.max / 1000;
  if (value * 1000 < LIMITS.cellTimeoutMs.min || value * 1000 > LIMITS.cellTimeoutMs.max) {
    throw new InputError(
      `${flag} ${text}: out of range (allowed ${LIMITS.cellTimeoutMs.min / 1000} to ${max} seconds, the timer's limit)`,
    );
  }
  return value;
}

/** A flag's whole numbers in the API's range for that option. */
const ints = (text: string, flag: string, range: { min: number; max: number }) =>
  parseIntList(text, flag, range.min, range.max);

/** The output formats asked for, each known. */
function formatsOf(flags: RunFlags): string[] {
  const formats = splitList(flags.format);
  for (const f of formats) {
    if (!(FORMATS as readonly string[]).includes(f)) {
      throw new InputError(`--format ${flags.format}: unknown format '${f}' (allowed: ${FORMATS.join(', ')})`);
    }
  }
  return formats;
}

/**
 * The API's options from the flags, each checked here: the plan takes them without the API's schema
 * (planCommandRun), so every value this returns is one the schema takes (a test holds it to that).
 */
export function optionsOf(flags: RunFlags): BenchmarkOptions {
  if (flags.suite && flags.workload?.length) throw new InputError('--suite and --workload cannot be used together');
  if (flags.workload?.some((w) => w === ''))
    throw new InputError('--workload "": an empty spec (expected NAME[:key=value,…])');
  if (!flags.throughput && flags.time)
    throw new InputError('--time sets the throughput budget: it cannot go with --no-throughput');
  if (!flags.throughput && flags.rounds)
    throw new InputError('--rounds sets the rounds of timing: it cannot go with --no-throughput');
  const shard = flags.shard ? parseShard(flags.shard) : undefined;
  if (shard?.source) process.stderr.write(`l2bench: shard ${shard.index}/${shard.count} (${shard.source})\n`);
  return {
    ...(flags.suite ? { suite: flags.suite } : {}),
    ...(flags.strategy ? { strategies: splitList(flags.strategy) } : {}),
    ...(flags.workload?.length ? { workloads: flags.workload } : {}),
    ...(flags.cpus ? { cpus: ints(flags.cpus, '--cpus', LIMITS.cpus) } : {}),
    ...(flags.kernel !== undefined ? { kernels: splitList(flags.kernel) } : {}),
    ...(flags.platform !== undefined ? { platforms: splitList(flags.platform) } : {}),
    ...(flags.seed ? { seeds: ints(flags.seed, '--seed', LIMITS.seeds) } : {}),
    ...(flags.machine ? { machine: flags.machine } : {}),
    ...(flags.check !== undefined ? { check: flags.check } : {}),
    // Exact metrics on every core by default: records come back in plan order, identical to a serial run.
    jobs: flags.jobs
      ? (ints(flags.jobs, '--jobs', LIMITS.jobs)[0] as number)
      : Math.min(availableParallelism(), LIMITS.jobs.max),
    ...(shard ? { shard: { index: shard.index, count: shard.count } } : {}),
    ...(flags.costs ? { costs: flags.costs } : {}),
    ...(flags.cellTimeout ? { cellTimeoutMs: parseSeconds(flags.cellTimeout, '--cell-timeout') * 1000 } : {}),
    // --no-throughput: none; --time: that budget; neither: the suite's, or the default.
    ...(!flags.throughput
      ? { throughput: false }
      : flags.time
        ? { throughput: { timeMs: ints(flags.time, '--time', LIMITS.timeMs)[0] as number } }
        : {}),
    ...(flags.rounds ? { rounds: ints(flags.rounds, '--rounds', LIMITS.rounds)[0] as number } : {}),
  };
}

/** The report's answer for the terminal (results/report's analysis, loaded when a report is written). */
type AnswerLines = typeof import('../terminal-answer.ts').answerLines;

/** The terminal's tables (cli/table.ts, being loaded), and the report's answer when a report was written. */
function summarize(
  formats: readonly string[],
  report: ReportOptions,
  answerLines: AnswerLines | null,
  tables: Promise<typeof import('../table.ts')>,
  color: boolean,
) {
  return async ({ dir, records, size, run }: SummaryView) => {
    if (size > TABLE_CELLS) return `(${plural(size, 'cell')}: too many for tables here; every one is in the results)\n`;
    const { renderTables } = await tables;
    // Without their series and samples: the tables read only the metrics.
    const rows = Array.from(records(), ({ detail: _, ...metrics }) => metrics);
    let text = renderTables(rows, color);
    const reportFile = formats.includes('md') ? 'report.md' : formats.includes('html') ? 'report.html' : null;
    if (reportFile && run && size > 0 && answerLines) text += `\n${answerLines(run, report, `${dir}/${reportFile}`)}`;
    return text;
  };
}

/** `l2bench run`: returns the exit code. */
export async function runCommand(flags: RunFlags): Promise<number> {
  const formats = formatsOf(flags);
  const options = optionsOf(flags);
  const report = { objective: flags.objective ?? 'peak' } as const;
  // Validate everything (and learn the suite's time budget) before making the output folder. The
  // first cell is with the waiting worker by then: it replays while this thread loads the session's
  // code (the folder's lock, the result files' writers) and claims the folder.
  const plan = await planCommandRun(options);
  for (const note of plan.notices) process.stderr.write(`l2bench: note: ${note}\n`);
  const { runSession } = await import('../../harness/session/run-session.ts');
  // The tables' code (cli-table3) loads, and is compiled by a table drawn and thrown away, while the
  // cells run: the main thread waits for them then.
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const tables = import('../table.ts').then((t) => {
    if (plan.cells.length <= TABLE_CELLS) t.warmTables(color);
    return t;
  });
  const answerLines = formats.some((f) => f === 'md' || f === 'html')
    ? (await import('../terminal-answer.ts')).answerLines
    : null;
  // The progress bar's library only where a bar is drawn.
  const cliProgress = process.stderr.isTTY ? (await import('cli-progress')).default : null;
  const bar = cliProgress
    ? new cliProgress.SingleBar(
        { stream: process.stderr, format: ' {bar} {value}/{total} {task}', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(plan.cells.length, 0, { task: '' });
  const outcome = await runSession(options, plan, {
    ...(flags.out !== undefined ? { out: flags.out } : {}),
    formats,
    report,
    onProgress(done, total, record) {
      bar?.setTotal(total);
      bar?.update(done, { task: `${record.strategy} · ${record.workload}` });
    },
    summarize: summarize(formats, report, answerLines, tables, color),
    onReplaced: (dir, what) => process.stderr.write(`l2bench: --out ${dir}: ${what}; starting clean\n`),
    tell: (line) => {
      bar?.stop();
      process.stderr.write(`l2bench: ${line}\n`);
    },
  })
    .catch((e: unknown) => {
      dropSpare(); // a run that could not start (its folder refused) leaves no worker replaying for it
      throw e;
    })
    .finally(() => bar?.stop());
  process.stdout.write(outcome.output);
  for (const line of outcome.messages) process.stderr.write(`l2bench: ${line}\n`);
  return outcome.exitCode;
}
