import { closeSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
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

/** The spool's name in a run's folder (removed once the run's result files hold every record). */
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
 * Records in a file, one JSON line each, appended as they come (a record timed again is appended
 * anew, and the later line wins): memory holds only where each cell's latest record starts and how
 * long it is, 12 bytes a cell of the plan, however many cells have finished. The file has a name in
 * the run's folder while the run goes, so that it can be kept, and named, when the run's final
 * files cannot be written (a full disk): `close` removes it once they are whole, `keep` leaves it.
 * A process killed outright leaves it too: every record it finished, one a line.
 */
export class SpooledRecords implements RecordStore {
  readonly file: string;
  #fd: number;
  #open = true;
  readonly #offset: Float64Array;
  readonly #length: Uint32Array;
  #end = 0;
  /** Bytes of the latest records: the rest of the file is records replaced since. */
  #live = 0;
  size = 0;

  readonly #compactAbove: number;
  /** The bytes of the file last read, from #windowAt: the lines text() gives are read a window at a time. */
  #window = Buffer.allocUnsafe(1 << 20);
  #windowAt = 0;
  #windowBytes = 0;

  /** `compactAbove`: the file is never compacted below this many bytes (64 MiB). */
  constructor(file: string, cells: number, options: { compactAbove?: number } = {}) {
    this.file = file;
    this.#compactAbove = options.compactAbove ?? COMPACT_FLOOR;
    this.#fd = openSync(file, 'wx+');
    this.#offset = new Float64Array(cells).fill(-1);
    this.#length = new Uint32Array(cells);
  }

  /** Append a record's line; a write that fails (a full disk) leaves the store as it was. */
  put(position: number, record: FullRecord): void {
    if (!(position >= 0 && position < this.#offset.length)) throw new RangeError(`no cell at position ${position}`);
    const bytes = Buffer.from(`${JSON.stringify(record)}\n`);
    writeAll(this.#fd, bytes, this.#end);
    if (this.#offset[position] === -1) this.size++;
    else this.#live -= (this.#length[position] as number) + 1;
    this.#offset[position] = this.#end;
    this.#length[position] = bytes.length - 1;
    this.#end += bytes.length;
    this.#live += bytes.length;
    // Each round of timing appends every timed record anew: copy the latest ones into a new file
    // once the replaced ones are most of it, so the disk used stays within three times the records.
    if (this.#end > this.#compactAbove && this.#end > 3 * this.#live) this.#compact();
  }

  /** The latest records, in plan order, into a new file that then takes this one's name. */
  #compact(): void {
    const next = `${this.file}.compact`;
    const fd = openSync(next, 'w+');
    const offset = new Float64Array(this.#offset.length).fill(-1);
    let end = 0;
    try {
      const buffer = Buffer.allocUnsafe(1 << 16);
      for (let i = 0; i < this.#offset.length; i++) {
        const at = this.#offset[i] as number;
        if (at < 0) continue;
        const length = (this.#length[i] as number) + 1;
        const bytes = length <= buffer.length ? buffer.subarray(0, length) : Buffer.allocUnsafe(length);
        readAll(this.#fd, bytes, at);
        writeAll(fd, bytes, end);
        offset[i] = end;
        end += length;
      }
      renameSync(next, this.file);
    } catch (e) {
      // No room for the copy: go on with the file as it is.
      closeSync(fd);
      rmSync(next, { force: true });
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') return;
      throw e;
    }
    closeSync(this.#fd);
    this.#fd = fd;
    this.#windowBytes = 0; // its bytes were the old file's
    this.#offset.set(offset);
    this.#end = end;
  }

  /** Has this cell a record? (Without reading it.) */
  has(position: number): boolean {
    return (this.#offset[position] ?? -1) >= 0;
  }

  /** Cells of the plan: positions 0 to cells − 1. */
  get cells(): number {
    return this.#offset.length;
  }

  get(position: number): FullRecord | undefined {
    const text = this.text(position);
    return text === undefined ? undefined : (JSON.parse(text) as FullRecord);
  }

  *values(): IterableIterator<FullRecord> {
    for (let i = 0; i < this.#offset.length; i++) {
      const r = this.get(i);
      if (r !== undefined) yield r;
    }
  }

  /**
   * Cell `position`'s record as its line holds it, JSON.stringify of the record (undefined without
   * one): what results.json lists, read without parsing it and making it again, which took most of
   * a save (and of a stop) once a run had finished tens of thousands of cells.
   */
  text(position: number): string | undefined {
    const at = this.#offset[position];
    if (at === undefined || at < 0) return undefined;
    const length = this.#length[position] as number;
    if (at < this.#windowAt || at + length > this.#windowAt + this.#windowBytes) this.#readWindow(at, length, position);
    return this.#window.toString('utf8', at - this.#windowAt, at - this.#windowAt + length);
  }

  /**
   * Read the file from `at` into the window, at least `length` bytes: cells finish about in plan
   * order, so the lines read in plan order mostly follow one another, a read a window, not a line.
   */
  #readWindow(at: number, length: number, position: number): void {
    if (length > this.#window.length) this.#window = Buffer.allocUnsafe(length);
    const bytes = Math.min(this.#window.length, this.#end - at);
    readAll(this.#fd, this.#window.subarray(0, bytes), at, () => `${this.file}: record of cell ${position} cut short`);
    this.#windowAt = at;
    this.#windowBytes = bytes;
  }

  /** Bytes in the file: the latest records and those replaced since the last compaction. */
  get bytes(): number {
    return this.#end;
  }

  /** Close and remove the file: the run's files hold every record now. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    closeSync(this.#fd);
    rmSync(this.file, { force: true });
  }

  /** Close and keep the file: it holds records no other file does. */
  keep(): void {
    if (!this.#open) return;
    this.#open = false;
    closeSync(this.#fd);
  }
}

function writeAll(fd: number, bytes: Uint8Array, at: number): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, at + done);
}

function readAll(fd: number, bytes: Uint8Array, at: number, short = () => 'file cut short'): void {
  for (let done = 0; done < bytes.length; ) {
    const n = readSync(fd, bytes, done, bytes.length - done, at + done);
    if (n === 0) throw new Error(short());
    done += n;
  }
}
