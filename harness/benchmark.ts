import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cellId } from '../core/cell-key.ts';
import { InputError } from '../core/errors.ts';
import { DEFAULT_KERNEL, KERNEL_VERSIONS, type KernelVersion } from '../core/kernel.ts';
import { DEFAULT_PLATFORM } from '../core/platforms.ts';
import type { FullRecord } from '../core/record.ts';
import { isModuleSpec } from '../core/spec.ts';
import { loadCosts } from '../results/costs.ts';
import type { RecordStore } from '../results/record-store.ts';
import { type MissingCell, type Provenance, RUN_SCHEMA, type RunResult } from '../results/run-schema.ts';
import { STRATEGIES } from '../strategies/index.ts';
import type { MachineOptions } from '../strategies/machine/machine.ts';
import type { Strategy } from '../strategies/types.ts';
import type { Cell } from './cell.ts';
import { jobOf, keyOfCell, measureTask } from './cell-job.ts';
import type { LiveRun } from './live-run.ts';
import { loadStrategyModule } from './load-strategy.ts';
import { type MachineOverrides, parseMachine } from './machine-options.ts';
import { expandPlan, type Plan, type PlatformTarget } from './matrix.ts';
import { checkBenchmarkOptions, DEFAULT_ROUNDS } from './options.ts';
import { platformTargets, skippedNotice } from './platform-targets.ts';
import { type GitState, gitState, provenance, VERSION } from './provenance.ts';
import type { CellState } from './run-cells.ts';
import { dropSpare, handToSpare, startSpareWorker } from './spare-worker.ts';
import { loadSuite, resolveSuiteModule, resolveSuitePaths, type Suite } from './suite.ts';
import type { CellSource } from './worker/protocol.ts';

/** What to run, for `l2bench run` and for scripts. Unset fields come from the suite, then the defaults. */
export interface BenchmarkOptions {
  /** A suite file or built-in suite name; used when no workloads are given ('default' then). */
  suite?: string;
  /** Strategy specs (`genalloc:algo=best`), module paths (`./mine.ts`), or Strategy objects. */
  strategies?: readonly (string | Strategy)[];
  /** Workload specs; `key=a..b` sweeps. */
  workloads?: readonly string[];
  /** CPU counts: every platform runs on each (default: each platform's board). */
  cpus?: readonly number[];
  /** The Linux versions whose allocators to model (KERNEL_VERSIONS; DEFAULT_KERNEL unless given); an axis like cpus. */
  kernels?: readonly string[];
  /**
   * The platforms (core/platforms.ts; DEFAULT_PLATFORM unless given), an axis like kernels: each runs
   * on its board (CPUs, DRAM) unless cpus or machine say otherwise, and only under the kernels it runs.
   */
  platforms?: readonly string[];
  seeds?: readonly number[];
  /** `dram=8G,base=0,fragment=0.25`, or the options themselves: they replace the platform board's. */
  machine?: string | MachineOverrides;
  /** Run cells under the invariant checker: true every strategy, false none; unset, those loaded from a file. */
  check?: boolean;
  /** Throughput: a budget per cell in ms, spread over its rounds; or false for memory metrics only. */
  throughput?: false | { timeMs: number };
  /** Rounds of timing per cell, each in a fresh worker thread (default 8): the units `compare` tests. */
  rounds?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, record: FullRecord) => void;
  /**
   * Called once `result` names the plan (its cells, all missing), before any cell runs: a caller can
   * save it. `missing` gives the cells not done at the moment it is read, one at a time (a plan of
   * 10^6 cells is not 10^6 objects at once).
   */
  onStart?: (live: LiveRun) => void;
  /** Told of each cell that fails (its strategy threw) or times out; the run goes on. */
  onFailure?: (cell: MissingCell) => void;
  /** Filled as cells finish (records too, unless `records` is given), so a caller can save it at any time. */
  result?: RunResult;
  /**
   * Where records go as cells finish, by position in the plan. Default: memory, and they are
   * `result.records`. Given (a SpooledRecords on disk keeps a large run's memory flat), records stay
   * there and `result.records` stays empty.
   */
  records?: RecordStore;
  /** Worker threads for the exact metrics (default 1); throughput is still timed one cell at a time. */
  jobs?: number;
  /** Stop a cell (its exact metrics, or a round of its timing) after this many ms: it fails with a timeout. */
  cellTimeoutMs?: number;
  /** Run only shard `index` of `count` (1-based): every count-th cell of the plan. */
  shard?: { index: number; count: number };
  /** A cost-table file overriding units or mappings of the shipped one (results/costs/default.yaml). */
  costs?: string;
}

const DEFAULT_TIME_MS = 100;

/** What a run is planned from: the suite file, when there is one. */
type LoadedSuite = { suite: Suite; file: string } | undefined;

/** The strategies a plan names: specs for the whole run and per suite group, and the modules behind them. */
interface ResolvedStrategies {
  specs: string[];
  perGroup: (string[] | null)[];
  /** Strategies loaded from modules or given as objects, usable by name beside the built-in ones. */
  extra: Strategy[];
  /** The module file of each loaded strategy, by name, so worker threads can load it too. */
  modules: Map<string, string>;
}

/** The planned run: its cells (this shard's, if sharded), and what provenance records of it. */
export interface BenchmarkPlan {
  cells: Cell[];
  suite: string;
  timeMs: number | null;
  /** Rounds of timing per cell (null without throughput). */
  rounds: number | null;
  /** Files the plan read that git does not pin (strategy modules, the suite), with their sha256. */
  inputFiles: NonNullable<Provenance['input_files']>;
  /** The machine of the first platform planned (the board of the default one, unless overridden). */
  machine: Omit<MachineOptions, 'cpus'>;
  plan: { cells: number; sha256: string };
  /** The kernels the cells model, in the order given. */
  kernels: readonly KernelVersion[];
  /** The platforms the cells model, in the order given. */
  platforms: readonly string[];
  /** The cost table the records' modelled kernel cost comes from. */
  costs: ReturnType<typeof loadCosts>;
  /** What the plan's workloads want the user told (a trace's CPUs folded), each once, in plan order. */
  notices: string[];
  /** l2bench's git commit and state, asked of git when the plan began (it runs beside the plan's work). */
  git: Promise<GitState>;
}

/**
 * Hand the plan's first cell to the worker waiting for the run (parallel.ts handToSpare): the CLI
 * does so between the plan and the run, so that the worker replays it while this thread loads the
 * session's code and claims the output folder; the run's pool takes the worker and its answer. A
 * cell whose throughput is timed is not handed early: its timing would share the machine with this
 * thread's loading, where every other timed cell runs with this thread idle.
 */
export function handFirstCell(plan: BenchmarkPlan): void {
  const cell = plan.cells[0];
  const job = cell ? jobOf(cell) : null;
  if (cell && job && !(plan.timeMs !== null && cell.timed))
    handToSpare(measureTask(job, 0, false, plan.cells.length === 1)); // as WorkerExecutor makes it
}

/**
 * The CLI's plan: planBenchmark's without its options' check, its first cell handed to the waiting
 * worker (handFirstCell). The CLI builds its options from flags it has checked one by one (their
 * types by construction, their ranges LIMITS', no empty spec: cli/commands/run.ts optionsOf, which
 * a test holds to the API's schema), so the schema's check, which loads zod (some 95 modules, tens
 * of ms and as much garbage on this thread while the worker replays), has nothing left to refuse.
 */
export async function planCommandRun(o: BenchmarkOptions): Promise<BenchmarkPlan> {
  const plan = await planChecked(o);
  handFirstCell(plan);
  return plan;
}

/** The cells of a run, checked before any work: every spec, file and option. */
export async function planBenchmark(o: BenchmarkOptions): Promise<BenchmarkPlan> {
  checkBenchmarkOptions(o);
  return planChecked(o);
}

/** planBenchmark after its options' check (whose types it trusts): every spec and file checked. */
async function planChecked(o: BenchmarkOptions): Promise<BenchmarkPlan> {
  const loaded = loadSuiteOf(o);
  const suite = loaded?.suite;
  const overrides = machineOf(o, suite);
  const strategies = await resolveStrategies(o, loaded);
  // The run's first worker thread loads its code now, while the workloads below are made (a trace
  // converted); a run of strategy objects only has no use for one.
  if (!o.strategies?.every((s) => typeof s !== 'string')) startSpareWorker([...new Set(strategies.modules.values())]);
  const git = gitState();
  try {
    return { ...(await planCells(o, loaded, strategies, overrides)), git };
  } catch (e) {
    dropSpare();
    throw e;
  }
}

/** planBenchmark's cells and what provenance records of them, from its checked options and strategies. */
async function planCells(
  o: BenchmarkOptions,
  loaded: LoadedSuite,
  strategies: ResolvedStrategies,
  overrides: MachineOverrides,
): Promise<Omit<BenchmarkPlan, 'git'>> {
  const suite = loaded?.suite;
  const timeMs = timeBudgetOf(o, suite);
  const costs = loadCosts(o.costs);
  const rounds = timeMs === null ? null : (o.rounds ?? DEFAULT_ROUNDS);
  const cpus = o.cpus ?? suite?.cpus;
  const kernels = kernelsOf(o.kernels ?? suite?.kernel ?? [DEFAULT_KERNEL]);
  const skipped: { platform: string; kernel: string }[] = [];
  const plans = plansOf(o, loaded, strategies, {
    seeds: o.seeds ?? suite?.seeds ?? [1],
    check: o.check ?? suite?.check,
    targets: (platforms) => {
      const t = platformTargets({
        platforms,
        kernels,
        ...(cpus ? { cpus } : {}),
        machine: overrides,
        ...(typeof o.machine === 'string' ? { machineText: o.machine } : {}),
      });
      skipped.push(...t.skipped);
      return t.targets;
    },
  });
  const cells = numberCells(uniqueCells(plans.flatMap(({ plan, where }) => expandPlan(plan, where))));
  // Pairs the suite lists are skipped quietly; a platform or kernel asked for is told.
  const notices = o.platforms || o.kernels ? [...new Set(skipped.length ? [skippedNotice(skipped)] : [])] : [];
  if (cells.length === 0) {
    if (skipped.length) throw new InputError(`nothing to run: ${skippedNotice(skipped)}`);
    throw new InputError('nothing to run: no workload or no strategy');
  }
  const targets = plans.flatMap(({ plan }) => plan.targets);
  return {
    cells: shardOf(cells, o.shard),
    suite: loaded?.file ?? '',
    timeMs,
    rounds,
    inputFiles: [
      ...[...new Set(strategies.modules.values())].map((path) => ({ kind: 'strategy module' as const, path })),
      ...(loaded ? [{ kind: 'suite' as const, path: loaded.file }] : []),
    ].map((f) => ({ ...f, sha256: sha256File(f.path) })),
    // A plan with cells has a platform.
    machine: (targets[0] as PlatformTarget).machine,
    plan: planIdentity(cells, timeMs, rounds),
    kernels,
    platforms: [...new Set(targets.map((t) => t.platform))],
    costs,
    notices: [...notices, ...new Set(cells.flatMap((c) => c.workload.notices ?? []))],
  };
}

/** The kernels asked for, each one l2bench models; a kernel named twice runs once. */
function kernelsOf(given: readonly string[]): KernelVersion[] {
  if (given.length === 0) {
    throw new InputError(`no kernel given (allowed: ${KERNEL_VERSIONS.join(', ')})`, { option: 'kernels' });
  }
  const out: KernelVersion[] = [];
  for (const k of given) {
    const kernel = KERNEL_VERSIONS.find((v) => v === String(k).trim());
    if (!kernel) {
      throw new InputError(`not a kernel l2bench models (allowed: ${KERNEL_VERSIONS.join(', ')})`, {
        option: 'kernels',
        value: String(k),
      });
    }
    if (!out.includes(kernel)) out.push(kernel);
  }
  return out;
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The suite asked for, or the default suite when no workloads are given; none with workloads. */
function loadSuiteOf(o: BenchmarkOptions): LoadedSuite {
  if (o.suite && o.workloads?.length) {
    throw new InputError('cannot be used together with workloads', { option: 'suite', value: o.suite });
  }
  const name = o.suite ?? (o.workloads?.length ? undefined : 'default');
  return name ? loadSuite(name) : undefined;
}

/** The machine options given (a string or fields), else the suite's: they replace each platform board's. */
function machineOf(o: BenchmarkOptions, suite: Suite | undefined): MachineOverrides {
  if (typeof o.machine === 'object') return { ...o.machine };
  const fromSuite = suite?.machine
    ? Object.entries(suite.machine)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')
    : undefined;
  return parseMachine(o.machine ?? fromSuite);
}

/** Throughput's budget per cell in ms, or null when the options or the suite turn it off. */
function timeBudgetOf(o: BenchmarkOptions, suite: Suite | undefined): number | null {
  if (o.throughput === false || suite?.throughput === false) return null;
  return o.throughput ? o.throughput.timeMs : (suite?.throughput?.time_ms ?? DEFAULT_TIME_MS);
}

/**
 * The strategies of the run and of each suite group, as specs: built-in names stay as they are,
 * module paths (relative to the suite file when a suite names them) are loaded and named, objects
 * given to the API are kept.
 */
async function resolveStrategies(o: BenchmarkOptions, loaded: LoadedSuite): Promise<ResolvedStrategies> {
  const out: ResolvedStrategies = { specs: [], perGroup: [], extra: [], modules: new Map() };
  const fromSuite = (list: readonly string[]) =>
    list.map((s) => (isModuleSpec(s) && loaded ? resolveSuiteModule(s, loaded.file) : s));
  const resolve = async (list: readonly (string | Strategy)[]): Promise<string[]> => {
    const specs: string[] = [];
    for (const s of list) {
      if (typeof s !== 'string') {
        out.extra.push(s);
        specs.push(s.name);
      } else if (isModuleSpec(s)) {
        const m = await loadStrategyModule(s);
        if (STRATEGIES.some((b) => b.name === m.strategy.name)) {
          throw new InputError(`its name '${m.strategy.name}' is a built-in strategy's`, {
            option: 'strategies',
            value: s,
          });
        }
        if (!out.extra.some((x) => x.name === m.strategy.name)) out.extra.push(m.strategy);
        out.modules.set(m.strategy.name, m.module);
        specs.push(m.spec);
      } else specs.push(s);
    }
    return specs;
  };
  const suite = loaded?.suite;
  out.specs = await resolve(
    o.strategies ?? (suite?.strategies ? fromSuite(suite.strategies) : STRATEGIES.map((x) => x.name)),
  );
  for (const g of suite?.groups ?? []) out.perGroup.push(g.strategies ? await resolve(fromSuite(g.strategies)) : null);
  return out;
}

/** One plan per suite group (or one for workloads given directly), with where it came from for errors. */
function plansOf(
  o: BenchmarkOptions,
  loaded: LoadedSuite,
  strategies: ResolvedStrategies,
  base: Pick<Plan, 'seeds' | 'check'> & { targets: (platforms: readonly string[]) => PlatformTarget[] },
): { plan: Plan; where?: string }[] {
  const { targets, ...rest } = base;
  const common = { ...rest, extraStrategies: strategies.extra, modules: strategies.modules };
  if (!loaded) {
    return [
      {
        plan: {
          ...common,
          targets: targets(o.platforms ?? [DEFAULT_PLATFORM]),
          strategies: strategies.specs,
          workloads: o.workloads ?? [],
          throughput: true,
        },
      },
    ];
  }
  const suite = loaded.suite;
  return suite.groups.map((g, i) => ({
    plan: {
      ...common,
      // --platform overrides every group; otherwise a group's own list, else the suite's.
      targets: targets(o.platforms ?? g.platform ?? suite.platform ?? [DEFAULT_PLATFORM]),
      // --strategy overrides every group; otherwise a group's own list, else the suite's.
      strategies: o.strategies ? strategies.specs : (strategies.perGroup[i] ?? strategies.specs),
      workloads: g.workloads.map((w) => resolveSuitePaths(w, loaded.file)),
      throughput: g.throughput ?? true,
    },
    where: `${loaded.file}: groups.${i} (${g.name})`,
  }));
}

/** A cell named twice (overlapping sweeps) runs once. */
function uniqueCells(cells: readonly Cell[]): Cell[] {
  const seen = new Set<string>();
  return cells.filter((c) => {
    const key = cellId(keyOfCell(c));
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Each cell's position in the whole plan: shards and parallel runs keep this order. */
function numberCells(cells: readonly Cell[]): Cell[] {
  return cells.map((c, index) => ({ ...c, source: { ...(c.source as CellSource), index } }));
}

/** Shard `index` of `count` (1-based): every count-th cell of the plan. */
function shardOf(cells: Cell[], shard: BenchmarkOptions['shard']): Cell[] {
  if (!shard) return cells;
  return cells.filter((c) => (c.source?.index ?? -1) % shard.count === shard.index - 1);
}

/**
 * What makes two shards parts of the same run: the l2bench version and a hash of every cell of the
 * whole plan (workload, strategy, machine, kernel, seed, checker) and of the throughput budget and rounds.
 */
function planIdentity(
  cells: readonly Cell[],
  timeMs: number | null,
  rounds: number | null,
): { cells: number; sha256: string } {
  const hash = createHash('sha256').update(`${VERSION}\u0000${timeMs}\u0000${rounds}`);
  for (const c of cells) {
    hash.update(
      `\u0001${c.workload.spec}\u0000${c.strategyLabel}\u0000${c.platform ?? DEFAULT_PLATFORM}\u0000${JSON.stringify(c.machine)}\u0000${c.kernel}\u0000${c.seed}\u0000${c.check}\u0000${c.timed}`,
    );
  }
  return { cells: cells.length, sha256: hash.digest('hex') };
}

/** The strategies loaded from a file that run without the invariant checker, once each, in plan order. */
function uncheckedStrategies(cells: readonly Cell[]): string[] {
  return [
    ...new Set(cells.filter((c) => !c.check && typeof c.source?.module === 'string').map((c) => c.strategyLabel)),
  ];
}

/**
 * Run a benchmark and return every record with its provenance; `planned`, if given, is
 * planBenchmark(o) already made. `result` (when given) is kept up
 * to date as cells finish, with `complete` false and `missing` naming every cell not done yet:
 * `complete` turns true only when the run ends with every cell measured and timed.
 */
export async function runBenchmark(o: BenchmarkOptions = {}, planned?: BenchmarkPlan): Promise<RunResult> {
  checkBenchmarkOptions(o);
  // A plan already made from the same options is not made twice.
  return runPlan(o, planned ?? (await planBenchmark(o)));
}

/**
 * runBenchmark without its options' check: for the CLI's run (harness/session), whose options are
 * its flags checked one by one (planCommandRun) and what the session adds (its signal, its record
 * store, its callbacks), so that a run needs no zod.
 */
export async function runPlan(o: BenchmarkOptions, planned: BenchmarkPlan): Promise<RunResult> {
  const { cells, suite, timeMs, rounds, inputFiles, machine, plan, kernels, platforms, costs, git } = planned;
  const result: RunResult = o.result ?? emptyResult();
  const startedAt = new Date();
  // The code that runs cells loads now, not with the plan's: the CLI hands its first cell to a
  // worker between the two (planCommandRun), and this thread then has time to spare.
  const [{ commit, dirty }, { runCells }, { MemoryRecords }, { liveRunOf, missingCell }] = await Promise.all([
    git,
    import('./run-cells.ts'),
    import('../results/record-store.ts'),
    import('./live-run.ts'),
  ]);
  result.provenance = {
    ...provenance({ ...machine }, startedAt, commit),
    suite,
    kernels: [...kernels],
    platforms: [...platforms],
    throughput_time_ms: timeMs,
    throughput_rounds: rounds,
    jobs: o.jobs ?? 1,
    plan: { ...plan, shard: o.shard ?? null },
    costs: { ...costs.provenance, table: costs.table },
    git_dirty: dirty,
    input_files: inputFiles,
    unchecked_strategies: uncheckedStrategies(cells),
  };
  result.cells = cells.length;
  result.complete = false;
  const states: CellState[] = [];
  const store = o.records ?? new MemoryRecords();
  if (!o.records) {
    // In memory, result.records is the store's records in plan order, read when wanted.
    Object.defineProperty(result, 'records', {
      get: () => [...store.values()],
      enumerable: true,
      configurable: true,
    });
  }
  const live = liveRunOf(cells, states, rounds);
  const missingNow = () => live.missing();
  Object.defineProperty(result, 'missing', {
    get: () => [...missingNow()],
    enumerable: true,
    configurable: true,
  });
  o.onStart?.(live);
  const outcome = await runCells(cells, {
    throughput: timeMs === null ? null : { timeMs, rounds: rounds ?? DEFAULT_ROUNDS },
    records: store,
    states,
    jobs: o.jobs ?? 1,
    costs: costs.table,
    ...(o.cellTimeoutMs ? { cellTimeoutMs: o.cellTimeoutMs } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    onFailure(position) {
      // This cell's entry alone: working out every missing cell per failure is quadratic.
      const cell = cells[position];
      const failure = cell ? missingCell(cell, states[position], rounds) : null;
      if (failure) o.onFailure?.(failure);
    },
    onProgress(done, total, record) {
      o.onProgress?.(done, total, record);
    },
  }).finally(dropSpare); // a run whose cells all ran on this thread left it waiting
  result.interrupted = outcome.interrupted;
  result.complete = !outcome.interrupted && missingNow()[Symbol.iterator]().next().done === true;
  // In memory, the records and the missing cells as arrays from now on; a caller's store keeps them.
  if (!o.records) {
    const fixed = (key: 'missing' | 'records', value: unknown) =>
      Object.defineProperty(result, key, { value, writable: true, enumerable: true, configurable: true });
    fixed('missing', [...missingNow()]);
    fixed('records', [...store.values()]);
  }
  return result;
}

/** An empty result to fill while running (so an interrupted run can still be written): not complete. */
export function emptyResult(): RunResult {
  return {
    schema: RUN_SCHEMA,
    provenance: { ...provenance({}, new Date(), null), suite: '', throughput_time_ms: null, jobs: 1, plan: null },
    records: [],
    interrupted: false,
    complete: false,
    cells: 0,
    missing: [],
  };
}
