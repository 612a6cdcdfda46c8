import type { FullRecord } from '../../core/record.ts';
import { isHoldWorkload } from '../../core/workload-kind.ts';

/**
 * The one weighting of workloads every figure of the report uses (the answer, the cost section,
 * "Since v5.1" and the charts): each workload counts once, and the points of the hold sweep count
 * together as one workload, so 127 table counts do not outvote the rest. A workload's figure for a
 * strategy is the mean of the figure over its cells (one cell, or the sweep's points), each point
 * weighted alike.
 */

/** The label the hold sweep goes by when it is one workload. */
export const HOLD_SWEEP = 'hold sweep';

/** The workload a record counts toward: its own, or the hold sweep; per CPUs, seed and kernel, as cells are. */
export function workloadUnitOf(r: Pick<FullRecord, 'workload' | 'cpus' | 'seed'>): string {
  return [isHoldWorkload(r.workload) ? HOLD_SWEEP : r.workload, r.cpus, r.seed].join('\u0000');
}

/** The workload a unit id names, for text: `churn:live=64,…` or `hold sweep`. */
const unitWorkload = (unit: string): string => unit.split('\u0000')[0] as string;

/** One workload of the weighting: the strategies' figures there, and the cells behind them. */
export interface WorkloadUnit {
  id: string;
  /** The workload's name (`hold sweep` for the sweep). */
  workload: string;
  /** Each strategy's figure: the mean over the unit's cells of the value. */
  figures: Map<string, number>;
  /** Each strategy's records in the unit. */
  records: Map<string, FullRecord[]>;
}

/**
 * Each workload unit of these records (one kernel's and platform's: units never mix them) with each
 * strategy's figure there: the mean of `value` over the strategy's cells in the unit. A strategy
 * missing from some cell of a unit others ran, or whose value is null in one, has no figure there,
 * so every figure of a unit is a mean over the same cells.
 */
export function workloadUnits(
  records: readonly FullRecord[],
  value: (r: FullRecord) => number | null,
  among?: ReadonlySet<string>,
): WorkloadUnit[] {
  const units = new Map<string, { cells: Set<string>; records: Map<string, FullRecord[]> }>();
  for (const r of records) {
    if (among && !among.has(r.strategy)) continue;
    const id = workloadUnitOf(r);
    let unit = units.get(id);
    if (!unit) {
      unit = { cells: new Set(), records: new Map() };
      units.set(id, unit);
    }
    unit.cells.add(r.workload);
    const list = unit.records.get(r.strategy);
    if (list) list.push(r);
    else unit.records.set(r.strategy, [r]);
  }
  return [...units].map(([id, unit]) => {
    const figures = new Map<string, number>();
    for (const [strategy, rs] of unit.records) {
      const values = rs.map(value);
      if (rs.length !== unit.cells.size || values.some((v) => v === null || !Number.isFinite(v))) continue;
      figures.set(strategy, (values as number[]).reduce((s, v) => s + v, 0) / values.length);
    }
    return { id, workload: unitWorkload(id), figures, records: unit.records };
  });
}
