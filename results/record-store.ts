import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import type { FullRecord } from './record.ts';

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
  readonly #fd: number;
  readonly #offset: Float64Array;
  readonly #length: Uint32Array;
  #end = 0;
  size = 0;

  constructor(file: string, cells: number) {
    this.#file = file;
    this.#fd = openSync(file, 'wx+');
    try {
      rmSync(file);
    } catch {
      // Removed on close instead.
    }
    this.#offset = new Float64Array(cells).fill(-1);
    this.#length = new Uint32Array(cells);
  }

  put(position: number, record: FullRecord): void {
    if (!(position >= 0 && position < this.#offset.length)) throw new RangeError(`no cell at position ${position}`);
    const bytes = Buffer.from(JSON.stringify(record));
    let done = 0;
    while (done < bytes.length) done += writeSync(this.#fd, bytes, done, bytes.length - done, this.#end + done);
    if (this.#offset[position] === -1) this.size++;
    this.#offset[position] = this.#end;
    this.#length[position] = bytes.length;
    this.#end += bytes.length;
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

  /** Close and remove the file. */
  close(): void {
    closeSync(this.#fd);
    rmSync(this.#file, { force: true });
  }
}
