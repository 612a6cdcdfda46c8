import { plural } from './number-text.ts';
import type { MissingCell, RunResult } from './run-schema.ts';

/** Cells named per kind of problem, at most. */
const NAMED = 3;

const cellName = (m: MissingCell) => `${m.strategy} on ${m.workload}${m.error ? ` (${m.error})` : ''}`;

/**
 * What an incomplete run lacks, in one paragraph for the top of the report: failed and timed-out
 * cells by name, then how many were not run or not fully timed. Null for a complete run.
 */
export function describeIncomplete(run: RunResult): string | null {
  if (run.complete) return null;
  const unfinished = run.missing.some((m) => m.reason === 'not run' || m.reason === 'not timed');
  const how = run.interrupted
    ? 'it was interrupted'
    : unfinished || run.missing.length === 0
      ? 'it did not finish (stopped, killed, or still running)'
      : 'some cells failed';
  const kinds: [MissingCell['reason'], string][] = [
    ['failed', 'failed'],
    ['timeout', 'timed out'],
    ['not run', 'not run'],
    ['not timed', 'not timed in every round'],
  ];
  const parts = kinds.flatMap(([reason, label]) => {
    const cells = run.missing.filter((m) => m.reason === reason);
    if (cells.length === 0) return [];
    if (reason === 'not run' || reason === 'not timed') return [`${plural(cells.length, 'cell')} ${label}`];
    const named = cells.slice(0, NAMED).map(cellName).join('; ');
    const more = cells.length > NAMED ? `; and ${cells.length - NAMED} more` : '';
    return [`${plural(cells.length, 'cell')} ${label}: ${named}${more}`];
  });
  const measured = `${run.records.length} of ${plural(run.cells, 'cell')} measured`;
  return `Incomplete run: ${how}. ${measured}${parts.length ? `; ${parts.join('; ')}` : ''}. The report covers only the cells that finished.`;
}
