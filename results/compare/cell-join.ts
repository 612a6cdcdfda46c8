import { type CellKey, cellId, cellKeyOf } from '../../core/cell-key.ts';
import { EXACT_NUMERIC_KEYS, type ExactNumericKey } from '../../core/metrics.ts';
import type { FullRecord } from '../../core/record.ts';

/**
 * What compare keeps of a record: its key, where it came in its run, its exact figures and what its
 * throughput is computed from; not its series, work counters or provenance.
 */
export interface CellSide {
  key: CellKey;
  /** Its place in its run's records. */
  ordinal: number;
  values: Pick<FullRecord, ExactNumericKey>;
  events: number;
  rounds: readonly number[] | undefined;
  samples: readonly number[];
}

function sideOf(r: FullRecord, ordinal: number): CellSide {
  const values = {} as Record<ExactNumericKey, FullRecord[ExactNumericKey]>;
  for (const k of EXACT_NUMERIC_KEYS) values[k] = r[k];
  return { key: cellKeyOf(r), ordinal, values, events: r.events, rounds: r.detail.rounds, samples: r.detail.samples };
}

/** The cells of two runs, joined on their key as both are read. */
export interface CellJoin {
  /** Each cell in both runs, as (base, new), when the second of the two is read. */
  pairs: Iterable<[CellSide, CellSide]>;
  /** Once `pairs` is read through: the cells of one run only, each in its run's order. */
  onlyBase(): CellKey[];
  onlyNew(): CellKey[];
  /** Once `pairs` is read through: the records of each run. */
  sizes(): { base: number; next: number };
}

/**
 * Join two runs' records on (workload, strategy, platform, cpus, kernel, seed), reading both a
 * record at a time, in step: a cell waits, in memory, only until its partner comes. Two runs of
 * one plan come in the same order, so memory holds a few cells; cells of one run only, or cells in
 * another order, wait until the end, and memory grows with them alone, never with the cells matched.
 */
export function joinCells(base: Iterable<FullRecord>, next: Iterable<FullRecord>): CellJoin {
  const waiting = { base: new Map<string, CellSide>(), next: new Map<string, CellSide>() };
  const sizes = { base: 0, next: 0 };
  function* pairs(): Generator<[CellSide, CellSide]> {
    const its = { base: base[Symbol.iterator](), next: next[Symbol.iterator]() };
    for (;;) {
      let read = false;
      for (const side of ['base', 'next'] as const) {
        const got = its[side].next();
        if (got.done) continue;
        read = true;
        const mine = sideOf(got.value, sizes[side]++);
        const other = side === 'base' ? waiting.next : waiting.base;
        const id = cellId(mine.key);
        const partner = other.get(id);
        if (!partner) waiting[side].set(id, mine);
        else {
          other.delete(id);
          yield side === 'base' ? [mine, partner] : [partner, mine];
        }
      }
      if (!read) return;
    }
  }
  const left = (side: 'base' | 'next') =>
    [...waiting[side].values()].sort((a, b) => a.ordinal - b.ordinal).map((s) => s.key);
  return { pairs: pairs(), onlyBase: () => left('base'), onlyNew: () => left('next'), sizes: () => ({ ...sizes }) };
}
