/**
 * The spec grammar: `name:key=value,key=value` names a strategy, a workload or a cost-table entry
 * with its parameters. Read and written here only. A value holds no ',' (the separator) but may
 * hold ':' or '='; only the first ':' ends the name.
 */
import { InputError } from './errors.ts';
import { type ParamDefs, type ParamValues, parseParams } from './params.ts';

/** A spec's name, parameters as written (raw strings, in order). */
export interface Spec {
  readonly name: string;
  readonly params: Readonly<Record<string, string>>;
}

/** The name of a spec: `hold:tables=8` → `hold`; a module path for `./mine.ts:slots=2`. */
export function specName(text: string): string {
  const colon = text.indexOf(':');
  return (colon < 0 ? text : text.slice(0, colon)).trim();
}

/** Does a --strategy item name a module file rather than a built-in? */
export function isModuleSpec(spec: string): boolean {
  const path = specName(spec);
  return path.startsWith('.') || path.startsWith('/') || /\.(ts|js|mjs|mts)$/.test(path);
}

/** The same spec under another name: `./mine.ts:slots=2` → `mine:slots=2`. */
export function renameSpec(text: string, name: string): string {
  const colon = text.indexOf(':');
  return colon < 0 ? name : `${name}${text.slice(colon)}`;
}

/** Read `name:key=value,…`; bad text is an InputError naming `what` (`workload`, `strategy`) and the text. */
export function parseSpec(text: string, what = 'spec'): Spec {
  const name = specName(text);
  if (!name) throw new InputError(`${what} '${text}': missing name`);
  const params: Record<string, string> = {};
  const colon = text.indexOf(':');
  if (colon >= 0) {
    for (const part of text.slice(colon + 1).split(',')) {
      if (!part.trim()) continue;
      const eq = part.indexOf('=');
      if (eq <= 0) throw new InputError(`${what} '${text}': '${part}' is not key=value`);
      const key = part.slice(0, eq).trim();
      if (key in params) throw new InputError(`${what} '${text}': '${key}' is given twice`);
      params[key] = part.slice(eq + 1).trim();
    }
  }
  return { name, params };
}

/** Write a spec: the name alone without parameters, else `name:key=value,…` in the order given. */
export function formatSpec(
  name: string,
  params: Readonly<Record<string, string | number>> | readonly (readonly [string, string | number])[],
): string {
  const pairs = Array.isArray(params) ? params : Object.entries(params);
  return pairs.length === 0 ? name : `${name}:${pairs.map(([k, v]) => `${k}=${v}`).join(',')}`;
}

/** Resolve a spec against a registry of named things with declared params. */
export function resolveSpec<T extends { name: string; params: ParamDefs }>(
  text: string,
  what: string,
  registry: readonly T[],
): { item: T; params: ParamValues } {
  const { name, params } = parseSpec(text, what);
  const item = registry.find((r) => r.name === name);
  if (!item) {
    throw new InputError(`unknown ${what} '${name}' (allowed: ${registry.map((r) => r.name).join(', ')})`);
  }
  return { item, params: parseParams(`${what} ${name}`, item.params, params) };
}

/** Split a comma-separated list of specs: a new item starts at a name, `k=v` continues the spec before it. */
export function splitList(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(',')) {
    const item = part.trim();
    if (!item) continue;
    const last = out.length - 1;
    if (item.includes('=') && !item.includes(':') && last >= 0 && (out[last] as string).includes(':')) {
      out[last] = `${out[last]},${item}`;
    } else {
      out.push(item);
    }
  }
  return out;
}
