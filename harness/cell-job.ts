import { type CellKey, eventStreamId } from '../core/cell-key.ts';
import type { KernelVersion } from '../core/kernel.ts';
import { DEFAULT_PLATFORM } from '../core/platforms.ts';
import type { MachineOptions } from '../strategies/machine/machine.ts';
import type { CellJob, CellSource, PoolTask, WorkerTask } from './worker/protocol.ts';

/**
 * A cell as plain data: its record's key, and the job a worker rebuilds it from. Apart from the
 * cell's machinery (harness/cell.ts: the meter, the machine), so that a plan names its cells and
 * hands the first to a worker without loading the code that runs them.
 */
export interface CellFacts {
  readonly workload: { readonly spec: string };
  /** How the strategy is named in results: its name with non-default parameters, e.g. genalloc:algo=best. */
  readonly strategyLabel: string;
  readonly machine: MachineOptions;
  /** The Linux version whose allocators the strategy models (StrategyContext.kernel). */
  readonly kernel: KernelVersion;
  /**
   * The platform (core/platforms.ts) whose limits the cell is measured against; `machine` is its
   * board unless `machineOverrides` says otherwise. Default DEFAULT_PLATFORM (mt8173).
   */
  readonly platform?: string;
  /** The machine options that differ from the platform's board (`cpus`, `dram`, `base`, `fragment`). */
  readonly machineOverrides?: readonly string[];
  readonly seed: number;
  /** Run under the invariant checker. */
  readonly check: boolean;
  /** How to build this cell again elsewhere (a worker thread): specs, not objects. Cells built by hand have none. */
  readonly source?: CellSource;
}

/** The key its record will have: the cell as results name it. */
export function keyOfCell(cell: CellFacts): CellKey {
  return {
    workload: cell.workload.spec,
    strategy: cell.strategyLabel,
    platform: cell.platform ?? DEFAULT_PLATFORM,
    cpus: cell.machine.cpus,
    kernel: cell.kernel,
    seed: cell.seed,
  };
}

/** The job a worker rebuilds a cell from; null for a cell that cannot travel (a Strategy object given to the API). */
export function jobOf(cell: CellFacts): CellJob | null {
  if (!cell.source || cell.source.module === undefined) return null;
  return {
    source: cell.source,
    strategyLabel: cell.strategyLabel,
    machine: cell.machine,
    kernel: cell.kernel,
    platform: cell.platform ?? DEFAULT_PLATFORM,
    machineOverrides: cell.machineOverrides ?? [],
    seed: cell.seed,
    check: cell.check,
  };
}

/**
 * A cell's exact metrics as a worker's task, in its workload's group (whose worker keeps its events
 * for the group's next cell); `alone` for the run's only step, whose events nothing replays again.
 */
export function measureTask(job: CellJob, position: number, share: boolean, alone: boolean): PoolTask {
  const group = eventStreamId({ workload: job.source.workload, cpus: job.machine.cpus, seed: job.seed });
  const task: WorkerTask = share
    ? { kind: 'measure', job, share: true }
    : alone
      ? { kind: 'measure', job, alone: true }
      : { kind: 'measure', job };
  return { position, group, task };
}
