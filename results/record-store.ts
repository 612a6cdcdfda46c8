import type { FullRecord } from '../core/record.ts';
import { csvRow } from './csv.ts';
import { LineFile } from './line-file.ts';

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
 *
 * Beside it, each record's results.csv row, made once as the record comes, in a file with no name
 * (removed from the folder once opened, gone however the process ends: the records make it again):
 * a save, or a stop, copies the rows and the records' lines as they are, in plan order, rather than
 * parsing every record and formatting it again, which took most of a stop once tens of thousands
 * of cells had finished.
 */
export class SpooledRecords implements RecordStore {
  readonly file: string;
  readonly #json: LineFile;
  readonly #csv: LineFile;

  /** `compactAbove`: the files are never compacted below this many bytes (64 MiB). */
  constructor(file: string, cells: number, options: { compactAbove?: number } = {}) {
    this.file = file;
    this.#json = new LineFile(file, cells, options);
    try {
      this.#csv = new LineFile(`${file}.csv`, cells, { ...options, anonymous: true });
    } catch (e) {
      this.#json.close();
      throw e;
    }
  }

  get size(): number {
    return this.#json.size;
  }

  /** Append a record's line and its row; a write that fails (a full disk) leaves the store as it was. */
  put(position: number, record: FullRecord): void {
    if (!(position >= 0 && position < this.cells)) throw new RangeError(`no cell at position ${position}`);
    const row = Buffer.from(csvRow(record));
    const line = Buffer.from(`${JSON.stringify(record)}\n`);
    const rowAt = this.#csv.append(row);
    const lineAt = this.#json.append(line);
    this.#csv.set(position, rowAt, row.length);
    this.#json.set(position, lineAt, line.length);
  }

  /** Has this cell a record? (Without reading it.) */
  has(position: number): boolean {
    return this.#json.has(position);
  }

  /** Cells of the plan: positions 0 to cells − 1. */
  get cells(): number {
    return this.#json.cells;
  }

  get(position: number): FullRecord | undefined {
    const text = this.#json.text(position);
    return text === undefined ? undefined : (JSON.parse(text) as FullRecord);
  }

  *values(): IterableIterator<FullRecord> {
    for (let i = 0; i < this.cells; i++) {
      const r = this.get(i);
      if (r !== undefined) yield r;
    }
  }

  /**
   * Cell `position`'s record as its line holds it, JSON.stringify of the record, in UTF-8 (undefined
   * without one): what results.json lists. Bytes valid until the next read of the spool.
   */
  json(position: number): Buffer | undefined {
    return this.#json.bytesOf(position);
  }

  /** Cell `position`'s results.csv row, its newline included (undefined without one); bytes as json() gives. */
  csv(position: number): Buffer | undefined {
    return this.#csv.bytesOf(position, true);
  }

  /** Bytes in the file: the latest records and those replaced since the last compaction. */
  get bytes(): number {
    return this.#json.bytes;
  }

  /** Close and remove the file: the run's files hold every record now. */
  close(): void {
    this.#json.close();
    this.#csv.close();
  }

  /** Close and keep the file: it holds records no other file does. */
  keep(): void {
    this.#json.keep();
    this.#csv.keep();
  }
}
