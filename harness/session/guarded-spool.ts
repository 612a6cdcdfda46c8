import type { FullRecord } from '../../core/record.ts';
import { csvRow } from '../../results/csv.ts';
import type { RecordStore, SpooledRecords } from '../../results/record-store.ts';

/**
 * The spool as a run writes into it: a record the disk refuses (full, or failing) is held in
 * memory instead, the run told (it stops), and read back with the others; nothing computed is
 * dropped on the way.
 */
export class GuardedSpool implements RecordStore {
  readonly #spool: SpooledRecords;
  readonly #held = new Map<number, FullRecord>();
  readonly #onError: (e: unknown) => void;

  constructor(spool: SpooledRecords, onError: (e: unknown) => void) {
    this.#spool = spool;
    this.#onError = onError;
  }

  get size(): number {
    let extra = 0;
    for (const position of this.#held.keys()) if (!this.#spool.has(position)) extra++;
    return this.#spool.size + extra;
  }

  /** Records held in memory only: the disk refused them. */
  get unsaved(): number {
    return this.#held.size;
  }

  put(position: number, record: FullRecord): void {
    try {
      this.#spool.put(position, record);
      this.#held.delete(position);
    } catch (e) {
      this.#held.set(position, record);
      this.#onError(e);
    }
  }

  get(position: number): FullRecord | undefined {
    return this.#held.get(position) ?? this.#spool.get(position);
  }

  /**
   * Every record held as results.json lists it (JSON.stringify of each), in plan order
   * (RunSource.recordsJson): the spool's lines as bytes, those the disk refused made now.
   */
  *jsonTexts(): IterableIterator<string | Uint8Array> {
    for (let i = 0; i < this.#spool.cells; i++) {
      const held = this.#held.get(i);
      const text = held ? JSON.stringify(held) : this.#spool.json(i);
      if (text !== undefined) yield text;
    }
  }

  /** Every record held as results.csv rows, in plan order (RunSource.recordsCsv), as jsonTexts gives them. */
  *csvRows(): IterableIterator<string | Uint8Array> {
    for (let i = 0; i < this.#spool.cells; i++) {
      const held = this.#held.get(i);
      const row = held ? csvRow(held) : this.#spool.csv(i);
      if (row !== undefined) yield row;
    }
  }

  *values(): IterableIterator<FullRecord> {
    for (let i = 0; i < this.#spool.cells; i++) {
      const r = this.get(i);
      if (r !== undefined) yield r;
    }
  }
}
