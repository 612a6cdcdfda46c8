import { createChecked } from '../strategies/checker.ts';
import { PAGE_SIZE } from '../strategies/machine/constants.ts';
import { Machine, type MachineOptions } from '../strategies/machine/machine.ts';
import type { ParamValues } from '../strategies/params.ts';
import type { Strategy, TableAllocator } from '../strategies/types.ts';
import type { Workload } from '../workloads/events.ts';
import { Meter } from './meter.ts';
import type { CellRecord } from './record.ts';

export interface Cell {
  readonly strategy: Strategy;
  readonly strategyParams: ParamValues;
  /** How the strategy is named in results: its spec with parameters, e.g. genalloc:algo=best. */
  readonly strategyLabel: string;
  readonly workload: Workload;
  readonly machine: MachineOptions;
  readonly seed: number;
  /** Run under the invariant checker. */
  readonly check: boolean;
}

/** A fresh machine and strategy instance, ready to replay. */
export function instantiate(cell: Cell): { machine: Machine; meter: Meter; tables: TableAllocator } {
  const machine = new Machine(cell.machine);
  const account = machine.account(cell.strategyLabel);
  const ctx = { pages: account, cpus: machine.options.cpus, params: cell.strategyParams };
  const tables = cell.check ? createChecked(cell.strategy, ctx) : cell.strategy.create(ctx);
  return { machine, meter: new Meter(tables, account.counters), tables };
}

/** Run one cell to completion and return its exact metrics. */
export function runCell(cell: Cell): CellRecord {
  const { meter, tables } = instantiate(cell);
  for (const chunk of cell.workload.chunks()) meter.replay(chunk);
  return {
    workload: cell.workload.spec,
    strategy: cell.strategyLabel,
    cpus: cell.machine.cpus,
    seed: cell.seed,
    events: meter.events,
    allocs: meter.allocs,
    frees: meter.frees,
    alloc_failures: meter.allocFailures,
    peak_live_tables: meter.peakLive,
    peak_footprint_bytes: meter.peakFootprintPages * PAGE_SIZE,
    mean_footprint_bytes: meter.meanFootprintBytes,
    final_footprint_bytes: meter.pages.held * PAGE_SIZE,
    metadata_bytes: tables.metadataBytes(),
    pages_returned: meter.pages.pagesReturned,
    dma32_violations: meter.dma32Violations,
    work: meter.work(),
  };
}
