import { METRICS } from '../../core/metrics.ts';
import type { FullRecord } from '../../core/record.ts';

type Series = FullRecord['detail']['series'];
type Detail = FullRecord['detail'];

/** The fields a record holds as numbers: its CPUs and seed, and every metric but the text ones (null is NaN here). */
const NUMBER_FIELDS = ['cpus', 'seed', ...METRICS.filter((m) => m.unit !== 'text').map((m) => m.key)] as const;
/** The fields a record holds as strings: each held once, the cells naming it by its index. */
const TEXT_FIELDS = [
  'workload',
  'strategy',
  'platform',
  'kernel',
  ...METRICS.filter((m) => m.unit === 'text').map((m) => m.key),
] as const;

/**
 * One field of every record, in a typed array that grows as records come: a field with the same
 * value in every record so far (a timing figure a run without throughput leaves null, a count that
 * is always 0) holds that value alone, no array, until a record differs.
 */
class Column {
  #same = Number.NaN;
  #fresh = true;
  #values: Float64Array | null = null;

  /** Set a cell's value; a cell never set reads as one that was (a counter a record lacks is never read). */
  set(at: number, v: number): void {
    if (this.#values === null) {
      if (this.#fresh) {
        this.#fresh = false;
        this.#same = v;
      }
      if (Object.is(v, this.#same)) return;
      this.#values = new Float64Array(Math.max(1024, at * 2)).fill(this.#same);
    }
    if (at >= this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[at] = v;
  }

  get(at: number): number {
    return this.#values === null ? this.#same : (this.#values[at] as number);
  }
}

/** Each distinct value once, by number: a run of 10^6 cells names a few workloads per thousand cells. */
class Pool<T> {
  readonly values: T[] = [];
  readonly #index = new Map<string, number>();
  of(key: string, value: T): number {
    let i = this.#index.get(key);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(value);
      this.#index.set(key, i);
    }
    return i;
  }
}

/**
 * Each record's work counters (the cost model's input): a column per counter, and the names each
 * record has, in its order, as one of a few lists.
 */
class Counters {
  readonly #names = new Pool<string[]>();
  readonly #shape = new Column();
  readonly #columns = new Map<string, Column>();

  push(at: number, work: Record<string, number>): void {
    const names = Object.keys(work);
    this.#shape.set(at, this.#names.of(names.join('\u0000'), names));
    for (const k of names) {
      const c = this.#columns.get(k) ?? new Column();
      this.#columns.set(k, c);
      c.set(at, work[k] as number);
    }
  }

  get(at: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const k of this.#names.values[this.#shape.get(at)] as string[])
      out[k] = (this.#columns.get(k) as Column).get(at);
    return out;
  }
}

/** A series of no point: a record of no events. */
const NO_SERIES: Series = { event: [], footprint_bytes: [], live_tables: [] };

/**
 * Records held as columns: the figures in typed arrays (8 bytes a cell where they differ, none where
 * every cell has the same), the names and the detail without its series as indexes into pools of
 * distinct values, a series as its last point in three columns unless it is kept whole (the few a
 * chart draws). `push` takes a record as the report reads it; `records` gives a view of each, an
 * object of two fields whose getters read the columns, which the report's sections read as records.
 */
export class RecordColumns {
  #size = 0;
  readonly #numbers = new Map<string, Column>(NUMBER_FIELDS.map((k) => [k, new Column()]));
  readonly #texts = new Map<string, Column>(TEXT_FIELDS.map((k) => [k, new Column()]));
  readonly #strings = new Pool<string>();
  readonly #applicable = new Column();
  readonly #details = new Pool<Omit<Detail, 'series' | 'work'>>();
  readonly #work = new Counters();
  readonly #detail = new Column();
  readonly #last = { event: new Column(), footprint_bytes: new Column(), live_tables: new Column() };
  readonly #whole = new Map<number, Series>();

  /**
   * Add a record, with its modelled kernel cost, as the report reads it: of its detail, not the
   * timing samples or the cell's position, which the report does not read, nor the workload's
   * provenance unless `keep.workloadInfo`; the whole series if `keep.series`, else its last point.
   */
  push(r: FullRecord, kernelNsPerOp: number | null, keep: { series: boolean; workloadInfo: boolean }): void {
    const at = this.#size++;
    const fields = r as unknown as Record<string, unknown>;
    for (const [k, c] of this.#numbers)
      c.set(at, ((k === 'kernel_ns_per_op' ? kernelNsPerOp : fields[k]) as number | null) ?? Number.NaN);
    for (const [k, c] of this.#texts) c.set(at, this.#strings.of(fields[k] as string, fields[k] as string));
    this.#applicable.set(at, r.applicable === undefined ? Number.NaN : Number(r.applicable));
    const { series, samples: _samples, rounds: _rounds, cell: _cell, ...rest } = r.detail;
    const { work, ...others } = rest;
    const shared = { ...others, samples: [], workload_info: keep.workloadInfo ? rest.workload_info : {} };
    this.#detail.set(at, this.#details.of(JSON.stringify(shared), shared));
    this.#work.push(at, work);
    if (keep.series) this.#whole.set(at, series);
    const n = series.event.length;
    this.#last.event.set(at, n ? (series.event[n - 1] as number) : Number.NaN);
    this.#last.footprint_bytes.set(at, n ? (series.footprint_bytes[n - 1] as number) : Number.NaN);
    this.#last.live_tables.set(at, n ? (series.live_tables[n - 1] as number) : Number.NaN);
  }

  number(field: string, at: number): number | null {
    const v = (this.#numbers.get(field) as Column).get(at);
    return Number.isNaN(v) ? null : v;
  }

  text(field: string, at: number): string {
    return this.#strings.values[(this.#texts.get(field) as Column).get(at)] as string;
  }

  applicable(at: number): boolean | undefined {
    const v = this.#applicable.get(at);
    return Number.isNaN(v) ? undefined : v === 1;
  }

  /** The part of a record's detail it shares with others (all but its work counters and series). */
  shared(at: number): Omit<Detail, 'series' | 'work'> {
    return this.#details.values[this.#detail.get(at)] as Omit<Detail, 'series' | 'work'>;
  }

  work(at: number): Record<string, number> {
    return this.#work.get(at);
  }

  /** A record's series, whole or its last point. */
  series(at: number): Series {
    const whole = this.#whole.get(at);
    if (whole) return whole;
    const event = this.#last.event.get(at);
    if (Number.isNaN(event)) return NO_SERIES;
    return {
      event: [event],
      footprint_bytes: [this.#last.footprint_bytes.get(at)],
      live_tables: [this.#last.live_tables.get(at)],
    };
  }

  /** A view of every record, in the order pushed. */
  records(): FullRecord[] {
    const out = new Array<FullRecord>(this.#size);
    for (let i = 0; i < this.#size; i++) out[i] = new RecordView(this, i) as unknown as FullRecord;
    return out;
  }
}

/** A record read from the columns: a cell's index, its fields getters (defined below, on the prototype). */
class RecordView {
  constructor(
    readonly columns: RecordColumns,
    readonly at: number,
  ) {}
}

for (const k of NUMBER_FIELDS) {
  Object.defineProperty(RecordView.prototype, k, {
    get(this: RecordView) {
      return this.columns.number(k, this.at);
    },
  });
}
for (const k of TEXT_FIELDS) {
  Object.defineProperty(RecordView.prototype, k, {
    get(this: RecordView) {
      return this.columns.text(k, this.at);
    },
  });
}
Object.defineProperty(RecordView.prototype, 'applicable', {
  get(this: RecordView) {
    return this.columns.applicable(this.at);
  },
});
Object.defineProperty(RecordView.prototype, 'detail', {
  get(this: RecordView) {
    return new DetailView(this.columns, this.at);
  },
});

/** A record's detail read from the columns, as the record: an object of two fields, getters on its prototype. */
class DetailView {
  constructor(
    readonly columns: RecordColumns,
    readonly at: number,
  ) {}

  get work(): Record<string, number> {
    return this.columns.work(this.at);
  }

  get series(): Series {
    return this.columns.series(this.at);
  }
}

/** Every field of a detail but its work and series: those a record shares with others. */
const SHARED_DETAIL = {
  cell: true,
  placement: true,
  strategy_params: true,
  strategy_note: true,
  requirements: true,
  requirements_unbuildable: true,
  applicability: true,
  machine_overrides: true,
  workload_category: true,
  samples: true,
  rounds: true,
  workload_info: true,
} satisfies Record<Exclude<keyof Detail, 'work' | 'series'>, true>;

for (const k of Object.keys(SHARED_DETAIL) as (keyof typeof SHARED_DETAIL)[]) {
  Object.defineProperty(DetailView.prototype, k, {
    get(this: DetailView) {
      return this.columns.shared(this.at)[k];
    },
  });
}
