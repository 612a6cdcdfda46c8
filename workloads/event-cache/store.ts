import { mkdirSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The environment variables that place and bound the cache (CONTRIBUTING.md, README.md). */
export const CACHE_DIR_ENV = 'L2BENCH_CACHE_DIR';
export const CACHE_MAX_ENV = 'L2BENCH_CACHE_MAX';
/** Entries kept at most, by default, in bytes: the least recently used go first beyond it. */
const DEFAULT_CACHE_MAX = 2 * 1024 ** 3;
/** Entry files end in this; the index of converted files is in `files/`, conversions under way are `.tmp-*`. */
export const ENTRY_SUFFIX = '.l2ev';
/** A temporary file older than this is from a conversion that died: pruning removes it. */
const STALE_TMP_MS = 3600_000;

/**
 * Where converted traces are kept: $L2BENCH_CACHE_DIR when set (`off` turns the cache off), else
 * $XDG_CACHE_HOME/l2bench/events, else ~/.cache/l2bench/events. Never beside a user's trace.
 * undefined when the cache is off.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const set = env[CACHE_DIR_ENV];
  if (set !== undefined && set !== '') return set === 'off' ? undefined : set;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'l2bench', 'events');
}

/** $L2BENCH_CACHE_MAX in bytes (a whole number, optionally with K, M or G), else the default; a bad value is an error naming it. */
export function cacheMax(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[CACHE_MAX_ENV];
  if (raw === undefined || raw === '') return DEFAULT_CACHE_MAX;
  const m = /^(\d+)([KMG]?)$/i.exec(raw.trim());
  if (!m) throw new Error(`${CACHE_MAX_ENV}=${raw}: a size in bytes, e.g. 500M or 4G`);
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[(m[2] as string).toUpperCase()] as number;
  return Number(m[1]) * unit;
}

/** Make the folder and its index folder if missing. */
export function ensureDir(dir: string): void {
  mkdirSync(join(dir, 'files'), { recursive: true });
}

export interface CacheListing {
  readonly dir: string | undefined;
  readonly max: number;
  readonly entries: number;
  readonly bytes: number;
}

/** What the cache holds now (for `l2bench cache`). */
export function listCache(env: NodeJS.ProcessEnv = process.env): CacheListing {
  const dir = cacheDir(env);
  const entries = dir ? entryFiles(dir) : [];
  return {
    dir,
    max: cacheMax(env),
    entries: entries.length,
    bytes: entries.reduce((sum, e) => sum + e.size, 0),
  };
}

/** Remove every entry, the index and any temporary file; returns how many entries went. */
export function clearCache(env: NodeJS.ProcessEnv = process.env): number {
  const dir = cacheDir(env);
  if (!dir) return 0;
  const entries = entryFiles(dir);
  for (const e of entries) rmSync(e.path, { force: true });
  for (const name of names(dir)) if (name.startsWith('.tmp-')) rmSync(join(dir, name), { force: true });
  rmSync(join(dir, 'files'), { recursive: true, force: true });
  return entries.length;
}

/**
 * Keep the entries within `max` bytes: the least recently used (oldest mtime: a replay touches its
 * entry) are removed first, never `keep`; temporary files of dead conversions go too.
 */
export function prune(dir: string, max: number, keep: string): void {
  const now = Date.now();
  for (const name of names(dir)) {
    if (!name.startsWith('.tmp-')) continue;
    const path = join(dir, name);
    try {
      if (now - statSync(path).mtimeMs > STALE_TMP_MS) unlinkSync(path);
    } catch {
      // gone already, or another process's
    }
  }
  const entries = entryFiles(dir).sort((a, b) => a.mtimeMs - b.mtimeMs);
  let total = entries.reduce((sum, e) => sum + e.size, 0);
  for (const e of entries) {
    if (total <= max) break;
    if (e.path === keep) continue;
    rmSync(e.path, { force: true });
    total -= e.size;
  }
}

function names(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function entryFiles(dir: string): { path: string; size: number; mtimeMs: number }[] {
  const out = [];
  for (const name of names(dir)) {
    if (!name.endsWith(ENTRY_SUFFIX)) continue;
    const path = join(dir, name);
    try {
      const s = statSync(path);
      out.push({ path, size: s.size, mtimeMs: s.mtimeMs });
    } catch {
      // removed meanwhile by another process
    }
  }
  return out;
}
