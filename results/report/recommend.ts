import { formatBytes, formatRate, plural } from '../format.ts';
import type { FullRecord } from '../record.ts';
import type { ConstraintRow, Crossover, Recommendation } from './model.ts';
import { cellKey, geometricMean, groupBy, isHold } from './util.ts';

/**
 * Each qualifying strategy's memory score: over every workload, its mean footprint divided by the
 * best qualifying one's there, combined by geometric mean (1 = best everywhere). The hold sweep
 * counts as one workload (its points averaged the same way), so 13 sizes do not outvote the rest.
 */
function memoryScores(records: readonly FullRecord[], qualifying: ReadonlySet<string>): Map<string, number> {
  const ratios = new Map<string, number[]>();
  const holdRatios = new Map<string, number[]>();
  for (const rows of groupBy(records, cellKey).values()) {
    const ok = rows.filter((r) => qualifying.has(r.strategy));
    if (ok.length === 0) continue;
    const best = Math.min(...ok.map((r) => r.mean_footprint_bytes));
    for (const r of ok) {
      const target = isHold(r) ? holdRatios : ratios;
      target.set(r.strategy, [...(target.get(r.strategy) ?? []), r.mean_footprint_bytes / best]);
    }
  }
  const out = new Map<string, number>();
  for (const s of qualifying) {
    const parts = [...(ratios.get(s) ?? [])];
    const hold = holdRatios.get(s);
    if (hold?.length) parts.push(geometricMean(hold));
    if (parts.length) out.set(s, geometricMean(parts));
  }
  return out;
}

/** Geometric mean over timed cells of a strategy's throughput relative to the fastest qualifying one. */
function speedScores(records: readonly FullRecord[], qualifying: ReadonlySet<string>): Map<string, number> {
  const ratios = new Map<string, number[]>();
  for (const rows of groupBy(records, cellKey).values()) {
    const ok = rows.filter((r) => qualifying.has(r.strategy) && r.ops_per_sec !== null);
    if (ok.length < 2) continue;
    const best = Math.max(...ok.map((r) => r.ops_per_sec as number));
    for (const r of ok) ratios.set(r.strategy, [...(ratios.get(r.strategy) ?? []), (r.ops_per_sec as number) / best]);
  }
  return new Map([...ratios].map(([s, xs]) => [s, geometricMean(xs)]));
}

/** The recommendation: among strategies that meet the hard constraints, the lowest memory score; the conditions that change it. */
export function recommend(
  records: readonly FullRecord[],
  gate: readonly ConstraintRow[],
  cross: readonly Crossover[],
): Recommendation {
  const qualifying = new Set(gate.filter((g) => g.qualifies).map((g) => g.strategy));
  if (qualifying.size === 0) {
    return { strategy: null, summary: 'No strategy met the hard constraints in this run.', numbers: [], flips: [] };
  }
  const memory = memoryScores(records, qualifying);
  const speed = speedScores(records, qualifying);
  const ranked = [...memory].sort((a, b) => a[1] - b[1] || (speed.get(b[0]) ?? 0) - (speed.get(a[0]) ?? 0));
  const [winner, score] = ranked[0] as [string, number];
  const second = ranked[1];
  const mine = records.filter((r) => r.strategy === winner);
  const numbers: { label: string; value: string }[] = [
    { label: 'memory score (1 = smallest everywhere)', value: score.toFixed(3) },
  ];
  if (second)
    numbers.push({
      label: `next best: ${second[0]}`,
      value: `${second[1].toFixed(3)} (${((second[1] / score - 1) * 100).toFixed(0)} % more memory)`,
    });
  const at = (n: number) => mine.find((r) => r.workload.startsWith('hold:') && r.peak_live_tables === n);
  for (const n of [64, 4096]) {
    const r = at(n);
    if (r)
      numbers.push({ label: `footprint holding ${plural(n, 'table')}`, value: formatBytes(r.peak_footprint_bytes) });
  }
  const timed = mine.filter((r) => r.ops_per_sec !== null).map((r) => r.ops_per_sec as number);
  if (timed.length)
    numbers.push({
      label: 'throughput (geometric mean over timed workloads)',
      value: formatRate(geometricMean(timed)),
    });
  const flips: string[] = [];
  for (const rows of groupBy(
    records.filter((r) => !isHold(r)),
    cellKey,
  ).values()) {
    const ok = rows.filter((r) => qualifying.has(r.strategy));
    const w = ok.find((r) => r.strategy === winner);
    const best = ok.reduce<FullRecord | undefined>(
      (m, r) => (m === undefined || r.mean_footprint_bytes < m.mean_footprint_bytes ? r : m),
      undefined,
    );
    if (w && best && best.mean_footprint_bytes < w.mean_footprint_bytes) {
      flips.push(
        `On ${w.workload}, ${best.strategy} needs less memory (mean ${formatBytes(best.mean_footprint_bytes)} against ${formatBytes(w.mean_footprint_bytes)}).`,
      );
    }
  }
  for (const c of cross) {
    if (c.above === winner && qualifying.has(c.below))
      flips.push(`Holding at most ${plural(c.from, 'table')}, ${c.below} needs less memory: ${c.sentence}`);
    if (c.below === winner && qualifying.has(c.above))
      flips.push(`Holding ${plural(c.to, 'table')} or more, ${c.above} needs less memory: ${c.sentence}`);
  }
  const fastest = [...speed].sort((a, b) => b[1] - a[1])[0];
  if (fastest && fastest[0] !== winner) {
    const mineSpeed = speed.get(winner) ?? 0;
    flips.push(
      `If speed mattered more than memory: ${fastest[0]} replays ${((fastest[1] / mineSpeed - 1) * 100).toFixed(0)} % faster on the geometric mean (simulator time, not kernel time).`,
    );
  }
  for (const g of gate.filter((x) => !x.qualifies)) flips.push(`${g.strategy} is excluded: ${g.verdict}.`);
  return {
    strategy: winner,
    summary: `${winner}: of the strategies that kept every table below 4 GiB and never failed an allocation, it needs the least memory across the workloads of this run.`,
    numbers,
    flips,
  };
}
