import { InputError } from './errors.ts';
import { formatSpec, parseSpec } from './spec.ts';

/**
 * Parameter sweeps inside a workload spec: `hold:tables=1..4096` is every power of two from 1 to
 * 4096 (a log scale, with the end point added when it is not one), `a..b+s` steps by s, `a..b*f`
 * multiplies by f. Several swept keys give their product. A spec without ranges stands as it is.
 */
export function expandSweep(spec: string): string[] {
  const { name, params: raw } = parseSpec(spec, 'workload');
  // Only a value made of digits around `..` is a range: file=../trace.txt is a path.
  if (!Object.values(raw).some(isRange)) return [spec];
  let combos: [string, string][][] = [[]];
  for (const [key, value] of Object.entries(raw)) {
    const values = isRange(value) ? rangeValues(spec, key, value) : [value];
    combos = combos.flatMap((c) => values.map((v) => [...c, [key, v] as [string, string]]));
  }
  return combos.map((c) => formatSpec(name, c));
}

function isRange(value: string): boolean {
  return /^\d+\.\./.test(value);
}

function rangeValues(spec: string, key: string, value: string): string[] {
  const m = /^(\d+)\.\.(\d+)(?:([+*])(\d+))?$/.exec(value);
  if (!m) throw new InputError(`workload '${spec}': ${key}=${value} is not a range (a..b, a..b+step or a..b*factor)`);
  const [from, to, op, by] = [Number(m[1]), Number(m[2]), m[3], Number(m[4] ?? 2)];
  if (from > to) throw new InputError(`workload '${spec}': ${key}=${value} runs backwards`);
  if ((op === '+' && by < 1) || (op !== '+' && by < 2))
    throw new InputError(`workload '${spec}': ${key}=${value} never advances`);
  const out: number[] = [];
  if (op === '+') for (let v = from; v <= to; v += by) out.push(v);
  else {
    // A log scale: powers of the factor from the first one ≥ from (and from itself), then the end.
    let v = 1;
    while (v < from) v *= by;
    if (from < v || from === 0) out.push(from);
    for (; v <= to; v *= by) if (v > 0) out.push(v);
  }
  if (out[out.length - 1] !== to) out.push(to);
  if (out.length > 100_000) throw new InputError(`workload '${spec}': ${key}=${value} gives more than 100000 values`);
  return [...new Set(out)].map(String);
}
