/**
 * `name:key=value,key=value` parameters, declared by strategies and workloads alike. The
 * declaration is data, so the CLI can list it and refuse an unknown key or an out-of-range value
 * with a message that names it.
 */
import { ParamError } from './errors.ts';

export type ParamDef =
  | {
      readonly kind: 'int';
      readonly description: string;
      readonly default: number;
      readonly min: number;
      readonly max: number;
    }
  | {
      /** Free text such as a file path; it cannot contain ',' (the spec separator). */
      readonly kind: 'string';
      readonly description: string;
      readonly default: string;
    }
  | {
      readonly kind: 'choice';
      readonly description: string;
      readonly default: string;
      readonly choices: readonly string[];
      /** Names the workload itself (iommu's scenario): always shown in its label, even at the default. */
      readonly identifies?: boolean;
    };

export type ParamDefs = Readonly<Record<string, ParamDef>>;
export type ParamValues = Readonly<Record<string, number | string>>;

/** Validate raw `key=value` strings against the declaration, filling in defaults. */
export function parseParams(owner: string, defs: ParamDefs, raw: Readonly<Record<string, string>>): ParamValues {
  const out: Record<string, number | string> = {};
  for (const [key, text] of Object.entries(raw)) {
    const def = defs[key];
    if (!def) {
      const keys = Object.keys(defs);
      throw new ParamError(
        `${owner}: unknown parameter '${key}' (${keys.length ? `allowed: ${keys.join(', ')}` : 'it takes none'})`,
      );
    }
    out[key] = parseValue(owner, key, def, text);
  }
  for (const [key, def] of Object.entries(defs)) if (!(key in out)) out[key] = def.default;
  return out;
}

function parseValue(owner: string, key: string, def: ParamDef, text: string): number | string {
  if (def.kind === 'string') {
    if (!text) throw new ParamError(`${owner}: ${key}= needs a value`);
    return text;
  }
  if (def.kind === 'choice') {
    if (!def.choices.includes(text)) {
      throw new ParamError(`${owner}: ${key}=${text} is not allowed (choose ${def.choices.join('|')})`);
    }
    return text;
  }
  if (!/^-?\d+$/.test(text.trim())) {
    throw new ParamError(`${owner}: ${key}=${text} is not a whole number (allowed ${def.min}..${def.max})`);
  }
  const value = Number(text);
  if (value < def.min || value > def.max) {
    throw new ParamError(`${owner}: ${key}=${text} is out of range (allowed ${def.min}..${def.max})`);
  }
  return value;
}

/** Read a validated integer parameter. */
export function intParam(values: ParamValues, key: string): number {
  const v = values[key];
  if (typeof v !== 'number') throw new ParamError(`parameter '${key}' is not a number`);
  return v;
}

/** Read a validated choice or string parameter. */
export function choiceParam(values: ParamValues, key: string): string {
  const v = values[key];
  if (typeof v !== 'string') throw new ParamError(`parameter '${key}' is not a string`);
  return v;
}

/** Read a string parameter, refusing it when empty: `owner: key= is required`. */
export function requiredString(owner: string, values: ParamValues, key: string): string {
  const v = values[key];
  if (typeof v !== 'string' || v === '') throw new ParamError(`${owner}: ${key}= is required`);
  return v;
}
