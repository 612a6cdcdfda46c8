import { ENTRY_SEPARATOR } from '../results/json.ts';
import type { MissingCell } from '../results/run-schema.ts';

/** Cells a block: the unit whose text is kept. */
const BLOCK = 4096;

/**
 * A run's missing cells as results.json lists them, a block of cells at a time (RunSource.missingJson).
 * The text of a block whose cells have none of them started is made once and kept: such a cell's
 * entry says `not run` and cannot change until it runs. A run of 10^6 cells stopped a few seconds in
 * lists about 10^6 such entries (190 MB of JSON); made again at every save and at the stop, they took
 * most of the 2 s a stop took, and now are written as they were kept. Kept text is at most what the
 * list would be, in a few hundred strings; a block's goes once one of its cells starts.
 */
export class MissingJson {
  readonly #kept = new Map<number, Buffer>();

  /**
   * `cells` in the plan; `entry(i)`: cell i's entry, null when it is done; `notRun(i)`: whether cell
   * i's entry is `not run` (it has neither a record nor a failure); `notRunJson(i)`: that entry's
   * JSON, made faster than JSON.stringify of entry(i) (harness/not-run-json.ts), when there is a way.
   */
  constructor(
    readonly cells: number,
    readonly entry: (i: number) => MissingCell | null,
    readonly notRun: (i: number) => boolean,
    readonly notRunJson: (i: number) => string = (i) => JSON.stringify(entry(i)),
  ) {}

  /**
   * The entries, as JSON joined by ENTRY_SEPARATOR, a block a piece (a block with none is left out):
   * a kept block as its UTF-8 bytes, so that a save copies them as they are.
   */
  *texts(): Generator<string | Uint8Array> {
    for (let from = 0; from < this.cells; from += BLOCK) {
      const to = Math.min(this.cells, from + BLOCK);
      if (!this.#allNotRun(from, to)) {
        this.#kept.delete(from);
        const text = this.#render(from, to);
        if (text) yield text;
        continue;
      }
      let bytes = this.#kept.get(from);
      if (bytes === undefined) {
        const parts: string[] = [];
        for (let i = from; i < to; i++) parts.push(this.notRunJson(i));
        bytes = Buffer.from(parts.join(ENTRY_SEPARATOR));
        this.#kept.set(from, bytes);
      }
      yield bytes;
    }
  }

  #allNotRun(from: number, to: number): boolean {
    for (let i = from; i < to; i++) if (!this.notRun(i)) return false;
    return true;
  }

  #render(from: number, to: number): string {
    const parts: string[] = [];
    for (let i = from; i < to; i++) {
      const m = this.entry(i);
      if (m) parts.push(JSON.stringify(m));
    }
    return parts.join(ENTRY_SEPARATOR);
  }
}
