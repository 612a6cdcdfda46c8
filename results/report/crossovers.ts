import { plural } from '../format.ts';
import type { FullRecord } from '../record.ts';
import type { Crossover } from './model.ts';
import { groupBy, isHold } from './util.ts';

/** peak footprint by table count, per strategy, for one (cpus, seed) of the hold sweep. */
function curves(records: readonly FullRecord[]): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const r of records) {
    const curve = out.get(r.strategy) ?? new Map<number, number>();
    curve.set(r.peak_live_tables, r.peak_footprint_bytes);
    out.set(r.strategy, curve);
  }
  return out;
}

/**
 * Where each pair of strategies changes order in footprint along the hold sweep: scanning the
 * table counts both were measured at, a crossover lies between the last count where one was
 * strictly smaller and the first where the other is (equal counts in between are ties).
 */
export function crossovers(records: readonly FullRecord[]): Crossover[] {
  const out: Crossover[] = [];
  const sweeps = groupBy(
    records.filter((r) => isHold(r) && r.alloc_failures === 0),
    (r) => `${r.cpus}\u0000${r.seed}`,
  );
  for (const rows of sweeps.values()) {
    const cpus = (rows[0] as FullRecord).cpus;
    const byStrategy = curves(rows);
    const names = [...byStrategy.keys()];
    for (let i = 0; i < names.length; i++) {
      for (let j = i + 1; j < names.length; j++) {
        const a = byStrategy.get(names[i] as string) as Map<number, number>;
        const b = byStrategy.get(names[j] as string) as Map<number, number>;
        const counts = [...a.keys()].filter((n) => b.has(n)).sort((x, y) => x - y);
        let lastSign = 0;
        let lastAt = 0;
        for (const n of counts) {
          const d = Math.sign((a.get(n) as number) - (b.get(n) as number));
          if (d === 0) continue;
          if (lastSign !== 0 && d !== lastSign) {
            const below = lastSign < 0 ? (names[i] as string) : (names[j] as string);
            const above = lastSign < 0 ? (names[j] as string) : (names[i] as string);
            // Counts in between were ties if measured; otherwise the sweep did not look there.
            const between = counts.filter((c) => c > lastAt && c < n);
            const measured = between.length === n - lastAt - 1;
            const at = measured
              ? `from ${plural(n, 'table')} on${between.length ? ` (equal at ${between.join(', ')})` : ''}`
              : `from somewhere in ${lastAt + 1}..${n} tables on`;
            out.push({
              below,
              above,
              from: lastAt,
              to: n,
              cpus,
              sentence: `${above} needs less memory than ${below} ${at} (${plural(cpus, 'CPU')}); up to ${lastAt}, ${below} needs less.`,
            });
          }
          lastSign = d;
          lastAt = n;
        }
      }
    }
  }
  return out;
}
