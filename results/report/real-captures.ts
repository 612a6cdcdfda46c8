import type { FullRecord } from '../../core/record.ts';
import { parseSpec } from '../../core/spec.ts';
import { plural } from '../number-text.ts';
import { least, most } from '../statistics.ts';
import { type Aggregation, aggregate, aggregateText, decide, disagreements } from './aggregations.ts';
import { isIommuScenario, isRealCapture } from './workload-groups.ts';

/** The decision rule's pick on some of a scope's workloads, and how sure. */
interface GroupAnswer {
  /** The strategy the rule picks, or null when no workload of the group had every strategy compared. */
  strategy: string | null;
  /** Best under every aggregation, not only by the rule. */
  agreed: boolean;
  /** The workloads (units) it was decided on. */
  units: number;
  aggregation: Aggregation;
}

/** What the real IOMMU captures change in one platform's and kernel's answer (null: the scope has none). */
export interface RealCaptures {
  /** Captured traces replayed (per device and shared), and the captures (folders) they come from. */
  traces: number;
  captures: number;
  /** Their peak live L2 tables under the v7s model, least and most. */
  peakTables: [number, number];
  /** The answer on the real captures alone, on the illustrative IOMMU scenarios alone (null when the run has none), on every workload but the captures, and on every workload (the scope's answer). */
  real: GroupAnswer;
  scenarios: GroupAnswer | null;
  without: GroupAnswer;
  all: GroupAnswer;
  /** One paragraph: what changes, in words. */
  sentences: string[];
}

function groupAnswer(
  records: readonly FullRecord[],
  value: (r: FullRecord) => number,
  compared: readonly string[],
  upstream: string,
): GroupAnswer {
  const agg = aggregate(records, value, compared);
  const strategy = agg.units.length ? decide(agg, upstream) : null;
  return {
    strategy,
    agreed: strategy !== null && agg.agreed.includes(strategy),
    units: agg.units.length,
    aggregation: agg,
  };
}

/** The folder a captured trace lies in: its capture (`mix-lazy-2cpu`). */
const captureOf = (r: FullRecord): string =>
  (parseSpec(r.workload).params.trace ?? '').split('/').slice(-2, -1)[0] ?? '';

const pick = (g: GroupAnswer): string =>
  g.strategy === null
    ? 'no strategy'
    : `${g.strategy}${g.agreed ? ' (best under every aggregation)' : ' (by the rule, not under every aggregation)'}`;

/** Whether adding the captures moves the answer, or only how sure it is. */
function changeText(all: GroupAnswer, without: GroupAnswer): string {
  if (all.strategy !== without.strategy) return 'change the answer';
  if (all.agreed === without.agreed) return 'do not change the answer';
  return all.agreed
    ? 'do not change the answer, and make every aggregation agree on it'
    : 'do not change the answer, but make the aggregations disagree on it';
}

/**
 * The decision rule applied to the real captures alone, to the illustrative IOMMU scenarios alone,
 * and to every workload with and without the captures, among the strategies that may be the answer
 * (`compared`): whether the captures pick what the invented scenarios pick, and whether they move the
 * scope's answer.
 */
export function realCaptures(
  records: readonly FullRecord[],
  value: (r: FullRecord) => number,
  compared: readonly string[],
  upstream: string,
): RealCaptures | null {
  const captured = records.filter(isRealCapture);
  if (captured.length === 0 || compared.length === 0) return null;
  const scenarioRecords = records.filter(isIommuScenario);
  const real = groupAnswer(captured, value, compared, upstream);
  const scenarios = scenarioRecords.length ? groupAnswer(scenarioRecords, value, compared, upstream) : null;
  const without = groupAnswer(
    records.filter((r) => !isRealCapture(r)),
    value,
    compared,
    upstream,
  );
  const all = groupAnswer(records, value, compared, upstream);
  const peaks = captured.map((r) => r.peak_live_tables);
  const traces = new Set(captured.map((r) => r.workload)).size;
  const captures = new Set(captured.map(captureOf)).size;
  const sentences = [
    `On the ${plural(traces, 'captured trace')} (${plural(captures, 'capture')}, per device and shared; ${least(peaks)} to ${most(peaks)} live L2 tables at the peak) the rule picks ${pick(real)}.`,
    // What a capture does not represent (issue 18): the guest's drivers, IOVA allocator and timing are not a v7s SoC's.
    "They are real map and unmap streams of an x86 guest's block, NVMe and network drivers behind an emulated VT-d (Linux 6.1, QEMU TCG): not a v7s SoC's display, camera or codec masters, its IOVA layout or its timing.",
    ...(real.strategy && !real.agreed
      ? disagreements(real.aggregation, real.strategy).map((d) => `On the captures, ${d}`)
      : []),
    scenarios
      ? `On the illustrative IOMMU scenarios it picks ${pick(scenarios)}: the real captures ${real.strategy === scenarios.strategy ? 'agree' : 'disagree'} with them.`
      : 'This run has no illustrative IOMMU scenario to set them against.',
    `On every workload it picks ${pick(all)}; without the real captures, ${pick(without)}: the real captures ${changeText(all, without)}.`,
  ];
  return {
    traces,
    captures,
    peakTables: [least(peaks), most(peaks)],
    real,
    scenarios,
    without,
    all,
    sentences,
  };
}

/** One cell of the figures' table: its text, and whether it is the pick's (shown bold). */
export interface FigureCell {
  text: string;
  pick: boolean;
}

/**
 * The figures behind the two picks, one row per strategy compared: bytes summed over the real
 * captures and the geometric mean of ratios there, then the same over the illustrative scenarios.
 */
export function realCapturesTable(rc: RealCaptures): { head: string[]; rows: FigureCell[][] } {
  const groups: [string, GroupAnswer | null][] = [
    ['real captures', rc.real],
    ['illustrative scenarios', rc.scenarios],
  ];
  const shown = groups.filter((g): g is [string, GroupAnswer] => g[1] !== null);
  const head = [
    'strategy',
    ...shown.flatMap(([name, g]) => [`${name}: bytes summed (${g.units})`, `${name}: geometric mean`]),
  ];
  const rows = rc.real.aggregation.rows.map((row) => [
    { text: row.strategy, pick: false },
    ...shown.flatMap(([, g]) => {
      const r = g.aggregation.rows.find((x) => x.strategy === row.strategy);
      const pick = g.strategy === row.strategy;
      return r
        ? [
            { text: aggregateText(r, 'sum', g.units), pick },
            { text: aggregateText(r, 'geomean', g.units), pick },
          ]
        : [
            { text: '–', pick: false },
            { text: '–', pick: false },
          ];
    }),
  ]);
  return { head, rows };
}

/** What the section says for a scope without real captures. */
export const NO_CAPTURES =
  'This run has no real IOMMU capture (iommu:trace=): the answer rests on models and synthetic patterns only.';
