import { createHash } from 'node:crypto';
import type { FullRecord } from '../results/record.ts';
import { RUN_SCHEMA, type RunResult } from '../results/run.ts';
import { STRATEGIES } from '../strategies/index.ts';
import type { MachineOptions } from '../strategies/machine/machine.ts';
import type { Strategy } from '../strategies/types.ts';
import type { Cell, CellSource } from './cell.ts';
import { InputError } from './errors.ts';
import { isModuleSpec, loadStrategyModule } from './load-strategy.ts';
import { checkMachine, parseMachine } from './machine-options.ts';
import { expandPlan, type Plan } from './matrix.ts';
import { provenance, VERSION } from './provenance.ts';
import { runCells } from './run.ts';
import { loadSuite, resolveSuiteModule, resolveSuitePaths } from './suite.ts';

/** What to run, for `l2bench run` and for scripts. Unset fields come from the suite, then the defaults. */
export interface BenchmarkOptions {
  /** A suite file or built-in suite name; used when no workloads are given ('default' then). */
  suite?: string;
  /** Strategy specs (`genalloc:algo=best`), module paths (`./mine.ts`), or Strategy objects. */
  strategies?: readonly (string | Strategy)[];
  /** Workload specs; `key=a..b` sweeps. */
  workloads?: readonly string[];
  cpus?: readonly number[];
  seeds?: readonly number[];
  /** `dram=8G,base=0,fragment=0.25`, or the options themselves. */
  machine?: string | Partial<Omit<MachineOptions, 'cpus'>>;
  check?: boolean;
  /** tinybench budget per cell in ms, or false for memory metrics only. */
  throughput?: false | { timeMs: number };
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, record: FullRecord) => void;
  /** Filled with records as they finish, so a caller can save them at any time. */
  result?: RunResult;
  /** Worker threads for the exact metrics (default 1); throughput is still timed one cell at a time. */
  jobs?: number;
  /** Run only shard `index` of `count` (1-based): every count-th cell of the plan. */
  shard?: { index: number; count: number };
}

const DEFAULT_TIME_MS = 100;

/** The cells of a run, checked before any work: every spec, file and option. */
export async function planBenchmark(o: BenchmarkOptions): Promise<{
  cells: Cell[];
  suite: string;
  timeMs: number | null;
  machine: Omit<MachineOptions, 'cpus'>;
  plan: { cells: number; sha256: string };
}> {
  if (o.suite && o.workloads?.length) {
    throw new InputError('cannot be used together with workloads', { option: 'suite', value: o.suite });
  }
  const suiteName = o.suite ?? (o.workloads?.length ? undefined : 'default');
  const loaded = suiteName ? loadSuite(suiteName) : undefined;
  const suite = loaded?.suite;
  const machine =
    typeof o.machine === 'object'
      ? { ...parseMachine(undefined), ...o.machine }
      : parseMachine(
          o.machine ??
            (suite?.machine
              ? Object.entries(suite.machine)
                  .map(([k, v]) => `${k}=${v}`)
                  .join(',')
              : undefined),
        );
  const extra: Strategy[] = [];
  const modules = new Map<string, string>();
  // Module paths in a suite are relative to the suite file, like its trace files.
  const fromSuite = (list: readonly string[]) =>
    list.map((s) => (isModuleSpec(s) && loaded ? resolveSuiteModule(s, loaded.file) : s));
  const resolveStrategies = async (list: readonly (string | Strategy)[]): Promise<string[]> => {
    const specs: string[] = [];
    for (const s of list) {
      if (typeof s !== 'string') {
        extra.push(s);
        specs.push(s.name);
      } else if (isModuleSpec(s)) {
        const m = await loadStrategyModule(s);
        if (STRATEGIES.some((b) => b.name === m.strategy.name)) {
          throw new InputError(`its name '${m.strategy.name}' is a built-in strategy's`, {
            option: 'strategies',
            value: s,
          });
        }
        if (!extra.some((x) => x.name === m.strategy.name)) extra.push(m.strategy);
        modules.set(m.strategy.name, m.module);
        specs.push(m.spec);
      } else specs.push(s);
    }
    return specs;
  };
  const specs = await resolveStrategies(
    o.strategies ?? (suite?.strategies ? fromSuite(suite.strategies) : STRATEGIES.map((x) => x.name)),
  );
  const groupSpecs = suite
    ? await Promise.all(suite.groups.map((g) => (g.strategies ? resolveStrategies(fromSuite(g.strategies)) : null)))
    : [];
  let timeMs: number | null = null;
  if (o.throughput !== false && suite?.throughput !== false) {
    timeMs = o.throughput ? o.throughput.timeMs : (suite?.throughput?.time_ms ?? DEFAULT_TIME_MS);
  }
  const cpus = o.cpus ?? suite?.cpus ?? [4];
  checkMachine(machine, cpus, typeof o.machine === 'string' ? o.machine : undefined);
  const base = {
    cpus,
    seeds: o.seeds ?? suite?.seeds ?? [1],
    machine,
    check: o.check ?? suite?.check ?? false,
    extraStrategies: extra,
    modules,
  };
  const plans: Plan[] = suite
    ? suite.groups.map((g, i) => ({
        ...base,
        strategies: o.strategies ? specs : (groupSpecs[i] ?? specs),
        workloads: g.workloads.map((w) => resolveSuitePaths(w, loaded?.file ?? '')),
        throughput: g.throughput ?? true,
      }))
    : [{ ...base, strategies: specs, workloads: o.workloads ?? [], throughput: true }];
  // A cell named twice (overlapping sweeps) runs once.
  const seen = new Set<string>();
  const cells = plans
    .flatMap((p, i) => expandPlan(p, suite ? `${loaded?.file}: groups.${i} (${suite.groups[i]?.name})` : undefined))
    .filter((c) => {
      const key = `${c.workload.spec}\u0000${c.strategyLabel}\u0000${c.machine.cpus}\u0000${c.seed}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map((c, index) => ({ ...c, source: { ...(c.source as CellSource), index } }));
  if (cells.length === 0) throw new InputError('nothing to run: no workload or no strategy');
  const plan = planIdentity(cells, timeMs);
  const mine = o.shard
    ? cells.filter(
        (c) => c.source?.index !== undefined && c.source.index % (o.shard?.count ?? 1) === (o.shard?.index ?? 1) - 1,
      )
    : cells;
  return { cells: mine, suite: loaded?.file ?? '', timeMs, machine, plan };
}

/**
 * What makes two shards parts of the same run: the l2bench version and a hash of every cell of the
 * whole plan (workload, strategy, machine, seed, checker) and of the throughput budget.
 */
function planIdentity(cells: readonly Cell[], timeMs: number | null): { cells: number; sha256: string } {
  const hash = createHash('sha256').update(`${VERSION}\u0000${timeMs}`);
  for (const c of cells) {
    hash.update(
      `\u0001${c.workload.spec}\u0000${c.strategyLabel}\u0000${JSON.stringify(c.machine)}\u0000${c.seed}\u0000${c.check}\u0000${c.timed}`,
    );
  }
  return { cells: cells.length, sha256: hash.digest('hex') };
}

/** Run a benchmark and return every record with its provenance. */
export async function runBenchmark(o: BenchmarkOptions = {}): Promise<RunResult> {
  const { cells, suite, timeMs, machine, plan } = await planBenchmark(o);
  const result: RunResult = o.result ?? emptyResult();
  result.provenance = {
    ...provenance({ ...machine }, new Date()),
    suite,
    throughput_time_ms: timeMs,
    jobs: o.jobs ?? 1,
    plan: { ...plan, shard: o.shard ?? null },
  };
  result.cells = cells.length;
  const outcome = await runCells(cells, {
    throughput: timeMs === null ? null : { timeMs },
    records: result.records,
    jobs: o.jobs ?? 1,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
  result.interrupted = outcome.interrupted;
  return result;
}

/** An empty result to fill while running (so an interrupted run can still be written). */
export function emptyResult(): RunResult {
  return {
    schema: RUN_SCHEMA,
    provenance: { ...provenance({}, new Date()), suite: '', throughput_time_ms: null, jobs: 1, plan: null },
    records: [],
    interrupted: false,
    cells: 0,
  };
}
