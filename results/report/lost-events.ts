import type { FullRecord } from '../../core/record.ts';
import { plural } from '../number-text.ts';

/**
 * A threat for each workload whose recording lost events (`lost_events`, from the trace's header):
 * its cells replay a trace with events missing. None when no cell lost any (nor for a run older than
 * the metric, whose records do not say).
 */
export function lostEventThreats(records: readonly FullRecord[]): string[] {
  const byWorkload = new Map<string, { lost: number; cells: number }>();
  for (const r of records) {
    if (!r.lost_events) continue;
    const seen = byWorkload.get(r.workload);
    if (seen) {
      seen.lost = Math.max(seen.lost, r.lost_events);
      seen.cells++;
    } else byWorkload.set(r.workload, { lost: r.lost_events, cells: 1 });
  }
  return [...byWorkload].map(
    ([workload, { lost, cells }]) =>
      `The recording replayed by ${workload} lost ${plural(lost, 'event')} (its header says so): its ${plural(cells, 'cell')} replay an incomplete trace (a lost allocation is a table missing, a lost free one left live), so their figures may count too few or too many tables.`,
  );
}
