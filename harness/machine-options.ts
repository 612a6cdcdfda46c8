import { checkMachineOptions, DEFAULT_MACHINE, type MachineOptions } from '../strategies/machine/machine.ts';
import { splitSpec, UsageError } from './spec.ts';

const UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** Parse a byte size such as 4G, 512M, 1073741824 or 1GiB. */
export function parseBytes(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${what}=${text}: not a size (examples: 4G, 512M, 1073741824)`);
  return Math.round(Number(m[1]) * (UNITS[(m[2] as string).toUpperCase()] as number));
}

const KEYS = 'dram, base, fragment';

/** `--machine dram=4G,base=1G,fragment=0.25`: overrides of the MT8173-like default machine. */
export function parseMachine(text: string | undefined): Omit<MachineOptions, 'cpus'> {
  const out = { dramBase: DEFAULT_MACHINE.dramBase, dramBytes: DEFAULT_MACHINE.dramBytes, fragmentDma32: 0 };
  if (!text) return out;
  const { raw } = splitSpec(`machine:${text}`, '--machine');
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'dram') out.dramBytes = parseBytes(value, '--machine dram');
    else if (key === 'base') out.dramBase = parseBytes(value, '--machine base');
    else if (key === 'fragment') {
      const f = Number(value);
      if (!/^\d*\.?\d+$/.test(value) || !(f >= 0 && f < 1)) {
        throw new UsageError(`--machine fragment=${value}: a fraction of ZONE_DMA32, 0 <= fragment < 1`);
      }
      out.fragmentDma32 = f;
    } else throw new UsageError(`--machine: unknown key '${key}' (allowed: ${KEYS})`);
  }
  return out;
}

/** Refuse a machine before any work, naming the option as the user wrote it. */
export function checkMachine(machine: Omit<MachineOptions, 'cpus'>, cpus: readonly number[], given?: string): void {
  for (const c of cpus) {
    try {
      checkMachineOptions({ ...machine, cpus: c });
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      throw new UsageError(`${c === cpus[0] && given ? `--machine ${given}` : '--cpus'}: ${e.message}`);
    }
  }
}

/** Parse a list of whole numbers in a range, such as `--cpus 1,2,4`. */
export function parseIntList(text: string, option: string, min: number, max: number): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const t = part.trim();
    if (!/^\d+$/.test(t)) throw new UsageError(`${option} ${text}: '${t}' is not a whole number`);
    const n = Number(t);
    if (n < min || n > max) throw new UsageError(`${option} ${text}: ${n} is out of range (allowed ${min}..${max})`);
    out.push(n);
  }
  return out;
}
