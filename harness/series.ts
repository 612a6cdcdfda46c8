import type { SeriesColumns } from '../core/record.ts';

/**
 * A bounded footprint-over-time series: one point per `stride` events, holding the largest
 * footprint of its stride (so peaks survive) with the live tables at that moment. When the points
 * fill up, neighbours merge and the stride doubles: memory stays bounded for any trace length.
 */
export class Series {
  readonly #event: Float64Array;
  readonly #footprint: Float64Array;
  readonly #live: Float64Array;
  #count = 0;
  #stride = 1;
  #inStride = 0;
  #pending = false;

  constructor(readonly maxPoints = 256) {
    this.#event = new Float64Array(maxPoints);
    this.#footprint = new Float64Array(maxPoints);
    this.#live = new Float64Array(maxPoints);
  }

  add(event: number, footprint: number, live: number): void {
    const i = this.#count;
    if (!this.#pending || footprint > (this.#footprint[i] as number)) {
      this.#event[i] = event;
      this.#footprint[i] = footprint;
      this.#live[i] = live;
    }
    this.#pending = true;
    if (++this.#inStride < this.#stride) return;
    this.#inStride = 0;
    this.#pending = false;
    if (++this.#count === this.maxPoints) this.#halve();
  }

  /** The points as columns (compact in JSON). */
  columns(): SeriesColumns {
    const n = this.#count + (this.#pending ? 1 : 0);
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
    this.#count = half;
    this.#stride *= 2;
  }
}
