import type { MachineOptions } from '../../strategies/machine/machine.ts';
import type { CellSource } from '../cell.ts';
import type { FullRecord } from '../record.ts';

/** A cell sent to a worker: its source and what the source does not say. */
export interface CellJob {
  readonly source: CellSource;
  readonly strategyLabel: string;
  readonly machine: MachineOptions;
  readonly seed: number;
  readonly check: boolean;
}

export type WorkerReply =
  | { readonly index: number; readonly record: FullRecord }
  | { readonly index: number; readonly error: { readonly name: string; readonly message: string } };

/** What every worker is started with: the strategy modules to load. */
export interface WorkerSetup {
  readonly modules: readonly string[];
}
