import { createHash, randomBytes } from 'node:crypto';
import {
  type BigIntStats,
  closeSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import type { EventChunk } from '../events.ts';
import { BadEntry, type EntryHeader, EntryWriter, readBlocks, readHeader, verifyEntry } from './entry.ts';
import { fileHash } from './hash.ts';
import { cacheDir, cacheMax, ENTRY_SUFFIX, ensureDir, prune } from './store.ts';

/** What a conversion is keyed by besides the file's content: the converter and its version, and every option it reads. */
export type CacheKey = Readonly<Record<string, string | number | boolean>>;

/**
 * One pass over a trace file that yields its table events with the trace's own CPU numbers (not
 * folded), feeding every byte it reads, as stored, to onBytes and the file's fstat, once open, to
 * onOpen; it returns the facts to keep beside the events (format, highest CPU, counts).
 */
export type Conversion = (
  onBytes: (bytes: Uint8Array) => void,
  onOpen: (stats: Stats) => void,
) => Generator<EventChunk, Record<string, unknown>>;

/** A trace's events as the cache holds them: replayed from the entry, with the conversion's facts. */
export interface CachedEvents {
  /** sha256 of the trace file as stored. */
  readonly sha256: string;
  readonly meta: Readonly<Record<string, unknown>>;
  /** How many events a pass gives. */
  readonly events: number;
  /** A fresh pass over the events, each trace CPU c on c % cpus. */
  chunks(cpus: number): Iterable<EventChunk>;
}

/** Trace CPUs are kept in 16 bits: a trace with a higher one is not cached (it replays from the file). */
const MAX_CACHED_CPU = 0xffff;

/** Whether an entry found through the index is read whole and checked before it is used (see entriesCheckedByPlan). */
let checkFoundEntries = true;

/**
 * For a thread that replays the cells of a run another thread planned (a worker): the plan found
 * and checked each entry whole in this run before handing out any of its cells, so here a found
 * entry's header alone is checked, not its every block a second time (a second trace run's worker
 * read 8 MB and computed their CRC-32 before its replay); each block is still checked as it is
 * replayed, and an entry damaged since the plan stops the cell ("changed during the run").
 * `checked` false: back to checking found entries whole.
 */
export function entriesCheckedByPlan(checked = true): void {
  checkFoundEntries = !checked;
}

/**
 * A trace file's events, converted once and kept in the cache folder (store.ts): found by the
 * file's identity (device, inode, size, change and modification times, to the nanosecond) in the
 * folder's index, which gives its content hash; else converted in one read that hashes the file
 * (a large one on another thread: hash.ts) and writes the entry (to a temporary file renamed into place, so that a process converting the
 * same file at the same time never sees half an entry). An entry that fails its checks (cut short,
 * a wrong CRC-32, another layout) is converted again, never replayed. undefined when the cache is
 * off or its folder cannot be written: the caller then reads the trace itself.
 */
export function cachedEvents(file: string, key: CacheKey, convert: Conversion): CachedEvents | undefined {
  const dir = cacheDir();
  if (!dir) return undefined;
  try {
    ensureDir(dir);
  } catch {
    return undefined;
  }
  const keyHash = sha256Hex(JSON.stringify(key)).slice(0, 16);
  const indexPath = join(dir, 'files', `${sha256Hex(resolve(file))}.json`);
  const known = knownHash(indexPath, file);
  if (known) {
    const path = entryPath(dir, known, keyHash);
    const header = verified(path, key);
    if (header) {
      touch(path);
      return fromEntry(path, known, header);
    }
  }
  const tmp = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  let writer: EntryWriter;
  try {
    writer = new EntryWriter(tmp);
  } catch {
    return undefined; // a folder that cannot be written: the caller reads the trace itself
  }
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    // the conversion says why it cannot read the file
  }
  const hash = fileHash(size);
  let opened: Stats | undefined;
  let meta: Record<string, unknown>;
  let sha256: string;
  let header: EntryHeader;
  try {
    const pass = convert(
      (b) => hash.update(b),
      (s) => (opened = s),
    );
    for (let step = pass.next(); ; step = pass.next()) {
      if (step.done) {
        meta = step.value;
        break;
      }
      writer.append(step.value);
    }
    sha256 = hash.digest();
    header = writer.finish({ ...key, sha256 }, meta);
  } catch (e) {
    hash.abandon();
    writer.abandon();
    rmSync(tmp, { force: true });
    throw e;
  }
  if (typeof meta.maxCpu === 'number' && meta.maxCpu > MAX_CACHED_CPU) {
    rmSync(tmp, { force: true });
    return undefined;
  }
  const path = entryPath(dir, sha256, keyHash);
  try {
    renameSync(tmp, path);
  } catch {
    rmSync(tmp, { force: true });
    return undefined;
  }
  if (opened) writeIndex(indexPath, file, opened, sha256);
  prune(dir, cacheMax(), path);
  // Not read back: this process wrote it, and the replay checks each block's CRC-32 as it reads it.
  return fromEntry(path, sha256, header);
}

function fromEntry(path: string, sha256: string, header: EntryHeader): CachedEvents {
  return {
    sha256,
    meta: header.meta,
    events: header.events,
    *chunks(cpus: number) {
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch (e) {
        throw new Error(`event cache: ${path} went away during the run (${(e as Error).message}): run again`);
      }
      try {
        yield* readBlocks(fd, readHeader(fd), cpus);
      } catch (e) {
        if (e instanceof BadEntry)
          throw new Error(`event cache: ${path} changed during the run (${e.message}): run again`);
        throw e;
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** The entry's header when the whole entry checks out and holds what `key` asks for; else undefined. */
function verified(path: string, key: CacheKey): EntryHeader | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const header = readHeader(fd);
    for (const [k, v] of Object.entries(key)) if (header.key[k] !== v) return undefined;
    if (checkFoundEntries) verifyEntry(fd, header);
    return header;
  } catch (e) {
    if (e instanceof BadEntry || e instanceof SyntaxError) return undefined;
    throw e;
  } finally {
    closeSync(fd);
  }
}

const entryPath = (dir: string, sha256: string, keyHash: string) => join(dir, `${sha256}-${keyHash}${ENTRY_SUFFIX}`);

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** What identifies a file's content without reading it, to the nanosecond: any write changes its ctime. */
function identity(s: BigIntStats): string {
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}

/** The content hash the index holds for this file, if its identity is unchanged since. */
function knownHash(indexPath: string, file: string): string | undefined {
  try {
    const rec = JSON.parse(readFileSync(indexPath, 'utf8')) as { identity: string; sha256: string };
    return rec.identity === identity(statSync(file, { bigint: true })) ? rec.sha256 : undefined;
  } catch {
    return undefined;
  }
}

/** Record the file's identity now, if it is still the file that was opened for the conversion (same inode, size and mtime). */
function writeIndex(indexPath: string, file: string, opened: Stats, sha256: string): void {
  try {
    const now = statSync(file, { bigint: true });
    // The identity at open, to the nanosecond: the file must not have changed since (size and ms times agree).
    const same =
      Number(now.ino) === opened.ino &&
      Number(now.size) === opened.size &&
      Number(now.mtimeMs) === Math.trunc(opened.mtimeMs);
    if (!same) return;
    const tmp = `${indexPath}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
    writeFileSync(tmp, JSON.stringify({ file: resolve(file), identity: identity(now), sha256 }));
    renameSync(tmp, indexPath);
  } catch {
    // an index that cannot be written only costs a conversion next time
  }
}

/** Mark an entry used now: pruning removes the least recently used first. */
function touch(path: string): void {
  try {
    const now = new Date();
    utimesSync(path, now, now);
  } catch {
    // read-only cache: pruning order only
  }
}
