import type { z } from 'zod';
import { builtOnce } from './built-once.ts';
import { DEFAULT_KERNEL } from './kernel.ts';
import { DEFAULT_PLATFORM } from './platforms.ts';
import { zod } from './zod.ts';

/** A cell of the matrix, as records name it: what runs are matched on (built at first use). */
export const cellKeyShape = builtOnce(() => {
  const z = zod();
  return z.object({
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
});

export type CellKey = z.infer<ReturnType<typeof cellKeyShape>>;
