import type { FullRecord } from '../../core/record.ts';
import { TABLE_SIZE } from '../../core/sizes.ts';
import { isHoldWorkload } from '../../core/workload-kind.ts';
import { formatBytes, formatCount, plural } from '../number-text.ts';
import { heldAtEnd, heldAtPeak, liveAtEnd } from './held.ts';
import type { GivenBackRow } from './model.ts';

/**
 * Workloads that free tables after their peak: fewer tables live at the end than at the peak. The
 * hold sweep is left out (it frees nothing before its end).
 */
const drains = (r: FullRecord): boolean => !isHoldWorkload(r.workload) && liveAtEnd(r) < r.peak_live_tables;

/**
 * When a strategy first gave memory back after its peak, from its footprint series: the first point
 * after the (first) highest one that is lower. Each point is the highest footprint of its stretch of
 * events, so a lower point means every event of its stretch held less: the first return happened by
 * that point's event. Null when the series never falls below its peak.
 */
function firstReturn(r: FullRecord): { peakEvent: number; byEvent: number } | null {
  const { event, footprint_bytes: held } = r.detail.series;
  let top = 0;
  for (let i = 1; i < held.length; i++) if ((held[i] as number) > (held[top] as number)) top = i;
  for (let i = top + 1; i < held.length; i++) {
    if ((held[i] as number) < (held[top] as number))
      return { peakEvent: event[top] as number, byEvent: event[i] as number };
  }
  return null;
}

/**
 * Memory given back over time, per strategy, over the workloads that drain: what it held at its peak
 * and at the end, and the most it gave back after its peak (returned_after_peak_bytes: the peak less
 * the least held after it), pages and metadata, summed; the workload where it kept the most, and,
 * there, when it first gave memory back.
 */
export function givenBack(records: readonly FullRecord[], strategies: readonly string[]): GivenBackRow[] {
  const out: GivenBackRow[] = [];
  for (const strategy of strategies) {
    const rows = records.filter((r) => r.strategy === strategy && drains(r));
    if (rows.length === 0) continue;
    const atPeak = rows.reduce((s, r) => s + heldAtPeak(r), 0);
    const atEnd = rows.reduce((s, r) => s + heldAtEnd(r), 0);
    // Before the metric, the least after the peak is not known: what it held at the end bounds it.
    const returned = rows.reduce(
      (s, r) => s + ((r.returned_after_peak_bytes as number | null) ?? heldAtPeak(r) - heldAtEnd(r)),
      0,
    );
    // Where it kept the most beyond what its live tables need.
    const excess = (r: FullRecord) => heldAtEnd(r) - liveAtEnd(r) * TABLE_SIZE;
    const most = rows.reduce((m, r) => (excess(r) > excess(m) ? r : m));
    const first = firstReturn(most);
    const kept = `keeps ${formatBytes(heldAtEnd(most))} at the end of ${most.workload} with ${plural(liveAtEnd(most), 'table')} live (${formatBytes(heldAtPeak(most))} at its peak, ${formatCount(most.peak_live_tables)} tables)`;
    const when =
      returned === 0
        ? 'never gives memory back: it holds its peak to the end of every workload that frees tables'
        : first
          ? `${kept}; there it first gave memory back by event ${formatCount(first.byEvent)} of ${formatCount(most.events)}, its peak being at event ${formatCount(first.peakEvent)}`
          : kept;
    out.push({ strategy, workloads: rows.length, at_peak: atPeak, at_end: atEnd, returned, when });
  }
  return out;
}
