import { availableParallelism, constants } from 'node:os';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { cellId } from '../../core/cell-key.ts';
import { InputError } from '../../core/errors.ts';
import type { CellRecord } from '../../core/record.ts';
import { splitList } from '../../core/spec.ts';
import { type BenchmarkOptions, emptyResult, planBenchmark, runBenchmark } from '../../harness/benchmark.ts';
import { EXPORTERS } from '../../results/index.ts';
import { plural } from '../../results/number-text.ts';
import { SPOOL_FILE, SpooledRecords } from '../../results/record-store.ts';
import { unfinishedRunOf } from '../../results/rerun.ts';
import type { MissingCell } from '../../results/run-schema.ts';
import { claimOutDir, writeResults, writeResultsNow } from '../../results/write.ts';
import { parseIntList, parseShard } from '../flag-values.ts';
import { renderTables } from '../table.ts';
import { answerLines } from '../terminal-answer.ts';

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

/** Exit codes of `l2bench run` beyond 0 (complete), 1 and 2 (cli/failure.ts); a stop signal's is 128 + its number. */
const EXIT_CELLS_FAILED = 3;

/**
 * The signals that stop a run as Ctrl-C does, keeping every finished cell: SIGTERM is what Slurm
 * (scancel, preemption, a time limit), Kubernetes and AWS Batch send before SIGKILL; SIGHUP a
 * closed terminal.
 */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];
const exitCodeOf = (signal: StopSignal) => 128 + constants.signals[signal];

/** Failed cells named on stderr, at most. */
const FAILURES_SHOWN = 10;
/** Runs of more cells print no tables: the terminal is no place for them, nor memory for the records. */
const TABLE_CELLS = 20_000;

/** `--cell-timeout SECONDS`: a positive number. */
function parseSeconds(text: string, flag: string): number {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new InputError(`${flag} ${text}: not a positive number of seconds`);
  }
  return value;
}

function describeFailure(m: MissingCell): string {
  const where = `${m.strategy} on ${m.workload} (cpus=${m.cpus}, seed=${m.seed})${m.module ? `, module ${m.module}` : ''}`;
  const step = m.step === 'throughput' ? ' while timing' : '';
  return m.reason === 'timeout'
    ? `cell timed out${step}: ${where}: ${m.error}`
    : `cell failed${step}: ${where}: ${m.error}`;
}

/** `l2bench run`: returns the exit code. */
export async function runCommand(flags: RunFlags): Promise<number> {
  if (flags.suite && flags.workload?.length) throw new InputError('--suite and --workload cannot be used together');
  if (!flags.throughput && flags.time)
    throw new InputError('--time sets the throughput budget: it cannot go with --no-throughput');
  // results.json is always written: it is what says whether the run is complete.
  const formats = [...new Set([...splitList(flags.format), 'json'])];
  const report = { objective: flags.objective ?? 'peak' };
  for (const f of formats) {
    if (!EXPORTERS.some((e) => e.format === f)) {
      throw new InputError(
        `--format ${flags.format}: unknown format '${f}' (allowed: ${EXPORTERS.map((e) => e.format).join(', ')})`,
      );
    }
  }
  const shard = flags.shard ? parseShard(flags.shard) : undefined;
  if (shard?.source) process.stderr.write(`l2bench: shard ${shard.index}/${shard.count} (${shard.source})\n`);
  const options: BenchmarkOptions = {
    ...(flags.suite ? { suite: flags.suite } : {}),
    ...(flags.strategy ? { strategies: splitList(flags.strategy) } : {}),
    ...(flags.workload?.length ? { workloads: flags.workload } : {}),
    ...(flags.cpus ? { cpus: parseIntList(flags.cpus, '--cpus', 1, 4096) } : {}),
    ...(flags.kernel !== undefined ? { kernels: splitList(flags.kernel) } : {}),
    ...(flags.platform !== undefined ? { platforms: splitList(flags.platform) } : {}),
    ...(flags.seed ? { seeds: parseIntList(flags.seed, '--seed', 0, 2 ** 31 - 1) } : {}),
    ...(flags.machine ? { machine: flags.machine } : {}),
    ...(flags.check ? { check: true } : {}),
    // Exact metrics on every core by default: records come back in plan order, identical to a serial run.
    jobs: flags.jobs ? (parseIntList(flags.jobs, '--jobs', 1, 256)[0] as number) : availableParallelism(),
    ...(shard ? { shard: { index: shard.index, count: shard.count } } : {}),
    ...(flags.costs ? { costs: flags.costs } : {}),
    ...(flags.cellTimeout ? { cellTimeoutMs: parseSeconds(flags.cellTimeout, '--cell-timeout') * 1000 } : {}),
    // --no-throughput: none; --time: that budget; neither: the suite's, or the default.
    ...(!flags.throughput
      ? { throughput: false }
      : flags.time
        ? { throughput: { timeMs: parseIntList(flags.time, '--time', 1, 600_000)[0] as number } }
        : {}),
    ...(flags.rounds ? { rounds: parseIntList(flags.rounds, '--rounds', 1, 1000)[0] as number } : {}),
  };
  if (!flags.throughput && flags.rounds)
    throw new InputError('--rounds sets the rounds of timing: it cannot go with --no-throughput');
  // Validate everything (and learn the suite's time budget) before making the output folder.
  const plan = await planBenchmark(options);
  for (const note of plan.notices) process.stderr.write(`l2bench: note: ${note}\n`);
  const cellCount = plan.cells.length;
  const timedCells = plan.timeMs === null ? 0 : plan.cells.filter((c) => c.timed).length;
  // A task run again by its batch engine (requeued, resubmitted) finds its killed attempt's folder:
  // an unfinished run of this very plan and shard there is replaced, and the run starts clean.
  const { dir, release, replaced } = claimOutDir(flags.out, new Date(), 'runs', (folder) =>
    unfinishedRunOf(folder, { sha256: plan.plan.sha256, shard: options.shard ?? null, inputFiles: plan.inputFiles }),
  );
  if (replaced) process.stderr.write(`l2bench: --out ${dir}: ${replaced}; starting clean\n`);
  const result = emptyResult();
  // Records wait on disk, not in memory: a run of 10^5 cells keeps its memory flat.
  const spool = new SpooledRecords(join(dir, SPOOL_FILE), cellCount);
  const records = { [Symbol.iterator]: () => spool.values() };
  // While the run goes only the results are saved (the reports are rendered once, at the end, after
  // them: a report that failed to render would not cost the results).
  const saved: string[] = formats.filter((f) => f === 'csv' || f === 'json');
  const finalFormats = [...saved, ...formats.filter((f) => !saved.includes(f))];
  let changed = false;
  let saveError: unknown = null;
  let nextSave = 0;
  let tables = '';
  /** Ctrl-C came while the run's files were written: skip what is left but the results. */
  let skipRest = false;
  /** The reports written at the end. */
  const written: string[] = [];
  const kept = { cells: 0, timed: 0 };
  const save = (which: readonly string[]) => {
    const start = Date.now();
    writeResultsNow(dir, result, which, report, records);
    changed = false;
    // A save of a large run takes long: save again no sooner than ten times that later, so saving
    // costs at most a tenth of the run.
    nextSave = Date.now() + 10 * (Date.now() - start);
  };
  const abort = new AbortController();
  /** The first stop signal received, which the run's last line names. */
  let stoppedBy: StopSignal | null = null;
  const savedFiles = () => saved.map((f) => `${dir}/${EXPORTERS.find((e) => e.format === f)?.file}`).join(', ');
  const onSignal = (signal: StopSignal) => {
    stoppedBy ??= signal;
    if (!abort.signal.aborted) return abort.abort();
    // A second signal: a cell running in this thread cannot be stopped; save what is done and go.
    result.interrupted = true;
    try {
      save(saved);
      process.stderr.write(
        `l2bench: interrupted by ${stoppedBy}; kept ${spool.size} of ${plural(cellCount, 'cell')} in ${savedFiles()}\n`,
      );
    } finally {
      spool.close();
      release();
      process.exit(exitCodeOf(stoppedBy));
    }
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        { stream: process.stderr, format: ' {bar} {value}/{total} {task}', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(cellCount, 0, { task: '' });
  // Keep finished cells on disk as the run goes (marked incomplete), so even a hard kill loses little.
  const saver = setInterval(() => {
    if (!changed || Date.now() < nextSave) return;
    try {
      save(saved);
    } catch (e) {
      // A folder that can no longer be written: stop the run and report it below.
      saveError = e;
      abort.abort();
    }
  }, 2000);
  try {
    save(saved);
    await runBenchmark(
      {
        ...options,
        throughput: plan.timeMs === null ? false : { timeMs: plan.timeMs },
        signal: abort.signal,
        result,
        records: spool,
        onProgress(done, total, record) {
          changed = true;
          bar?.setTotal(total);
          bar?.update(done, { task: `${record.strategy} · ${record.workload}` });
        },
        onFailure() {
          changed = true;
        },
      },
      plan,
    );
  } finally {
    clearInterval(saver);
    bar?.stop();
    for (const signal of STOP_SIGNALS) process.removeListener(signal, onSignal);
    // A stop signal while the run's files are written: the results (csv, json) are finished and the
    // reports, tables and answer skipped; a second one leaves at once. Signals are handled between
    // writes, so neither leaves a file half-written.
    const onFinalSignal = (signal: StopSignal) => {
      stoppedBy ??= signal;
      if (!skipRest) {
        skipRest = true;
        return;
      }
      process.stderr.write(
        `l2bench: interrupted by ${stoppedBy} while writing the reports; every cell is in ${savedFiles()}\n`,
      );
      spool.close();
      release();
      process.exit(exitCodeOf(stoppedBy));
    };
    for (const signal of STOP_SIGNALS) process.on(signal, onFinalSignal);
    try {
      save(saved);
      // The reports and the answer read every record: read them from the spool once, for all.
      const reports = finalFormats.filter((f) => !saved.includes(f));
      const held = reports.length ? { ...result, records: [...spool.values()] } : null;
      for (const format of reports) {
        if (skipRest || !held) break;
        await writeResults(dir, held, [format], report);
        written.push(format);
      }
      kept.cells = spool.size;
      if (result.interrupted) kept.timed = fullyTimed(spool.values(), result.missing);
      // Read back before the spool goes; printed only if the run ends without an error.
      tables = skipRest
        ? ''
        : spool.size <= TABLE_CELLS
          ? renderTables(
              // Without their series and samples: the tables read only the metrics.
              Array.from(spool.values(), ({ detail: _, ...metrics }) => metrics),
              Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
            )
          : `(${plural(spool.size, 'cell')}: too many for tables here; every one is in the results)\n`;
      // The answer, when the report was written and the records fit in memory to rank.
      const reportFile = formats.includes('md') ? 'report.md' : formats.includes('html') ? 'report.html' : null;
      if (reportFile && held && !skipRest && spool.size > 0 && spool.size <= TABLE_CELLS) {
        tables += `\n${answerLines(held, report, `${dir}/${reportFile}`)}`;
      }
    } finally {
      for (const signal of STOP_SIGNALS) process.removeListener(signal, onFinalSignal);
      spool.close();
      release();
    }
  }
  if (saveError) throw saveError;
  process.stdout.write(tables);
  // The files written: all asked for, unless a Ctrl-C cut the reports short.
  const files = formats
    .filter((f) => saved.includes(f) || written.includes(f))
    .map((f) => `${dir}/${EXPORTERS.find((e) => e.format === f)?.file}`)
    .join(', ');
  const signal = stoppedBy ?? 'SIGINT';
  if (skipRest && !result.interrupted) {
    process.stderr.write(`l2bench: interrupted by ${signal} while writing the reports; every cell is in ${files}\n`);
    return exitCodeOf(signal);
  }
  const failed = result.missing.filter((m) => m.reason === 'failed' || m.reason === 'timeout');
  for (const m of failed.slice(0, FAILURES_SHOWN)) process.stderr.write(`l2bench: ${describeFailure(m)}\n`);
  if (failed.length > FAILURES_SHOWN) {
    process.stderr.write(
      `l2bench: and ${failed.length - FAILURES_SHOWN} more failed cells (see ${dir}/results.json)\n`,
    );
  }
  if (result.interrupted) {
    const timing = timedCells ? ` (${kept.timed} of ${timedCells} timed)` : '';
    process.stderr.write(
      `l2bench: interrupted by ${signal}; kept ${kept.cells} of ${plural(cellCount, 'cell')}${timing} in ${files}\n`,
    );
    return exitCodeOf(signal);
  }
  if (failed.length > 0) {
    process.stderr.write(
      `l2bench: ${failed.length} of ${plural(cellCount, 'cell')} failed; the others are in ${files}\n`,
    );
    return EXIT_CELLS_FAILED;
  }
  process.stdout.write(`${plural(cellCount, 'cell')}; results in ${files}\n`);
  return 0;
}

/** Records timed in every round: timed at all, and not among the cells missing rounds. */
function fullyTimed(records: Iterable<CellRecord>, missing: readonly MissingCell[]): number {
  const notTimed = new Set(missing.filter((m) => m.reason === 'not timed').map(cellId));
  let timed = 0;
  for (const r of records) if (r.ops_per_sec !== null && !notTimed.has(cellId(r))) timed++;
  return timed;
}
