import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import type { FullRecord } from '../core/record.ts';

/** Where a run's records go as its cells finish, by position in the plan. */
export interface RecordStore {
  /** Records held. */
  readonly size: number;
  /** Set (or replace: timing adds to a record after each round) the record of a cell. */
  put(position: number, record: FullRecord): void;
  get(position: number): FullRecord | undefined;
  /** Every record held, in plan order. */
  values(): IterableIterator<FullRecord>;
}

/** The spool's name in a run's folder (unlinked as soon as it is open, where the system allows). */
export const SPOOL_FILE = '.l2bench-records.spool';

/** A spool smaller than this is never compacted. */
const COMPACT_FLOOR = 64 << 20;

/** Records in memory: what an API caller gets back as `result.records`. */
export class MemoryRecords implements RecordStore {
  readonly #records: (FullRecord | undefined)[] = [];
  size = 0;

  put(position: number, record: FullRecord): void {
    if (this.#records[position] === undefined) this.size++;
    this.#records[position] = record;
  }

  get(position: number): FullRecord | undefined {
    return this.#records[position];
  }

  *values(): IterableIterator<FullRecord> {
    for (const r of this.#records) if (r !== undefined) yield r;
  }
}

/**
 * Records in a file, one JSON text each, appended as they come (a record timed again is appended
 * anew): memory holds only where each cell's latest record starts and how long it is, 12 bytes a
 * cell of the plan, however many cells have finished. The file is unlinked as soon as it is open,
 * so nothing is left behind even by a process killed outright (where the system cannot unlink an
 * open file, `close` removes it).
 */
export class SpooledRecords implements RecordStore {
  readonly #file: string;
  #fd: number;
  #unlinked = false;
  readonly #offset: Float64Array;
  readonly #length: Uint32Array;
  #end = 0;
  /** Bytes of the latest records: the rest of the file is records replaced since. */
  #live = 0;
  size = 0;

  readonly #compactAbove: number;

  /** `compactAbove`: the file is never compacted below this many bytes (64 MiB). */
  constructor(file: string, cells: number, options: { compactAbove?: number } = {}) {
    this.#file = file;
    this.#compactAbove = options.compactAbove ?? COMPACT_FLOOR;
    this.#fd = this.#open();
    this.#offset = new Float64Array(cells).fill(-1);
    this.#length = new Uint32Array(cells);
  }

  #open(): number {
    const fd = openSync(this.#file, 'wx+');
    try {
      rmSync(this.#file);
      this.#unlinked = true;
    } catch {
      // Removed on close instead.
    }
    return fd;
  }

  put(position: number, record: FullRecord): void {
    if (!(position >= 0 && position < this.#offset.length)) throw new RangeError(`no cell at position ${position}`);
    const bytes = Buffer.from(JSON.stringify(record));
    let done = 0;
    while (done < bytes.length) done += writeSync(this.#fd, bytes, done, bytes.length - done, this.#end + done);
    if (this.#offset[position] === -1) this.size++;
    else this.#live -= this.#length[position] as number;
    this.#offset[position] = this.#end;
    this.#length[position] = bytes.length;
    this.#end += bytes.length;
    this.#live += bytes.length;
    // Each round of timing appends every timed record anew: copy the latest ones into a new file
    // once the replaced ones are most of it, so the disk used stays within three times the records.
    if (this.#end > this.#compactAbove && this.#end > 3 * this.#live) this.#compact();
  }

  #compact(): void {
    // Where the file could not be unlinked, its name is taken: it just grows.
    if (!this.#unlinked) return;
    const old = this.#fd;
    const fd = this.#open();
    let end = 0;
    const buffer = Buffer.allocUnsafe(1 << 16);
    for (let i = 0; i < this.#offset.length; i++) {
      const at = this.#offset[i] as number;
      if (at < 0) continue;
      const length = this.#length[i] as number;
      const bytes = length <= buffer.length ? buffer.subarray(0, length) : Buffer.allocUnsafe(length);
      for (let done = 0; done < length; ) done += readSync(old, bytes, done, length - done, at + done);
      for (let done = 0; done < length; ) done += writeSync(fd, bytes, done, length - done, end + done);
      this.#offset[i] = end;
      end += length;
    }
    closeSync(old);
    this.#fd = fd;
    this.#end = end;
  }

  get(position: number): FullRecord | undefined {
    const at = this.#offset[position];
    if (at === undefined || at < 0) return undefined;
    const bytes = Buffer.allocUnsafe(this.#length[position] as number);
    let done = 0;
    while (done < bytes.length) {
      const n = readSync(this.#fd, bytes, done, bytes.length - done, at + done);
      if (n === 0) throw new Error(`${this.#file}: record of cell ${position} cut short`);
      done += n;
    }
    return JSON.parse(bytes.toString('utf8')) as FullRecord;
  }

  *values(): IterableIterator<FullRecord> {
    for (let i = 0; i < this.#offset.length; i++) {
      const r = this.get(i);
      if (r !== undefined) yield r;
    }
  }

  /** Bytes in the file: the latest records and those replaced since the last compaction. */
  get bytes(): number {
    return this.#end;
  }

  /** Close and remove the file. */
  close(): void {
    closeSync(this.#fd);
    rmSync(this.#file, { force: true });
  }
}
