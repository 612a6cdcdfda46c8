import type { MissingCell } from '../results/run-schema.ts';
import type { Cell } from './cell.ts';
import { keyOfCell } from './cell-job.ts';
import { MissingJson } from './missing-json.ts';
import { notRunJson } from './not-run-json.ts';
import type { CellState } from './run-cells.ts';

/** What a running benchmark says of itself when asked, without holding every cell's answer. */
export interface LiveRun {
  /** The cells not done now, one at a time, in plan order. */
  missing(): Iterable<MissingCell>;
  /** The cells that failed or timed out, in plan order: of missing(), without making an entry for each cell not run. */
  failed(): Iterable<MissingCell>;
  /** missing() as results.json lists it (RunSource.missingJson), the entries of cells not run kept ready. */
  missingJson(): Iterable<string | Uint8Array>;
  /** Cells timed in every round so far. */
  fullyTimed(): number;
}

/**
 * What the benchmark says of the cells not done while they run (LiveRun), read from their states
 * when asked. While the run goes, `missing` is worked out when read (a save, a failure), not after
 * every cell: recomputing it per cell is quadratic in the cells of a run.
 */
export function liveRunOf(
  cells: readonly Cell[],
  states: readonly (CellState | undefined)[],
  rounds: number | null,
): LiveRun {
  const entry = (i: number) => missingCell(cells[i] as Cell, states[i], rounds);
  const missingJson = new MissingJson(
    cells.length,
    entry,
    (i) => !states[i]?.measured && !states[i]?.failure,
    notRunJson(cells, entry),
  );
  return {
    *missing() {
      for (let i = 0; i < cells.length; i++) {
        const m = entry(i);
        if (m) yield m;
      }
    },
    missingJson: () => missingJson.texts(),
    *failed() {
      for (let i = 0; i < cells.length; i++) {
        if (!states[i]?.failure) continue;
        const m = entry(i);
        if (m) yield m;
      }
    },
    fullyTimed: () =>
      cells.reduce((n, c, i) => n + (c.timed && rounds !== null && (states[i]?.rounds ?? 0) >= rounds ? 1 : 0), 0),
  };
}

/** What a cell lacks, or null when it is done; with its position in the plan. */
export function missingCell(cell: Cell, s: CellState | undefined, rounds: number | null): MissingCell | null {
  const lack = lacking(s, cell.timed ? rounds : null);
  if (!lack) return null;
  const position = cell.source?.index ?? -1;
  // Fields set on the key in results.json's order, not spread into a new object: a save or stop of a
  // run of 10^6 cells makes this once per cell not done, and spreading made it a hundred times slower (6 s).
  const missing: MissingCell = Object.assign(keyOfCell(cell), {
    module: cell.source?.module ?? null,
    reason: lack.reason,
    step: lack.step,
    error: lack.error,
  });
  if (position >= 0) missing.cell = position;
  return missing;
}

/** Why a cell is not done: failed or timed out, not run, or not timed in every round (`rounds`: null when it is not timed). */
function lacking(
  s: CellState | undefined,
  rounds: number | null,
): Pick<MissingCell, 'reason' | 'step' | 'error'> | null {
  if (s?.failure) return { reason: s.failure.reason, step: s.failure.step, error: s.failure.error };
  if (!s?.measured) return { reason: 'not run', step: null, error: null };
  if (rounds !== null && !s.untimable && s.rounds < rounds) {
    return { reason: 'not timed', step: 'throughput', error: `timed in ${s.rounds} of ${rounds} rounds` };
  }
  return null;
}
