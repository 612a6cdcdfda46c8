import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { FullRecord } from '../../core/record.ts';
import { exitCodeOf, onStopSignals, type StopSignal } from '../../os/stop-signals.ts';
import { plural } from '../../results/number-text.ts';
import { SPOOL_FILE, SpooledRecords } from '../../results/record-store.ts';
import type { MissingCell, ReportOptions, RunSource } from '../../results/run-schema.ts';
import { headerOf, NO_MISSING } from '../../results/run-source.ts';
import { writeResults, writeResultsNow } from '../../results/write.ts';
import { type BenchmarkOptions, type BenchmarkPlan, emptyResult, runPlan } from '../benchmark.ts';
import type { LiveRun } from '../live-run.ts';
import { Autosave } from './autosave.ts';
import { GuardedSpool } from './guarded-spool.ts';
import { claimOutDir } from './out-dir.ts';
import { type Ending, endingOf, fileOf, RESULT_FORMATS, type SessionOutcome, type WriteFailure } from './outcome.ts';
import { unfinishedRunOf } from './rerun.ts';

/** What the terminal's summary reads: the run's records, and the run the reports were made from (when they were). */
export interface SummaryView {
  dir: string;
  records: () => Iterable<FullRecord>;
  size: number;
  /** The run the reports were made from, when they were (the terminal's answer reads their analysis). */
  run: RunSource | null;
}

export interface SessionOptions {
  /** The output folder (must be empty; default: a new runs/<timestamp>/). */
  out?: string;
  /** Output formats; results.json is always written (it says whether the run is complete). */
  formats: readonly string[];
  report?: ReportOptions;
  onProgress?: (done: number, total: number, record: FullRecord) => void;
  /** Text for the terminal once the results are written (tables, the answer). */
  summarize?: (view: SummaryView) => string | Promise<string>;
  /**
   * The folder held an unfinished run of this very plan and shard (a task its batch engine runs
   * again: requeued, resubmitted, a retried pod), which was removed: the run starts clean.
   */
  onReplaced?: (dir: string, what: string) => void;
  /** A line the user must read before the process exits at once (a second stop signal). */
  tell: (line: string) => void;
  /** Leave at once with this code (default: process.exit). */
  exit?: (code: number) => never;
}

/**
 * A run of `l2bench run` from its output folder to its exit code: the folder claimed and locked,
 * records spooled to disk as cells finish, the results saved as the run goes, SIGINT, SIGTERM and
 * SIGHUP turned into a stop that keeps every finished cell, a file that cannot be written (a full
 * disk, an I/O error) into a stop that keeps them too, then the final files and what to tell the
 * user. Whatever ends it short of SIGKILL, the lock is released, results.json says what is missing,
 * and every computed cell is on disk: in the result files, or in the spool, which is kept and named
 * when they cannot be written.
 */
export async function runSession(
  o: BenchmarkOptions,
  plan: BenchmarkPlan,
  options: SessionOptions,
): Promise<SessionOutcome> {
  const session = new RunSession(o, plan, options);
  try {
    await session.run(o);
  } finally {
    await session.finish();
  }
  return session.outcome();
}

class RunSession {
  readonly #plan: BenchmarkPlan;
  readonly #options: SessionOptions;
  readonly dir: string;
  readonly #release: () => void;
  readonly #spool: SpooledRecords;
  readonly #store: GuardedSpool;
  readonly #result = emptyResult();
  /** What the benchmark says of the cells not done yet, once it has started. */
  #live: LiveRun = { missing: () => [], failed: () => [], missingJson: () => [], fullyTimed: () => 0 };
  /** Every format asked for, in the order given (results.json added when not). */
  readonly #formats: string[];
  /** The files saved while the run goes: results.csv, then results.json, the one that says what the run holds. */
  readonly #saved: string[];
  readonly #reports: string[];
  readonly #autosave: Autosave;
  readonly #abort = new AbortController();
  #stoppedBy: StopSignal | null = null;
  /** A stop signal came while the final files were written: the reports are skipped. */
  #skipRest = false;
  #writeFailure: WriteFailure | null = null;
  /** The result files were written whole at the end. */
  #finalSaved = false;
  /** Records in results.json as last saved; null before it was. */
  #savedRecords: number | null = null;
  readonly #written: string[] = [];
  #summary = '';
  #keptTimed = 0;

  constructor(o: BenchmarkOptions, plan: BenchmarkPlan, options: SessionOptions) {
    this.#plan = plan;
    this.#options = options;
    this.#formats = [...new Set([...options.formats, 'json'])];
    this.#saved = RESULT_FORMATS.filter((f) => this.#formats.includes(f));
    this.#reports = this.#formats.filter((f) => !this.#saved.includes(f));
    const { dir, release, replaced } = claimOutDir(options.out, new Date(), 'runs', (folder) =>
      unfinishedRunOf(folder, { sha256: plan.plan.sha256, shard: o.shard ?? null, inputFiles: plan.inputFiles }),
    );
    this.dir = dir;
    this.#release = release;
    if (replaced) options.onReplaced?.(dir, replaced);
    try {
      // Records wait on disk, not in memory: a run of 10^6 cells keeps its memory flat.
      this.#spool = new SpooledRecords(join(dir, SPOOL_FILE), plan.cells.length);
    } catch (e) {
      release();
      throw e;
    }
    this.#store = new GuardedSpool(this.#spool, (e) => this.#failed(e, this.#spool.file));
    this.#autosave = new Autosave(
      () => this.#save(),
      (e) => this.#failed(e, null),
    );
  }

  /** The run as the result files read it: its header, the spool's records, the cells not done. */
  #source(): RunSource {
    return {
      header: headerOf(this.#result),
      records: () => this.#store.values(),
      recordsJson: () => this.#store.jsonTexts(),
      recordsCsv: () => this.#store.csvRows(),
      missing: () => this.#live.missing(),
      missingJson: () => this.#live.missingJson(),
      summary: () => {
        const missing = NO_MISSING();
        for (const m of this.#live.missing()) missing[m.reason]++;
        return { records: this.#store.size, missing };
      },
    };
  }

  /** Save the result files from the spool (and what the disk refused, held in memory). */
  #save(): void {
    const size = this.#store.size;
    writeResultsNow(this.dir, this.#source(), this.#saved);
    this.#savedRecords = size;
  }

  /** A file cannot be written: stop the run, keeping every cell (the first failure is the one told). */
  #failed(error: unknown, file: string | null): void {
    this.#writeFailure ??= { error, file: file ?? failedFile(error) };
    this.#abort.abort();
  }

  async run(o: BenchmarkOptions): Promise<void> {
    const stopListening = onStopSignals((signal) => this.#onSignal(signal));
    try {
      await runPlan(
        {
          ...o,
          throughput: this.#plan.timeMs === null ? false : { timeMs: this.#plan.timeMs },
          signal: this.#abort.signal,
          result: this.#result,
          records: this.#store,
          onStart: (live) => {
            this.#live = live;
            // The plan on disk before any cell runs: a run killed now reads as 0 of N cells, not 0 of 0.
            try {
              this.#autosave.now();
            } catch (e) {
              this.#failed(e, null);
            }
            this.#autosave.start();
          },
          onProgress: (done, total, record) => {
            this.#autosave.changed();
            this.#options.onProgress?.(done, total, record);
          },
          onFailure: () => this.#autosave.changed(),
        },
        this.#plan,
      );
    } finally {
      this.#autosave.stop();
      stopListening();
    }
  }

  /** A stop signal while cells run: the first stops them; a second (a cell that cannot be stopped) saves and leaves. */
  #onSignal(signal: StopSignal): void {
    this.#stoppedBy ??= signal;
    if (!this.#abort.signal.aborted) {
      this.#abort.abort();
      return;
    }
    this.#result.interrupted = true;
    this.#leaveNow(`interrupted by ${this.#stoppedBy}`);
  }

  /** Save what is done, say where it is, release the folder and exit at once. */
  #leaveNow(what: string): never {
    const exit = this.#options.exit ?? ((code: number) => process.exit(code));
    try {
      try {
        this.#save();
        this.#spool.close();
        this.#options.tell(`${what}; kept ${this.#keptLine()}`);
      } catch (e) {
        this.#spool.keep();
        this.#writeFailure ??= { error: e, file: failedFile(e) };
        this.#options.tell(`${what}; ${this.#unwritableLine()}`);
      }
    } finally {
      this.#release();
    }
    return exit(exitCodeOf(this.#stoppedBy ?? 'SIGINT'));
  }

  /** The final files: the results first, whole, then the reports; the spool goes once the results hold every cell. */
  async finish(): Promise<void> {
    const stopListening = onStopSignals((signal) => {
      this.#stoppedBy ??= signal;
      // A signal while the files are written: the results are finished, the rest skipped; a second leaves at once.
      if (!this.#skipRest) this.#skipRest = true;
      else this.#leaveNow(`interrupted by ${this.#stoppedBy} while writing ${this.#writing()}`);
    });
    try {
      if (this.#writeFailure) this.#result.complete = false;
      try {
        this.#save();
      } catch (e) {
        this.#writeFailure ??= { error: e, file: failedFile(e) };
        return this.#spool.keep();
      }
      this.#finalSaved = true;
      // A signal that came while the results were written is handled here, before anything else is.
      await turnEventLoop();
      await this.#finishReports();
    } finally {
      stopListening();
      // results.json holds every record once saved, those the spool refused included: the spool can go.
      if (this.#finalSaved) this.#spool.close();
      else this.#spool.keep();
      this.#release();
    }
  }

  /** The reports and the terminal's summary, skipped when a stop signal came while the results were written. */
  async #finishReports(): Promise<void> {
    if (this.#writeFailure) return;
    this.#keptTimed = this.#result.interrupted ? this.#live.fullyTimed() : 0;
    // One source for the reports and the answer: they read the run once (results/report/report-records.ts).
    const run = this.#source();
    let reported = false;
    for (const format of this.#reports) {
      if (this.#skipRest) break;
      await writeResults(this.dir, run, [format], this.#options.report ?? {});
      this.#written.push(format);
      reported = true;
    }
    if (!this.#skipRest && this.#options.summarize) {
      const records = () => this.#store.values();
      this.#summary = await this.#options.summarize({
        dir: this.dir,
        records,
        size: this.#store.size,
        run: reported ? run : null,
      });
    }
  }

  /** What the final files are at: the results, or (once they are whole) the reports. */
  #writing(): string {
    return this.#finalSaved && this.#reports.length > 0 ? 'the reports' : 'the results';
  }

  /** `N of M cells (K of T timed) in FILES`. */
  #keptLine(): string {
    const timedCells = this.#plan.timeMs === null ? 0 : this.#plan.cells.filter((c) => c.timed).length;
    const timing = timedCells ? ` (${this.#keptTimed} of ${timedCells} timed)` : '';
    return `${this.#store.size} of ${plural(this.#plan.cells.length, 'cell')}${timing} in ${this.#files(this.#saved)}`;
  }

  /** Where the cells are when the result files could not be written: the spool, and the last save. */
  #unwritableLine(): string {
    const json = join(this.dir, 'results.json');
    const saved =
      this.#savedRecords === null
        ? `${json} was never written`
        : `${json} holds ${this.#savedRecords} of them (complete: false)`;
    const lost = this.#store.unsaved ? `; ${plural(this.#store.unsaved, 'more cell')} could not be written at all` : '';
    return `${this.#spool.size} of ${plural(this.#plan.cells.length, 'cell')} are in ${this.#spool.file}; ${saved}${lost}`;
  }

  /** The files of these formats, in the order the formats were given. */
  #files(formats: readonly string[]): string {
    return this.#formats
      .filter((f) => formats.includes(f))
      .map((f) => join(this.dir, fileOf(f)))
      .join(', ');
  }

  outcome(): SessionOutcome {
    const ending: Ending = {
      dir: this.dir,
      cells: this.#plan.cells.length,
      result: this.#result,
      failed: failedCells(this.#live.failed()),
      stoppedBy: this.#stoppedBy,
      skippedReports: this.#skipRest,
      writing: this.#writing(),
      writeFailure: this.#writeFailure,
      kept: this.#finalSaved ? this.#keptLine() : '',
      unwritable: this.#unwritableLine(),
      files: this.#files([...this.#saved, ...this.#written]),
      summary: this.#summary,
    };
    return endingOf(ending);
  }
}

/**
 * Let the event loop poll once: a signal that came during synchronous work (a write) is read in
 * the poll phase, which two check phases in a row always have between them.
 */
async function turnEventLoop(): Promise<void> {
  await yieldToEventLoop();
  await yieldToEventLoop();
}

/** The file a write error names (Node's errors carry the path written: a temporary file beside the result). */
function failedFile(error: unknown): string | null {
  const path = (error as NodeJS.ErrnoException)?.path;
  return path ? path.replace(/\.\d+\.tmp$/, '') : null;
}

/** The failed cells (their strategy threw, or ran past the cell timeout): how many, and the first few. */
function failedCells(failed: Iterable<MissingCell>, shown = 10): Ending['failed'] {
  const out: Ending['failed'] = { count: 0, first: [] };
  for (const m of failed) if (out.count++ < shown) out.first.push(m);
  return out;
}
