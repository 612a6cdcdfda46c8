import type { FullRecord } from '../../core/record.ts';
import { isHoldWorkload } from '../../core/workload-kind.ts';
import { plural } from '../number-text.ts';
import type { Crossover, ObjectiveInfo } from './model.ts';
import { groupBy } from './record-groups.ts';

/** One change of order between two strategies along the sweep. */
interface Change {
  /** Better below the change. */
  below: string;
  above: string;
  /** The last count where `below` was strictly better, and the first where `above` is. */
  from: number;
  to: number;
  /** Counts in between where they were equal, or null when the sweep did not measure every count. */
  ties: number[] | null;
}

/** The objective's figure by table count, per strategy, for one (cpus, seed) of the hold sweep. */
function curves(records: readonly FullRecord[], objective: ObjectiveInfo): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const r of records) {
    const curve = out.get(r.strategy) ?? new Map<number, number>();
    curve.set(r.peak_live_tables, objective.held(r));
    out.set(r.strategy, curve);
  }
  return out;
}

/** Where a and b change order along the table counts both were measured at (equal counts are ties). */
function changes(a: string, b: string, ca: Map<number, number>, cb: Map<number, number>): Change[] {
  const counts = [...ca.keys()].filter((n) => cb.has(n)).sort((x, y) => x - y);
  const out: Change[] = [];
  let lastSign = 0;
  let lastAt = 0;
  for (const n of counts) {
    const d = Math.sign((ca.get(n) as number) - (cb.get(n) as number));
    if (d === 0) continue;
    if (lastSign !== 0 && d !== lastSign) {
      const between = counts.filter((c) => c > lastAt && c < n);
      out.push({
        below: lastSign < 0 ? a : b,
        above: lastSign < 0 ? b : a,
        from: lastAt,
        to: n,
        ties: between.length === n - lastAt - 1 ? between : null,
      });
    }
    lastSign = d;
    lastAt = n;
  }
  return out;
}

function where(c: Change): string {
  if (c.ties === null) return `from somewhere in ${c.from + 1}..${c.to} tables on`;
  return `from ${plural(c.to, 'table')} on${c.ties.length ? ` (equal at ${c.ties.join(', ')})` : ''}`;
}

/**
 * Where each pair of qualifying strategies changes order in the objective's footprint along the
 * hold sweep. A pair whose order flips back and forth is one statement: the range where it
 * alternates, and who is better on each side of it.
 */
export function crossovers(
  records: readonly FullRecord[],
  qualifying: ReadonlySet<string>,
  objective: ObjectiveInfo,
): Crossover[] {
  const out: Crossover[] = [];
  const sweeps = groupBy(
    records.filter((r) => isHoldWorkload(r.workload) && qualifying.has(r.strategy) && r.alloc_failures === 0),
    (r) => `${r.cpus}\u0000${r.seed}`,
  );
  const what = `${objective.label}`;
  for (const rows of sweeps.values()) {
    const cpus = (rows[0] as FullRecord).cpus;
    const byStrategy = curves(rows, objective);
    const names = [...byStrategy.keys()];
    for (let i = 0; i < names.length; i++) {
      for (let j = i + 1; j < names.length; j++) {
        const a = names[i] as string;
        const b = names[j] as string;
        const found = changes(a, b, byStrategy.get(a) as Map<number, number>, byStrategy.get(b) as Map<number, number>);
        const first = found[0];
        const last = found[found.length - 1];
        if (!first || !last) continue;
        const machine = plural(cpus, 'CPU');
        const sentence =
          found.length === 1
            ? `${first.above} has the smaller ${what} ${where(first)} (${machine}); up to ${first.from}, ${first.below} has.`
            : `Between ${first.from} and ${last.to} tables the order of ${first.below} and ${first.above} in ${what} alternates (${found.length} changes, ${machine}); up to ${first.from}, ${first.below} has the smaller, and from ${plural(last.to, 'table')} on, ${last.above}.`;
        out.push({
          below: first.below,
          above: last.above,
          from: first.from,
          to: last.to,
          cpus,
          changes: found.length,
          sentence,
        });
      }
    }
  }
  return out;
}
