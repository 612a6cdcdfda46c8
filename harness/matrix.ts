import { InputError } from '../core/errors.ts';
import type { KernelVersion } from '../core/kernel.ts';
import type { ParamValues } from '../core/params.ts';
import { formatSpec, resolveSpec } from '../core/spec.ts';
import { expandSweep } from '../core/spec-ranges.ts';
import { STRATEGIES } from '../strategies/index.ts';
import type { MachineOptions } from '../strategies/machine/machine.ts';
import type { Strategy } from '../strategies/types.ts';
import { WORKLOADS } from '../workloads/index.ts';
import type { Cell } from './cell.ts';

/** One platform of a plan: the kernels it runs of those asked for, its CPU counts and its machine. */
export interface PlatformTarget {
  readonly platform: string;
  readonly kernels: readonly KernelVersion[];
  readonly cpus: readonly number[];
  /** The machine without its CPU count: the platform's board, with the overrides given. */
  readonly machine: Omit<MachineOptions, 'cpus'>;
  /** The board's CPU count: a cell on another count says so. */
  readonly boardCpus: number;
  /** The machine keys given that differ from the board (dram, base, fragment). */
  readonly overrides: readonly string[];
}

/** What to run: every strategy × workload × platform (its CPU counts and kernels) × seed. */
export interface Plan {
  strategies: readonly string[];
  /** Workload specs; ranges (`tables=1..4096`) expand into sweeps. */
  workloads: readonly string[];
  targets: readonly PlatformTarget[];
  seeds: readonly number[];
  /** Run cells under the invariant checker; undefined: those of strategies loaded from a file only. */
  check: boolean | undefined;
  /** Measure throughput for these cells (when the run does). */
  throughput: boolean;
  /** Strategies loaded from modules (or given as objects), usable by name beside the built-in ones. */
  extraStrategies?: readonly Strategy[];
  /** The module file of each loaded strategy, by name, so worker threads can load it too. */
  modules?: ReadonlyMap<string, string>;
}

/** A strategy's name in results: its name, plus the parameters that differ from their defaults. */
function strategyLabel(strategy: Strategy, params: ParamValues): string {
  const changed = Object.entries(strategy.params)
    .filter(([k, def]) => params[k] !== def.default)
    .map(([k]) => [k, params[k] as string | number] as const);
  return formatSpec(strategy.name, changed);
}

/** Expand a plan into cells, validating every spec first so bad input fails before any work. */
export function expandPlan(plan: Plan, where?: string): Cell[] {
  const registry = [...STRATEGIES, ...(plan.extraStrategies ?? [])];
  const strategies = plan.strategies.map((s) => {
    const { item, params } = resolveSpec(s, 'strategy', registry);
    const builtIn = STRATEGIES.includes(item);
    return {
      item,
      params,
      label: strategyLabel(item, params),
      spec: s,
      module: builtIn ? null : plan.modules?.get(item.name),
    };
  });
  const kinds = plan.workloads.flatMap((w) => {
    try {
      return expandSweep(w).map((x) => ({ ...resolveSpec(x, 'workload', WORKLOADS), spec: x }));
    } catch (e) {
      // A bad workload in a suite: say where it is.
      if (where && e instanceof InputError) throw new InputError(`${where}: ${e.message}`);
      throw e;
    }
  });
  // One options object per (platform, CPUs) for every cell: a plan of 10^5 cells should not hold 10^5 copies.
  const machines = plan.targets.map((t) => new Map(t.cpus.map((cpus) => [cpus, { ...t.machine, cpus }])));
  const overrides = plan.targets.map(
    (t) => new Map(t.cpus.map((cpus) => [cpus, cpus === t.boardCpus ? t.overrides : ['cpus', ...t.overrides]])),
  );
  const cpusList = [...new Set(plan.targets.flatMap((t) => t.cpus))];
  const cells: Cell[] = [];
  for (const { item: kind, params, spec } of kinds) {
    for (const cpus of cpusList) {
      for (const seed of plan.seeds) {
        // One workload per (cpus, seed): every platform and kernel of these CPUs replays the same events.
        const workload = kind.create(params, { seed, cpus });
        plan.targets.forEach((t, i) => {
          const machine = machines[i]?.get(cpus);
          if (!machine) return;
          for (const kernel of t.kernels) {
            for (const s of strategies) {
              cells.push({
                strategy: s.item,
                strategyParams: s.params,
                strategyLabel: s.label,
                workload,
                machine,
                kernel,
                platform: t.platform,
                machineOverrides: overrides[i]?.get(cpus) ?? [],
                seed,
                // A user's module is checked unless asked not to: an unchecked bad address would be measured.
                check: plan.check ?? typeof s.module === 'string',
                timed: plan.throughput,
                source: { strategy: s.spec, module: s.module, workload: spec, index: -1 },
              });
            }
          }
        });
      }
    }
  }
  return cells;
}
