import { plural } from './number-text.ts';
import type { MissingCell, RunSource } from './run-schema.ts';

/** Cells named per kind of problem, at most. */
const NAMED = 3;

const cellName = (m: MissingCell) => `${m.strategy} on ${m.workload}${m.error ? ` (${m.error})` : ''}`;

/**
 * What an incomplete run lacks, in one paragraph for the top of the report: why (cells failed, the
 * run was interrupted, or it did not finish), failed and timed-out cells by name, then how many
 * were not run or not fully timed. Null for a complete run.
 */
export function describeIncomplete(run: RunSource): string | null {
  if (run.header.complete) return null;
  const { records, missing } = run.summary();
  const failed = missing.failed + missing.timeout;
  const unfinished = missing['not run'] + missing['not timed'];
  const how = [
    failed > 0 ? 'some cells failed' : '',
    run.header.interrupted ? 'it was interrupted' : '',
    !run.header.interrupted && (unfinished > 0 || failed === 0)
      ? 'it did not finish (stopped, killed, or still running)'
      : '',
  ].filter(Boolean);
  const named = namedCells(run.missing());
  const kinds: [MissingCell['reason'], string][] = [
    ['failed', 'failed'],
    ['timeout', 'timed out'],
    ['not run', 'not run'],
    ['not timed', 'not timed in every round'],
  ];
  const parts = kinds.flatMap(([reason, label]) => {
    const count = missing[reason];
    if (count === 0) return [];
    const names = named[reason];
    if (!names) return [`${plural(count, 'cell')} ${label}`];
    const more = count > NAMED ? `; and ${count - NAMED} more` : '';
    return [`${plural(count, 'cell')} ${label}: ${names.join('; ')}${more}`];
  });
  const measured = `${records} of ${plural(run.header.cells, 'cell')} measured`;
  return `Incomplete run: ${how.join(' and ')}. ${measured}${parts.length ? `; ${parts.join('; ')}` : ''}. The report covers only the cells that finished.`;
}

/** The first few failed and timed-out cells, by name. */
function namedCells(missing: Iterable<MissingCell>): Partial<Record<MissingCell['reason'], string[]>> {
  const out: Record<'failed' | 'timeout', string[]> = { failed: [], timeout: [] };
  for (const m of missing) {
    if (m.reason !== 'failed' && m.reason !== 'timeout') continue;
    const list = out[m.reason];
    if (list.length < NAMED) list.push(cellName(m));
  }
  return out;
}
