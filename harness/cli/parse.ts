import { InputError } from '../errors.ts';

/** Parse a list of whole numbers in a range, such as `--cpus 1,2,4`. */
export function parseIntList(text: string, option: string, min: number, max: number): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const t = part.trim();
    if (!/^\d+$/.test(t)) throw new InputError(`${option} ${text}: '${t}' is not a whole number`);
    const n = Number(t);
    if (n < min || n > max) throw new InputError(`${option} ${text}: ${n} is out of range (allowed ${min}..${max})`);
    out.push(n);
  }
  return out;
}

/** `--shard i/n`: 1 ≤ i ≤ n. */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count)
    throw new InputError(`--shard ${text}: expected i/n with 1 <= i <= n, e.g. 2/3`);
  return { index, count };
}
