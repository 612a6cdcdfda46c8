import type { SeriesColumns } from '../core/record.ts';

/**
 * A bounded footprint-over-time series: one point per `stride` events, holding the largest
 * footprint of its stride (so peaks survive) with the live tables at that moment. When the points
 * fill up, neighbours merge and the stride doubles: memory stays bounded for any trace length.
 *
 * The meter's replay loop fills it through the public cursor (`count`, `stride`, `inStride`,
 * `pending`, `set`, `close`) with the cursor in locals, so that an event costs a compare and a
 * count, not a call.
 */
export class Series {
  readonly #event: Float64Array;
  readonly #footprint: Float64Array;
  readonly #live: Float64Array;
  /** Points closed so far; the open point, if `pending`, is at this index. */
  count = 0;
  /** Events per point. */
  stride = 1;
  /** Events seen in the open point. */
  inStride = 0;
  /** The open point holds at least one event. */
  pending = false;

  constructor(readonly maxPoints = 256) {
    this.#event = new Float64Array(maxPoints);
    this.#footprint = new Float64Array(maxPoints);
    this.#live = new Float64Array(maxPoints);
  }

  /** The footprint of the open point (meaningful while `pending`). */
  openFootprint(): number {
    return this.#footprint[this.count] as number;
  }

  /** The open point becomes this event. */
  set(event: number, footprint: number, live: number): void {
    const i = this.count;
    this.#event[i] = event;
    this.#footprint[i] = footprint;
    this.#live[i] = live;
  }

  /** The open point's stride is complete: close it, merging neighbours when the points are full. */
  close(): void {
    this.inStride = 0;
    this.pending = false;
    if (++this.count === this.maxPoints) this.#halve();
  }

  /** The points as columns (compact in JSON). */
  columns(): SeriesColumns {
    const n = this.count + (this.pending ? 1 : 0);
    return {
      event: Array.from(this.#event.subarray(0, n)),
      footprint_bytes: Array.from(this.#footprint.subarray(0, n)),
      live_tables: Array.from(this.#live.subarray(0, n)),
    };
  }

  #halve(): void {
    const half = this.maxPoints / 2;
    for (let j = 0; j < half; j++) {
      const a = 2 * j;
      const b = a + ((this.#footprint[a + 1] as number) > (this.#footprint[a] as number) ? 1 : 0);
      this.#event[j] = this.#event[b] as number;
      this.#footprint[j] = this.#footprint[b] as number;
      this.#live[j] = this.#live[b] as number;
    }
    this.count = half;
    this.stride *= 2;
  }
}
