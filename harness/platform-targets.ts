import { InputError } from '../core/errors.ts';
import type { KernelVersion } from '../core/kernel.ts';
import { findPlatform, PLATFORMS } from '../core/platforms.ts';
import { checkMachine, type MachineOverrides } from './machine-options.ts';
import type { PlatformTarget } from './matrix.ts';

/** The machine keys as `--machine` names them. */
const KEY_NAMES = { dramBytes: 'dram', dramBase: 'base', fragmentDma32: 'fragment' } as const;

/** What a plan asks of its platforms: the kernels, and the CPU counts and machine options given. */
export interface TargetRequest {
  readonly platforms: readonly string[];
  readonly kernels: readonly KernelVersion[];
  /** CPU counts given (--cpus): every platform runs on them. Absent: each its board's. */
  readonly cpus?: readonly number[];
  /** Machine options given (--machine): they replace the board's. */
  readonly machine: MachineOverrides;
  /** The --machine text, to name it when the machine is refused. */
  readonly machineText?: string;
}

/**
 * Each platform asked for, as the plan runs it: its board's CPUs and DRAM unless the request gives
 * them (the record then names the keys that differ from the board), and the kernels asked for that
 * it runs. `skipped` names every (platform, kernel) asked for that the platform does not run.
 */
export function platformTargets(r: TargetRequest): {
  targets: PlatformTarget[];
  skipped: { platform: string; kernel: KernelVersion }[];
} {
  const targets: PlatformTarget[] = [];
  const skipped: { platform: string; kernel: KernelVersion }[] = [];
  for (const name of new Set(r.platforms)) {
    const p = findPlatform(name);
    if (!p) {
      throw new InputError(`not a platform l2bench knows (allowed: ${PLATFORMS.map((x) => x.name).join(', ')})`, {
        option: 'platforms',
        value: name,
      });
    }
    const board = { dramBase: p.board.dramBase.value, dramBytes: p.board.dramBytes.value, fragmentDma32: 0 };
    const machine = { ...board, ...r.machine };
    const cpus = r.cpus ?? [p.board.cpus.value];
    checkMachine(machine, cpus, r.machineText);
    const kernels = r.kernels.filter((k) => p.kernels[k] !== undefined);
    for (const k of r.kernels) if (!kernels.includes(k)) skipped.push({ platform: name, kernel: k });
    if (kernels.length === 0) continue;
    const overrides = (Object.keys(KEY_NAMES) as (keyof typeof KEY_NAMES)[])
      .filter((k) => machine[k] !== board[k])
      .map((k) => KEY_NAMES[k]);
    targets.push({ platform: name, kernels, cpus, machine, boardCpus: p.board.cpus.value, overrides });
  }
  return { targets, skipped };
}

/** One line for the (platform, kernel) pairs asked for that are not planned. */
export function skippedNotice(skipped: readonly { platform: string; kernel: string }[]): string {
  const byKernel = new Map<string, string[]>();
  for (const s of skipped) byKernel.set(s.kernel, [...(byKernel.get(s.kernel) ?? []), s.platform]);
  const parts = [...byKernel].map(([k, ps]) => `${[...new Set(ps)].join(', ')} under Linux ${k}`);
  return `not planned: ${parts.join('; ')}, which ${skipped.length === 1 ? 'that platform does' : 'those platforms do'} not run (l2bench list platforms)`;
}
