import { comparedCellId } from '../../core/cell-key.ts';
import type { FullRecord } from '../../core/record.ts';
import { specName } from '../../core/spec.ts';
import { isHoldWorkload } from '../../core/workload-kind.ts';
import { formatBytes, plural } from '../number-text.ts';
import { geometricMean } from '../statistics.ts';
import type { ConstraintRow, CostSummary, Crossover, ObjectiveInfo, Recommendation } from './model.ts';
import { groupBy } from './record-groups.ts';

/**
 * Each qualifying strategy's memory score by one footprint figure: over every workload, its figure
 * divided by the best qualifying one's there, combined by geometric mean (1 = best everywhere). The
 * hold sweep counts as one workload (its points averaged the same way), so 127 sizes do not outvote
 * the rest.
 */
function memoryScores(
  records: readonly FullRecord[],
  qualifying: ReadonlySet<string>,
  key: ObjectiveInfo['key'],
): Map<string, number> {
  const ratios = new Map<string, number[]>();
  const holdRatios = new Map<string, number[]>();
  for (const rows of groupBy(records, comparedCellId).values()) {
    const ok = rows.filter((r) => qualifying.has(r.strategy));
    if (ok.length === 0) continue;
    const best = Math.min(...ok.map((r) => r[key]));
    for (const r of ok) {
      const target = isHoldWorkload(r.workload) ? holdRatios : ratios;
      // A strategy and its best rival both holding nothing are equal.
      target.set(r.strategy, [
        ...(target.get(r.strategy) ?? []),
        best === 0 ? (r[key] === 0 ? 1 : Infinity) : r[key] / best,
      ]);
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

/**
 * Where the winner is not the smallest: each workload (outside the hold sweep) where a qualifying
 * strategy needs less memory, and each crossover of the hold sweep it takes part in.
 */
function memoryFlips(
  records: readonly FullRecord[],
  qualifying: ReadonlySet<string>,
  winner: string,
  cross: readonly Crossover[],
  objective: ObjectiveInfo,
): string[] {
  const flips: string[] = [];
  const key = objective.key;
  for (const rows of groupBy(
    records.filter((r) => !isHoldWorkload(r.workload)),
    comparedCellId,
  ).values()) {
    const ok = rows.filter((r) => qualifying.has(r.strategy));
    const w = ok.find((r) => r.strategy === winner);
    const smallest = ok.reduce<FullRecord | undefined>(
      (m, r) => (m === undefined || r[key] < m[key] ? r : m),
      undefined,
    );
    if (w && smallest && smallest[key] < w[key]) {
      flips.push(
        `On ${w.workload}, ${smallest.strategy} needs less memory (${objective.label} ${formatBytes(smallest[key])} against ${formatBytes(w[key])}).`,
      );
    }
  }
  for (const c of cross) {
    if (c.above === winner && c.changes === 1) flips.push(`Holding at most ${plural(c.from, 'table')}: ${c.sentence}`);
    else if (c.below === winner && c.changes === 1)
      flips.push(`Holding ${plural(c.to, 'table')} or more: ${c.sentence}`);
    else if (c.above === winner || c.below === winner) flips.push(c.sentence);
  }
  return flips;
}

/** For each excluded strategy whose variant qualifies: does that variant change the answer? */
function qualifyingVariants(
  gate: readonly ConstraintRow[],
  ranked: readonly (readonly [string, number])[],
  winner: string,
  objective: ObjectiveInfo,
): string[] {
  const out: string[] = [];
  for (const g of gate.filter((x) => !x.qualifies)) {
    const variant = ranked.findIndex(([s]) => s !== g.strategy && specName(s) === specName(g.strategy));
    const found = ranked[variant];
    if (!found) continue;
    out.push(
      found[0] === winner
        ? `${found[0]}, a variant of ${g.strategy} that qualifies, is the answer.`
        : `${found[0]}, a variant of ${g.strategy} that qualifies, ranks #${variant + 1} by ${objective.label} (score ${found[1].toFixed(3)}): the answer does not change.`,
    );
  }
  return out;
}

/**
 * The recommendation: among strategies that meet the hard constraints, the smallest memory score by
 * the objective (peak footprint by default); the mean-footprint score is shown beside it. Then the
 * conditions that change the answer, and what would qualify each excluded strategy.
 */
export function recommend(
  records: readonly FullRecord[],
  gate: readonly ConstraintRow[],
  cross: readonly Crossover[],
  objective: ObjectiveInfo,
  cost: CostSummary,
): Recommendation {
  const qualifying = new Set(gate.filter((g) => g.qualifies).map((g) => g.strategy));
  const excludedLines = gate
    .filter((g) => !g.qualifies)
    .map((g) => `${g.strategy} is excluded: ${g.verdict}.${g.qualify.length ? ` ${g.qualify.join('; ')}.` : ''}`);
  if (qualifying.size === 0) {
    return {
      strategy: null,
      summary: 'No strategy met the hard constraints in this run.',
      numbers: [],
      flips: excludedLines,
    };
  }
  const score = memoryScores(records, qualifying, objective.key);
  const other = objective.key === 'peak_footprint_bytes' ? 'mean_footprint_bytes' : 'peak_footprint_bytes';
  const otherLabel = other === 'peak_footprint_bytes' ? 'peak footprint' : 'mean footprint';
  const otherScore = memoryScores(records, qualifying, other);
  const ranked = [...score].sort((a, b) => a[1] - b[1] || (otherScore.get(a[0]) ?? 0) - (otherScore.get(b[0]) ?? 0));
  const [winner, best] = ranked[0] as [string, number];
  const second = ranked[1];
  const numbers: { label: string; value: string }[] = [
    { label: `memory score by ${objective.label} (1 = smallest everywhere)`, value: best.toFixed(3) },
    { label: `memory score by ${otherLabel}`, value: (otherScore.get(winner) ?? Number.NaN).toFixed(3) },
  ];
  if (second) {
    numbers.push({
      label: `next best by ${objective.label}: ${second[0]}`,
      value: `${second[1].toFixed(3)} (${((second[1] / best - 1) * 100).toFixed(0)} % more memory)`,
    });
  }
  const mine = records.filter((r) => r.strategy === winner);
  for (const n of [64, 4096]) {
    const r = mine.find((x) => isHoldWorkload(x.workload) && x.peak_live_tables === n);
    if (r)
      numbers.push({
        label: `peak footprint holding ${plural(n, 'table')}`,
        value: formatBytes(r.peak_footprint_bytes),
      });
  }
  const flips = memoryFlips(records, qualifying, winner, cross, objective);
  // Speed rests on the modelled kernel cost, never on the simulator's own speed.
  const cheapest = cost.strategies[0];
  const mineCost = cost.strategies.find((c) => c.strategy === winner);
  if (cheapest && mineCost) {
    numbers.push({
      label: 'modelled kernel cost (geometric mean)',
      value: `${mineCost.ns_per_op.toFixed(1)} ns per event`,
    });
    if (cheapest.strategy !== winner) {
      flips.push(
        `If kernel CPU time mattered more than memory: ${cheapest.strategy} has the lowest modelled kernel cost, ${cheapest.ns_per_op.toFixed(1)} ns per event against ${mineCost.ns_per_op.toFixed(1)} (a model: see the sensitivity line).`,
      );
    }
  }
  flips.push(...excludedLines, ...qualifyingVariants(gate, ranked, winner, objective));
  // The winner's variant, in words, and the best strategy of another kind if its conditions do not hold.
  const note = records.find((r) => r.strategy === winner)?.detail.strategy_note;
  const fallback = note ? ranked.find(([s]) => specName(s) !== specName(winner)) : undefined;
  if (note) {
    flips.unshift(
      `${winner} assumes ${note}.${fallback ? ` Where that does not hold, ${fallback[0]} is the best of the other strategies (score ${fallback[1].toFixed(3)}).` : ''}`,
    );
  }
  return {
    strategy: winner,
    summary:
      `${winner}${note ? ` (${note})` : ''}: of the strategies that kept every table below 4 GiB and never failed an allocation, it has the smallest ${objective.label} across the workloads of this run. ` +
      `The answer ranks by ${objective.label}, ${objective.why}; each workload counts once (the hold sweep as one), relative to the best qualifying strategy there.`,
    numbers,
    flips,
    ...(fallback ? { otherwise: fallback[0] } : {}),
  };
}
