import { InputError } from '../core/errors.ts';
import { parseSpec } from '../core/spec.ts';
import { checkMachineOptions, type MachineOptions } from '../strategies/machine/machine.ts';

const UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** Parse the byte size of machine option `key`, such as 4G, 512M, 1073741824 or 1GiB. */
function parseBytes(text: string, key: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(text.trim());
  if (!m) {
    throw new InputError('not a size (examples: 4G, 512M, 1073741824)', { option: 'machine', value: `${key}=${text}` });
  }
  return Math.round(Number(m[1]) * (UNITS[(m[2] as string).toUpperCase()] as number));
}

const KEYS = 'dram, base, fragment';

/** Machine options a run may change: the platform's board gives the rest. */
export type MachineOverrides = Partial<Omit<MachineOptions, 'cpus'>>;

/** `dram=4G,base=1G,fragment=0.25`: overrides of the platform's board (only the keys given). */
export function parseMachine(text: string | undefined): MachineOverrides {
  const out: { -readonly [K in keyof MachineOverrides]: MachineOverrides[K] } = {};
  if (!text) return out;
  const { params: raw } = parseSpec(`machine:${text}`, 'machine');
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'dram') out.dramBytes = parseBytes(value, 'dram');
    else if (key === 'base') out.dramBase = parseBytes(value, 'base');
    else if (key === 'fragment') {
      const f = Number(value);
      if (!/^\d*\.?\d+$/.test(value) || !(f >= 0 && f < 1)) {
        throw new InputError('a fraction of ZONE_DMA32, 0 <= fragment < 1', {
          option: 'machine',
          value: `fragment=${value}`,
        });
      }
      out.fragmentDma32 = f;
    } else throw new InputError(`unknown key '${key}' (allowed: ${KEYS})`, { option: 'machine' });
  }
  return out;
}

/** Refuse a machine before any work, naming the option (the machine as given, or the CPU count). */
export function checkMachine(machine: Omit<MachineOptions, 'cpus'>, cpus: readonly number[], given?: string): void {
  for (const c of cpus) {
    try {
      checkMachineOptions({ ...machine, cpus: c });
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      throw new InputError(
        e.message,
        c === cpus[0] && given ? { option: 'machine', value: given } : { option: 'cpus', value: String(c) },
      );
    }
  }
}
