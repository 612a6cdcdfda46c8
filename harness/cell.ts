import { type FullRecord, NOT_YET } from '../results/record.ts';
import { createChecked } from '../strategies/checker.ts';
import { Machine, type MachineOptions } from '../strategies/machine/machine.ts';
import type { ParamValues } from '../strategies/params.ts';
import type { KernelVersion, Strategy, TableAllocator } from '../strategies/types.ts';
import type { Workload } from '../workloads/events.ts';
import { Meter } from './meter.ts';

export interface Cell {
  readonly strategy: Strategy;
  readonly strategyParams: ParamValues;
  /** How the strategy is named in results: its name with non-default parameters, e.g. genalloc:algo=best. */
  readonly strategyLabel: string;
  readonly workload: Workload;
  readonly machine: MachineOptions;
  /** The Linux version whose allocators the strategy models (StrategyContext.kernel). */
  readonly kernel: KernelVersion;
  readonly seed: number;
  /** Run under the invariant checker. */
  readonly check: boolean;
  /** Measure throughput too (when the run does). */
  readonly timed: boolean;
  /** How to build this cell again elsewhere (a worker thread): specs, not objects. Cells built by hand have none. */
  readonly source?: CellSource;
}

/** A cell as plain data: enough for another thread to rebuild it, and its place in the plan. */
export interface CellSource {
  /** The strategy spec as resolved (`genalloc:algo=best`). */
  readonly strategy: string;
  /** The module the strategy came from, if not built in (null: built in; undefined: an object that cannot travel). */
  readonly module: string | null | undefined;
  /** One expanded workload spec (`hold:tables=8`). */
  readonly workload: string;
  /** Position in the whole plan: shards and parallel runs keep this order. */
  readonly index: number;
}

/** A fresh machine and strategy instance, the way every replay starts. */
export function instantiate(cell: Cell): { machine: Machine; tables: TableAllocator; meter: Meter } {
  const machine = new Machine(cell.machine);
  const account = machine.account(cell.strategyLabel);
  const ctx = {
    pages: account,
    cpus: machine.options.cpus,
    params: cell.strategyParams,
    kernel: cell.kernel,
    totalramPages: machine.totalPages,
  };
  const tables = cell.check ? createChecked(cell.strategy, ctx) : cell.strategy.create(ctx);
  return { machine, tables, meter: new Meter(tables, account) };
}

/** What a strategy's non-default parameters mean, from their own declarations: '' for the defaults. */
function variantNote(cell: Cell): string {
  return Object.entries(cell.strategy.params)
    .filter(([k, def]) => cell.strategyParams[k] !== def.default)
    .map(([k, def]) => `${k}=${cell.strategyParams[k]}: ${def.description}`)
    .join('; ');
}

/** Run one cell to completion and return its exact metrics (timing columns empty). */
export function measureCell(cell: Cell): FullRecord {
  const { tables, meter } = instantiate(cell);
  for (const chunk of cell.workload.chunks()) meter.replay(chunk);
  return {
    workload: cell.workload.spec,
    strategy: cell.strategyLabel,
    cpus: cell.machine.cpus,
    kernel: cell.kernel,
    seed: cell.seed,
    ...meter.exactValues(),
    ...NOT_YET,
    detail: {
      cell: cell.source?.index ?? -1,
      placement: cell.strategy.placement,
      strategy_params: { ...cell.strategyParams },
      strategy_note: variantNote(cell),
      requirements: { ...(tables.requirements?.() ?? {}) },
      workload_category: cell.workload.category,
      work: meter.work(),
      series: meter.series.columns(),
      samples: [],
      workload_info: { ...(cell.workload.info ?? {}), ...(cell.workload.lastPass?.() ?? {}) },
    },
  };
}
