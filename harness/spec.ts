import { ParamError } from '../strategies/errors.ts';
import { type ParamDefs, type ParamValues, parseParams } from '../strategies/params.ts';
import { InputError } from './errors.ts';

/** Split `name:key=value,key=value` into its name and raw parameters. */
export function splitSpec(text: string, what: string): { name: string; raw: Record<string, string> } {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  if (!name) throw new InputError(`${what} '${text}': missing name`);
  const raw: Record<string, string> = {};
  if (colon >= 0) {
    for (const part of text.slice(colon + 1).split(',')) {
      if (!part.trim()) continue;
      const eq = part.indexOf('=');
      if (eq <= 0) throw new InputError(`${what} '${text}': '${part}' is not key=value`);
      const key = part.slice(0, eq).trim();
      if (key in raw) throw new InputError(`${what} '${text}': '${key}' is given twice`);
      raw[key] = part.slice(eq + 1).trim();
    }
  }
  return { name, raw };
}

/** Resolve a spec against a registry of named things with declared params. */
export function resolveSpec<T extends { name: string; params: ParamDefs }>(
  text: string,
  what: string,
  registry: readonly T[],
): { item: T; params: ParamValues } {
  const { name, raw } = splitSpec(text, what);
  const item = registry.find((r) => r.name === name);
  if (!item) {
    throw new InputError(`unknown ${what} '${name}' (allowed: ${registry.map((r) => r.name).join(', ')})`);
  }
  try {
    return { item, params: parseParams(`${what} ${name}`, item.params, raw) };
  } catch (e) {
    if (e instanceof ParamError) throw new InputError(e.message);
    throw e;
  }
}

/** Split a comma-separated option value, but not inside a `name:k=v,k=v` spec (a new item starts at a name). */
export function splitList(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(',')) {
    const item = part.trim();
    if (!item) continue;
    const last = out.length - 1;
    // `k=v` continues the previous spec's parameters.
    if (item.includes('=') && !item.includes(':') && last >= 0 && (out[last] as string).includes(':')) {
      out[last] = `${out[last]},${item}`;
    } else {
      out.push(item);
    }
  }
  return out;
}
