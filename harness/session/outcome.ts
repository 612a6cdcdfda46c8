import { exitCodeOf, type StopSignal } from '../../os/stop-signals.ts';
import { plural } from '../../results/number-text.ts';
import { FORMAT_FILES, type Format } from '../../results/output-formats.ts';
import type { MissingCell, RunResult } from '../../results/run-schema.ts';

/**
 * The formats saved while a run goes, in the order they are written: results.json last, so that
 * when it shows a cell, results.csv has it too (a kill between the two leaves the older pair).
 */
export const RESULT_FORMATS = ['csv', 'json'] as const;

/** Exit codes of a run beyond 0 (complete) and 2 (bad input); a stop signal's is 128 + its number. */
const EXIT_WRITE_FAILED = 1;
const EXIT_CELLS_FAILED = 3;

/** A format's file name. */
export const fileOf = (format: string): string => FORMAT_FILES[format as Format] ?? format;

/** A file that could not be written, and why. */
export interface WriteFailure {
  error: unknown;
  /** The file, when the error names it. */
  file: string | null;
}

/** How a run ended, as the session saw it. */
export interface Ending {
  dir: string;
  cells: number;
  result: RunResult;
  /** The failed cells: how many, and the first few. */
  failed: { count: number; first: MissingCell[] };
  stoppedBy: StopSignal | null;
  /** A stop signal came while the final files were written: the reports were skipped. */
  skippedReports: boolean;
  /** What was being written then: `the results` or `the reports`. */
  writing: string;
  writeFailure: WriteFailure | null;
  /** `N of M cells (K of T timed) in FILES`, where the result files were written. */
  kept: string;
  /** Where the cells are when the result files could not be written. */
  unwritable: string;
  /** The files written. */
  files: string;
  /** The terminal's text after the results (tables, the answer). */
  summary: string;
}

/** What a run session ends with: its exit code and what to tell the user. */
export interface SessionOutcome {
  dir: string;
  /** 0 complete, 1 a file could not be written, 3 cells failed, 128 + n stopped by signal n. */
  exitCode: number;
  /** Lines for stderr, in order (without the program's name); the last says how the run ended. */
  messages: string[];
  /** For stdout: the tables and the answer, and the files of a complete run. */
  output: string;
}

/** A write error in words: `no space left on device (ENOSPC)`. */
function describeWriteError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const text = (e?.message ?? String(error)).replace(/^[A-Z]+: /, '').replace(/, \w+( '.*')?$/, '');
  return e?.code ? `${text} (${e.code})` : text;
}

/** One failed cell, one line: `cell failed: STRATEGY on WORKLOAD (cpus=…, seed=…), module FILE: ERROR`. */
function describeFailure(m: MissingCell): string {
  const where = `${m.strategy} on ${m.workload} (cpus=${m.cpus}, seed=${m.seed})${m.module ? `, module ${m.module}` : ''}`;
  const step = m.step === 'throughput' ? ' while timing' : '';
  return m.reason === 'timeout'
    ? `cell timed out${step}: ${where}: ${m.error}`
    : `cell failed${step}: ${where}: ${m.error}`;
}

/** The exit code and the lines a run ends with. */
export function endingOf(end: Ending): SessionOutcome {
  const signal = end.stoppedBy ?? 'SIGINT';
  const out = (exitCode: number, last: string[], output = '') => ({
    dir: end.dir,
    exitCode,
    messages: [...failureLines(end), ...last],
    output: `${end.summary}${output}`,
  });
  if (end.writeFailure) {
    const { error, file } = end.writeFailure;
    const where = end.kept ? `the run stopped; kept ${end.kept}` : end.unwritable;
    return { ...out(EXIT_WRITE_FAILED, [`cannot write ${file ?? end.dir}: ${describeWriteError(error)}; ${where}`]) };
  }
  if (end.skippedReports && !end.result.interrupted) {
    return out(exitCodeOf(signal), [
      `interrupted by ${signal} while writing ${end.writing}; every cell is in ${end.files}`,
    ]);
  }
  if (end.result.interrupted) return out(exitCodeOf(signal), [`interrupted by ${signal}; kept ${end.kept}`]);
  if (end.failed.count > 0) {
    return out(EXIT_CELLS_FAILED, [
      `${end.failed.count} of ${plural(end.cells, 'cell')} failed; the others are in ${end.files}`,
    ]);
  }
  return out(0, [], `${plural(end.cells, 'cell')}; results in ${end.files}\n`);
}

/** The failed cells, each in one line, the first few. */
function failureLines(end: Ending): string[] {
  const lines = end.failed.first.map(describeFailure);
  const more = end.failed.count - end.failed.first.length;
  if (more > 0) lines.push(`and ${more} more failed cells (see ${end.dir}/results.json)`);
  return lines;
}
