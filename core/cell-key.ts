import { z } from 'zod';
import { DEFAULT_KERNEL } from './kernel.ts';
import { DEFAULT_PLATFORM } from './platforms.ts';

/** A cell of the matrix, as records name it: what runs are matched on. */
export const cellKeyShape = z.object({
  /** The workload's canonical spec (`hold:tables=8`). */
  workload: z.string(),
  /** The strategy with its non-default parameters (`genalloc:algo=best`). */
  strategy: z.string(),
  /** The platform (core/platforms.ts) whose board and limits the cell models; mt8173 in runs written before the platform axis. */
  platform: z.string().min(1).default(DEFAULT_PLATFORM),
  cpus: z.number().int().positive(),
  /** The Linux version whose allocators the cell models; v5.1 in runs written before the kernel axis. */
  kernel: z.string().min(1).default(DEFAULT_KERNEL),
  seed: z.number().int(),
});

export type CellKey = z.infer<typeof cellKeyShape>;

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
