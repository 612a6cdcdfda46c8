/**
 * A cell's key as strings: the ids that match records of one cell, one stream, one comparison.
 * Without zod (its schema is cell-key-shape.ts): a worker thread loads this, and zod's hundred
 * modules were a third of a worker's start.
 */
import type { CellKey } from './cell-key-shape.ts';

export type { CellKey };

/** The columns that name a cell, in the order results list them. */
export const CELL_KEY_COLUMNS = ['workload', 'strategy', 'platform', 'cpus', 'kernel', 'seed'] as const;

type Column = (typeof CELL_KEY_COLUMNS)[number];

/** A string equal for two keys exactly when the columns given are. */
function keyOf<C extends Column>(columns: readonly C[]): (k: Pick<CellKey, C>) => string {
  return (k) => columns.map((c) => k[c]).join('\u0000');
}

/** One string per cell. */
export const cellId: (k: CellKey) => string = keyOf(CELL_KEY_COLUMNS);

/** A cell without its strategy: the records sharing it are the strategies compared on the same events and machine. */
export const comparedCellId = keyOf(['workload', 'platform', 'cpus', 'kernel', 'seed'] as const);

/** A cell without its kernel: the records sharing it are one strategy on the same events and platform under each kernel. */
export const acrossKernelsId = keyOf(['workload', 'strategy', 'platform', 'cpus', 'seed'] as const);

/** The events of a cell: the same workload spec, CPUs and seed give the same stream, whatever the strategy, platform and kernel. */
export const eventStreamId = keyOf(['workload', 'cpus', 'seed'] as const);

/** The key of a record (or of anything with the key's fields), without its other fields. */
export function cellKeyOf(k: CellKey): CellKey {
  return {
    workload: k.workload,
    strategy: k.strategy,
    platform: k.platform,
    cpus: k.cpus,
    kernel: k.kernel,
    seed: k.seed,
  };
}
