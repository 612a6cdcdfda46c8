import type { MissingCell } from '../results/run-schema.ts';
import type { Cell } from './cell.ts';

/** A missing cell's fields, in the order results.json has them: the pieces below are cut at them. */
const FIELDS = 'workload,strategy,platform,cpus,kernel,seed,module,reason,step,error,cell';

/**
 * The results.json entry of a cell not run, JSON.stringify of its MissingCell (`entry(i)`), from two
 * pieces made once: its workload's, `{"workload":"…"` (the cells of a workload follow one another in
 * the plan), and the rest up to its number, `,"strategy":…,"cell":`, shared by the cells of one
 * strategy, platform, CPU count, kernel, seed and module. A plan of 10^6 cells lists each in its
 * first save, before any cell runs, and a stop signal then waits for that save: made field by
 * field, the entries took 3 s of it on a loaded machine, twice what the pieces take. An entry of
 * another shape (a field added, a cell with no number) is made whole.
 */
export function notRunJson(cells: readonly Cell[], entry: (i: number) => MissingCell | null): (i: number) => string {
  const tails = new Map<string, string | null>();
  let workload: Cell['workload'] | null = null;
  let head = '';
  return (i) => {
    const cell = cells[i] as Cell;
    const key = `${cell.strategyLabel}\0${cell.platform}\0${cell.machine.cpus}\0${cell.kernel}\0${cell.seed}\0${cell.source?.module}`;
    let tail = tails.get(key);
    if (tail === undefined) {
      tail = tailOf(entry(i), i);
      tails.set(key, tail);
    }
    if (tail === null) return JSON.stringify(entry(i));
    if (cell.workload !== workload) {
      workload = cell.workload;
      head = `{"workload":${JSON.stringify(cell.workload.spec)}`;
    }
    return `${head}${tail}${i}}`;
  };
}

/** What comes between an entry's workload and its cell number, or null when it is not of that shape. */
function tailOf(m: MissingCell | null, i: number): string | null {
  if (m === null || m.reason !== 'not run' || Object.keys(m).join() !== FIELDS) return null;
  const whole = JSON.stringify(m);
  const head = `{"workload":${JSON.stringify(m.workload)}`;
  const end = `${i}}`;
  return whole.startsWith(head) && whole.endsWith(end) ? whole.slice(head.length, whole.length - end.length) : null;
}
