import { join } from 'node:path';
import { EXPORTERS } from '../results/index.ts';
import type { RunResult } from '../results/run.ts';
import { writeAtomic } from '../results/write.ts';
import { STRATEGIES } from '../strategies/index.ts';
import type { MachineOptions } from '../strategies/machine/machine.ts';
import type { Strategy } from '../strategies/types.ts';
import type { Cell } from './cell.ts';
import { isModuleSpec, loadStrategyModule } from './load-strategy.ts';
import { checkMachine, parseMachine } from './machine-options.ts';
import { expandPlan, type Plan } from './matrix.ts';
import { provenance } from './provenance.ts';
import type { FullRecord } from './record.ts';
import { runCells } from './run.ts';
import { UsageError } from './spec.ts';
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
}

const DEFAULT_TIME_MS = 100;

/** The cells of a run, checked before any work: every spec, file and option. */
export async function planBenchmark(
  o: BenchmarkOptions,
): Promise<{ cells: Cell[]; suite: string; timeMs: number | null; machine: Omit<MachineOptions, 'cpus'> }> {
  if (o.suite && o.workloads?.length) throw new UsageError('--suite and --workload cannot be used together');
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
          throw new UsageError(`strategy module ${s}: its name '${m.strategy.name}' is a built-in strategy's`);
        }
        if (!extra.some((x) => x.name === m.strategy.name)) extra.push(m.strategy);
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
    });
  if (cells.length === 0) throw new UsageError('nothing to run: no workload or no strategy');
  return { cells, suite: loaded?.file ?? '', timeMs, machine };
}

/** Run a benchmark and return every record with its provenance. */
export async function runBenchmark(o: BenchmarkOptions = {}): Promise<RunResult> {
  const { cells, suite, timeMs, machine } = await planBenchmark(o);
  const now = new Date();
  const result: RunResult = o.result ?? {
    schema: 'l2bench-run/1',
    provenance: { ...provenance({ ...machine }, now), suite, throughput_time_ms: timeMs },
    records: [],
    interrupted: false,
    cells: cells.length,
  };
  result.provenance = { ...provenance({ ...machine }, now), suite, throughput_time_ms: timeMs };
  result.cells = cells.length;
  const outcome = await runCells(cells, {
    throughput: timeMs === null ? null : { timeMs },
    records: result.records,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
  result.interrupted = outcome.interrupted;
  return result;
}

/** Write a run in the given formats (csv, json…) into a folder, each file atomically. */
export function writeResults(dir: string, run: RunResult, formats: readonly string[] = ['csv', 'json']): string[] {
  const files: string[] = [];
  for (const format of formats) {
    const exporter = EXPORTERS.find((e) => e.format === format);
    if (!exporter)
      throw new UsageError(`unknown format '${format}' (allowed: ${EXPORTERS.map((e) => e.format).join(', ')})`);
    const file = join(dir, exporter.file);
    writeAtomic(file, exporter.render(run));
    files.push(file);
  }
  return files;
}

/** An empty result to fill while running (so an interrupted run can still be written). */
export function emptyResult(): RunResult {
  return {
    schema: 'l2bench-run/1',
    provenance: { ...provenance({}, new Date()), suite: '', throughput_time_ms: null },
    records: [],
    interrupted: false,
    cells: 0,
  };
}
