import type { KernelVersion } from '../core/kernel.ts';
import { parseParams } from '../core/params.ts';
import { createChecked } from '../strategies/checker.ts';
import { Machine, type MachineOptions, type PageAccount } from '../strategies/machine/machine.ts';
import type { Strategy, TableAllocator } from '../strategies/types.ts';

export interface Instance {
  machine: Machine;
  account: PageAccount;
  tables: TableAllocator;
}

/** A checked instance of a strategy on a fresh machine (or a shared one), for a kernel (default v5.1). */
export function instance(
  strategy: Strategy,
  machine: Machine | Partial<MachineOptions> = {},
  params: Record<string, string> = {},
  kernel?: KernelVersion,
): Instance {
  const m = machine instanceof Machine ? machine : new Machine(machine);
  const account = m.account(strategy.name);
  const tables = createChecked(strategy, {
    pages: account,
    cpus: m.options.cpus,
    params: parseParams(strategy.name, strategy.params, params),
    ...(kernel ? { kernel } : {}),
    totalramPages: m.totalPages,
  });
  return { machine: m, account, tables };
}

/** Allocate n tables on one CPU; every allocation must succeed. */
export function allocMany(tables: TableAllocator, n: number, cpu = 0): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const addr = tables.alloc(cpu);
    if (addr < 0) throw new Error(`allocation ${i} failed`);
    out.push(addr);
  }
  return out;
}

export const KiB = 1024;
