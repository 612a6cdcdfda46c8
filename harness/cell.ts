import { InputError } from '../core/errors.ts';
import { NOT_YET } from '../core/metrics.ts';
import type { ParamValues } from '../core/params.ts';
import {
  DEFAULT_PLATFORM,
  findPlatform,
  type Platform,
  type PlatformKernel,
  placementLimitBytes,
} from '../core/platforms.ts';
import type { FullRecord } from '../core/record.ts';
import { applicabilityOf } from '../core/requirements.ts';
import { createChecked } from '../strategies/checker.ts';
import { Machine, type MachineOptions, type PageAccount } from '../strategies/machine/machine.ts';
import { requirementsOf, type Strategy, type TableAllocator } from '../strategies/types.ts';
import type { EventChunk, Workload } from '../workloads/events.ts';
import { type CellFacts, keyOfCell } from './cell-job.ts';
import { Meter, type WorkloadValues } from './meter.ts';

/** A cell: what it is as plain data (CellFacts), and the objects that run it. */
export interface Cell extends CellFacts {
  readonly strategy: Strategy;
  readonly strategyParams: ParamValues;
  readonly workload: Workload;
  /** Measure throughput too (when the run does). */
  readonly timed: boolean;
}

/**
 * A machine in its boot state and a fresh strategy instance on it, the way every replay starts:
 * `machine` (built for the same options) is reset and reused; without it a new one is built.
 */
export function instantiate(cell: Cell, machine?: Machine): { machine: Machine; tables: TableAllocator; meter: Meter } {
  const made = instantiateTables(cell, machine);
  return { ...made, meter: new Meter(made.tables, made.account, placementLimitBytes(platformFacts(cell).facts)) };
}

/** The cell's platform and its facts under the cell's kernel; refused when the platform does not run it. */
function platformFacts(cell: Cell): { platform: Platform; facts: PlatformKernel } {
  const name = cell.platform ?? DEFAULT_PLATFORM;
  const platform = findPlatform(name);
  if (!platform) throw new InputError(`unknown platform '${name}' (l2bench list platforms)`, { option: 'platforms' });
  const facts = platform.kernels[cell.kernel];
  if (!facts) throw new InputError(`${name} does not run Linux ${cell.kernel}`, { option: 'platforms', value: name });
  return { platform, facts };
}

/**
 * As instantiate, without the meter: a timed replay measures the strategy alone, and need not
 * allocate the meter's per-KiB bitmap (512 KiB for 4 GiB) before every replay.
 */
export function instantiateTables(
  cell: Cell,
  machine?: Machine,
): { machine: Machine; tables: TableAllocator; account: PageAccount } {
  if (machine) machine.reset();
  else machine = new Machine(cell.machine);
  const account = machine.account(cell.strategyLabel);
  const ctx = {
    pages: account,
    cpus: machine.options.cpus,
    params: cell.strategyParams,
    kernel: cell.kernel,
    totalramPages: machine.totalPages,
  };
  const tables = cell.check ? createChecked(cell.strategy, ctx) : cell.strategy.create(ctx);
  return { machine, tables, account };
}

/** What a strategy's non-default parameters mean, from their own declarations: '' for the defaults. */
function variantNote(cell: Cell): string {
  return Object.entries(cell.strategy.params)
    .filter(([k, def]) => cell.strategyParams[k] !== def.default)
    .map(([k, def]) => `${k}=${cell.strategyParams[k]}: ${def.description}`)
    .join('; ');
}

/**
 * Run one cell to completion and return its exact metrics (timing columns empty); `machine` as for
 * instantiate. `events`, when given, is the workload's whole stream already generated (shared by the
 * strategies of a workload, so a model such as the IOMMU's runs once, not once per strategy).
 */
export function measureCell(cell: Cell, machine?: Machine, events?: EventChunk): FullRecord {
  const { tables, meter } = instantiate(cell, machine);
  if (events) meter.replay(events);
  else for (const chunk of cell.workload.chunks()) meter.replay(chunk);
  const { platform, facts } = platformFacts(cell);
  const { applicable, reason } = applicabilityOf(
    requirementsOf(cell.strategy, cell.strategyParams),
    platform,
    cell.kernel,
  );
  const requirements = { ...(tables.requirements?.() ?? {}) };
  return {
    ...keyOfCell(cell),
    applicable,
    ...meter.exactValues(),
    ...workloadValues(cell.workload),
    ...NOT_YET,
    detail: {
      cell: cell.source?.index ?? -1,
      placement: cell.strategy.placement,
      strategy_params: { ...cell.strategyParams },
      strategy_note: variantNote(cell),
      requirements,
      requirements_unbuildable: unbuildable(cell, requirements, facts),
      applicability: reason,
      machine_overrides: [...(cell.machineOverrides ?? [])],
      workload_category: cell.workload.category,
      work: meter.work(),
      series: meter.series.columns(),
      samples: [],
      workload_info: { ...(cell.workload.info ?? {}), ...(cell.workload.lastPass?.() ?? {}) },
    },
  };
}

/** The exact metrics the workload says of itself: the events its recording lost (0 for a generated one). */
function workloadValues(workload: Workload): WorkloadValues {
  return { lost_events: workload.lostEvents ?? 0 };
}

/** For each value requirements() names that the kernel could not build on the platform, why. */
function unbuildable(cell: Cell, requirements: Record<string, number>, facts: PlatformKernel): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(requirements)) {
    const why = cell.strategy.unbuildable?.(key, value, cell.kernel, facts) ?? '';
    if (why) out[key] = why;
  }
  return out;
}

/**
 * Machines kept for reuse, one per machine options: building one costs O(DRAM) (a 4 GiB machine is
 * a million pages of typed arrays), resetting one O(pages touched). Holds a few at most.
 */
export class Machines {
  readonly #kept = new Map<string, Machine>();
  constructor(readonly max = 4) {}

  /** A machine with these options, in its boot state (the caller resets it through instantiate). */
  get(options: MachineOptions): Machine {
    const key = JSON.stringify(options);
    let m = this.#kept.get(key);
    if (!m) {
      if (this.#kept.size >= this.max) this.#kept.clear();
      m = new Machine(options);
      this.#kept.set(key, m);
    }
    return m;
  }
}
