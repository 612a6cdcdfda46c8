import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError } from '../core/errors.ts';
import { isPlacement, PLACEMENTS } from '../core/placement.ts';
import { renameSpec, specName } from '../core/spec.ts';
import type { Strategy } from '../strategies/types.ts';

let typescript: Promise<void> | null = null;

/**
 * Let this thread import TypeScript: tsx's loaders, registered on first need, so that the compiled
 * l2bench loads no TypeScript loader unless it loads a user's strategy module (which may be
 * TypeScript, or import some: a .mjs module may import a .ts one). Both are registered, so a module
 * loads whether or not its folder is an ES-module package. From source, l2bench itself came
 * through a TypeScript loader (tsx, vitest), which loads the module too.
 */
function loadTypeScript(): Promise<void> {
  if (import.meta.url.endsWith('.ts')) return Promise.resolve();
  typescript ??= Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]).then(([esm, cjs]) => {
    esm.register();
    cjs.register();
  });
  return typescript;
}

/**
 * Import a user's module so that it cannot end the run behind our back: process.exit() while it
 * evaluates throws instead (the run would end with exit 0 and no files), and a top-level await that
 * never settles, found when the event loop runs dry ('beforeExit'), rejects instead of letting the
 * process end silently.
 */
async function importGuarded(url: string): Promise<Record<string, unknown>> {
  const exit = process.exit;
  let onDry: (() => void) | undefined;
  const never = new Promise<never>((_, reject) => {
    onDry = () => reject(new Error('its top-level code never settles (an await on nothing that can finish)'));
    process.once('beforeExit', onDry);
  });
  process.exit = ((code?: number | string | null) => {
    throw new Error(`it calls process.exit(${code ?? ''}) while loading`);
  }) as typeof process.exit;
  try {
    return (await Promise.race([import(url), never])) as Record<string, unknown>;
  } finally {
    process.exit = exit;
    if (onDry) process.removeListener('beforeExit', onDry);
  }
}

/**
 * A TypeScript module with `export default` in a folder that is not an ES-module package loads as
 * CommonJS, and its default export arrives wrapped once more ({ default: strategy }).
 */
function unwrapDefault(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || 'name' in v) return v;
  const inner = (v as { default?: unknown }).default;
  return typeof inner === 'object' && inner !== null ? inner : v;
}

/**
 * Load a user's strategy module: its default export, or its export named `strategy`, must
 * implement the Strategy interface. Returns the strategy and the spec rewritten to its name.
 */
export async function loadStrategyModule(spec: string): Promise<{ strategy: Strategy; spec: string; module: string }> {
  const path = specName(spec);
  let mod: Record<string, unknown>;
  try {
    await loadTypeScript();
    mod = await importGuarded(pathToFileURL(resolve(path)).href);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ERR_MODULE_NOT_FOUND' ? 'no such module' : (err.message ?? String(e)).split('\n')[0];
    throw new InputError(`cannot load (${why})`, { option: 'strategies', value: path });
  }
  const candidate = unwrapDefault(mod.default ?? mod.strategy) as Partial<Strategy> | undefined;
  const problems: string[] = [];
  if (!candidate || typeof candidate !== 'object') problems.push('no default export or `strategy` export');
  else {
    if (typeof candidate.name !== 'string' || !candidate.name) problems.push('name is not a string');
    if (typeof candidate.create !== 'function') problems.push('create is not a function');
    if (!isPlacement(candidate.placement))
      problems.push(`placement is not ${PLACEMENTS.map((p) => `'${p}'`).join(' or ')}`);
    if (typeof candidate.params !== 'object' || candidate.params === null) problems.push('params is not an object');
  }
  if (problems.length) {
    throw new InputError(`not a strategy (${problems.join('; ')})`, { option: 'strategies', value: path });
  }
  const strategy = { description: '(loaded module)', ...candidate } as Strategy;
  return { strategy, spec: renameSpec(spec, strategy.name), module: resolve(path) };
}
