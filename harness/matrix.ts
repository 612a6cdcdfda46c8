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

/** What to run: every strategy × workload × CPU count × kernel × seed. */
export interface Plan {
  strategies: readonly string[];
  /** Workload specs; ranges (`tables=1..4096`) expand into sweeps. */
  workloads: readonly string[];
  cpus: readonly number[];
  /** The Linux versions whose allocators the strategies model. */
  kernels: readonly KernelVersion[];
  seeds: readonly number[];
  machine: Omit<MachineOptions, 'cpus'>;
  check: boolean;
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
  const cells: Cell[] = [];
  for (const { item: kind, params, spec } of kinds) {
    for (const cpus of plan.cpus) {
      // One options object for every cell of these CPUs: a plan of 10^5 cells should not hold 10^5 copies.
      const machine = { ...plan.machine, cpus };
      for (const seed of plan.seeds) {
        // One workload per (cpus, seed): every kernel replays the same events.
        const workload = kind.create(params, { seed, cpus });
        for (const kernel of plan.kernels) {
          for (const s of strategies) {
            cells.push({
              strategy: s.item,
              strategyParams: s.params,
              strategyLabel: s.label,
              workload,
              machine,
              kernel,
              seed,
              check: plan.check,
              timed: plan.throughput,
              source: { strategy: s.spec, module: s.module, workload: spec, index: -1 },
            });
          }
        }
      }
    }
  }
  return cells;
}
