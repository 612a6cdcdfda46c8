import { acrossKernelsId } from '../../core/cell-key.ts';
import { DEFAULT_KERNEL } from '../../core/kernel.ts';
import type { FullRecord } from '../../core/record.ts';
import { PAGE_SIZE } from '../../core/sizes.ts';
import { isHoldWorkload } from '../../core/workload-kind.ts';
import { formatBytes, formatCount, formatPercent, plural } from '../number-text.ts';
import { geometricMean, mean, most } from '../statistics.ts';
import { heldAtEnd, heldAtPeak, liveAtEnd } from './held.ts';
import type { Crossover, KernelAnswer, SinceKernel, SinceRow, SinceSummary } from './model.ts';
import { groupBy } from './record-groups.ts';
import { workloadUnitOf } from './workload-units.ts';

/** The pairs (v5.1 record, newer record) of one strategy, in the v5.1 run's order. */
type Pair = [FullRecord, FullRecord];

function pairsByStrategy(records: readonly FullRecord[], base: string, kernel: string): Map<string, Pair[]> {
  const newer = new Map<string, FullRecord>();
  for (const r of records) if (r.kernel === kernel) newer.set(acrossKernelsId(r), r);
  const out = new Map<string, Pair[]>();
  for (const r of records) {
    if (r.kernel !== base) continue;
    const n = newer.get(acrossKernelsId(r));
    if (!n) continue;
    const list = out.get(r.strategy);
    if (list) list.push([r, n]);
    else out.set(r.strategy, [[r, n]]);
  }
  return out;
}

/** Whether the pages a strategy took differ between the kernels (its metadata is a column of its own). */
const differs = (a: FullRecord, b: FullRecord) =>
  a.peak_footprint_bytes !== b.peak_footprint_bytes ||
  a.mean_footprint_bytes !== b.mean_footprint_bytes ||
  a.final_footprint_bytes !== b.final_footprint_bytes;

/** Tables per page held at the largest hold both kernels ran without failing. */
function density(pairs: readonly Pair[]): [number, number] | null {
  const held = pairs.filter(
    ([a, b]) =>
      isHoldWorkload(a.workload) && a.alloc_failures === 0 && b.alloc_failures === 0 && a.peak_live_tables > 0,
  );
  const largest = held.reduce<Pair | undefined>(
    (m, p) => (m === undefined || p[0].peak_live_tables > m[0].peak_live_tables ? p : m),
    undefined,
  );
  if (!largest) return null;
  const per = (r: FullRecord) => r.peak_live_tables / (r.peak_footprint_bytes / PAGE_SIZE);
  return [per(largest[0]), per(largest[1])];
}

/**
 * A figure of both kernels per workload, weighted as everywhere in the report (workload-units.ts):
 * each workload once, the hold sweep's points averaged into one. Workloads where a value is missing
 * or not positive are left out.
 */
function perWorkload(pairs: readonly Pair[], value: (r: FullRecord) => number | null): [number, number][] {
  const out: [number, number][] = [];
  for (const unit of groupBy(pairs, ([a]) => workloadUnitOf(a)).values()) {
    const values = unit.map(([a, b]) => [value(a), value(b)] as const);
    if (values.some(([x, y]) => x === null || y === null || x <= 0 || y <= 0)) continue;
    out.push([mean(values.map(([x]) => x as number)), mean(values.map(([, y]) => y as number))]);
  }
  return out;
}

function row(strategy: string, pairs: readonly Pair[]): SinceRow {
  const ratios = perWorkload(pairs, heldAtPeak).map(([a, b]) => b / a);
  const freeing = pairs.filter(([a]) => a.frees > 0);
  const costed = perWorkload(pairs, (r) => r.kernel_ns_per_op);
  return {
    strategy,
    cells: pairs.length,
    footprint_differs: pairs.filter(([a, b]) => differs(a, b)).length,
    peak_ratio: ratios.length ? geometricMean(ratios) : 1,
    failures: [pairs.reduce((n, [a]) => n + a.alloc_failures, 0), pairs.reduce((n, [, b]) => n + b.alloc_failures, 0)],
    density: density(pairs),
    reuse: freeing.length
      ? [mean(freeing.map(([a]) => a.reuse_rate)), mean(freeing.map(([, b]) => b.reuse_rate))]
      : null,
    metadata: [most(pairs.map(([a]) => a.metadata_bytes)), most(pairs.map(([, b]) => b.metadata_bytes))],
    cost: costed.length ? [geometricMean(costed.map(([a]) => a)), geometricMean(costed.map(([, b]) => b))] : null,
  };
}

/** The pair with the largest relative change of what is held (report's basis: pages and metadata). */
function largestChange(pairs: readonly Pair[], held: (r: FullRecord) => number): Pair | undefined {
  const rel = ([a, b]: Pair) => Math.abs(held(b) - held(a)) / Math.max(held(a), held(b), 1);
  return pairs.reduce<Pair | undefined>((m, p) => (m === undefined || rel(p) > rel(m) ? p : m), undefined);
}

const clean = ([a, b]: Pair) => a.alloc_failures === 0 && b.alloc_failures === 0;

/**
 * What is given back after frees: among cells with frees where both kernels reached the same peak
 * held, failing nothing, those where what is held at the end differs (SLUB keeping fewer or more empty
 * slabs after a drain); the one that differs most, in words. Held is pages and metadata, the basis.
 */
function retention(strategy: string, pairs: readonly Pair[], base: string, kernel: string): string | null {
  const drained = pairs.filter(
    (p) => clean(p) && p[0].frees > 0 && heldAtPeak(p[0]) === heldAtPeak(p[1]) && heldAtEnd(p[0]) !== heldAtEnd(p[1]),
  );
  const most = largestChange(drained, heldAtEnd);
  if (!most) return null;
  const [a, b] = most;
  const less = drained.filter(([x, y]) => heldAtEnd(y) < heldAtEnd(x)).length;
  return (
    `${strategy} after frees: at the end of ${a.workload} (${formatCount(liveAtEnd(a))} of its peak ${formatCount(a.peak_live_tables)} tables still live, the same peak held under both) it holds ${formatBytes(heldAtEnd(b))} under ${kernel} against ${formatBytes(heldAtEnd(a))} under ${base}` +
    (drained.length > 1 ? `; less under ${kernel} in ${less} of ${plural(drained.length, 'such cell')}.` : '.')
  );
}

/** Where the peak held (pages and metadata) moved, among cells that failed nothing: the largest change, in words. */
function peakMoves(strategy: string, pairs: readonly Pair[], base: string, kernel: string): string | null {
  const moved = pairs.filter((p) => clean(p) && heldAtPeak(p[0]) !== heldAtPeak(p[1]));
  const most = largestChange(moved, heldAtPeak);
  if (!most) return null;
  const [a, b] = most;
  const less = moved.filter(([x, y]) => heldAtPeak(y) < heldAtPeak(x)).length;
  return `${strategy}: its peak held differs in ${plural(moved.length, 'cell')} (smaller under ${kernel} in ${less}); most on ${a.workload}, ${formatBytes(heldAtPeak(b))} under ${kernel} against ${formatBytes(heldAtPeak(a))} under ${base}.`;
}

const pairKey = (c: Crossover) => `${[c.below, c.above].sort().join('\u0000')}\u0000${c.cpus}`;
const span = (c: Crossover) => (c.from + 1 === c.to ? `at ${c.to}` : `between ${c.from} and ${c.to}`);

/** Crossovers of the hold sweep that appear, vanish or move between the two kernels. */
function movedCrossovers(a: KernelAnswer, b: KernelAnswer): string[] {
  const old = new Map(a.crossovers.map((c) => [pairKey(c), c]));
  const now = new Map(b.crossovers.map((c) => [pairKey(c), c]));
  const out: string[] = [];
  for (const [k, c] of now) {
    const was = old.get(k);
    if (!was) out.push(`New under ${b.kernel}: ${c.sentence}`);
    else if (was.from !== c.from || was.to !== c.to || was.below !== c.below || was.above !== c.above)
      out.push(
        `The crossover of ${c.below} and ${c.above} moves from ${span(was)} tables under ${a.kernel} to ${span(c)} under ${b.kernel} (${plural(c.cpus, 'CPU')}).`,
      );
  }
  for (const [k, c] of old)
    if (!now.has(k))
      out.push(`Gone under ${b.kernel}: under ${a.kernel}, ${c.sentence.replace(/^./, (x) => x.toLowerCase())}`);
  return out;
}

/** What the newer kernel changes, in sentences with numbers from the run. */
function findings(a: KernelAnswer, b: KernelAnswer, rows: readonly SinceRow[], pairs: Map<string, Pair[]>): string[] {
  const out: string[] = [];
  const [x, y] = [a.recommendation.strategy ?? 'nothing', b.recommendation.strategy ?? 'nothing'];
  out.push(
    x === y
      ? `The answer is the same under both: ${x}.`
      : `The answer changes: ${x} under ${a.kernel}, ${y} under ${b.kernel}.`,
  );
  const gateA = new Map(a.constraints.map((c) => [c.strategy, c]));
  for (const c of b.constraints) {
    const was = gateA.get(c.strategy);
    if (!was || was.qualifies === c.qualifies) continue;
    // A strategy the platform cannot use under either kernel is never the answer: its failures are
    // figures for information, said as such.
    const na =
      !c.applicable && !was.applicable ? ' (not applicable on the platform under either, whatever its failures)' : '';
    out.push(
      c.qualifies
        ? `${c.strategy} serves every allocation under ${b.kernel} but not under ${a.kernel} (${was.verdict})${na}.`
        : `${c.strategy} fails allocations under ${b.kernel} (${c.verdict}) and not under ${a.kernel}${na}.`,
    );
  }
  for (const r of rows) {
    if (
      r.failures[0] !== r.failures[1] &&
      gateA.get(r.strategy)?.qualifies === b.constraints.find((c) => c.strategy === r.strategy)?.qualifies
    ) {
      out.push(
        `${r.strategy}: ${formatCount(r.failures[0])} failed allocations under ${a.kernel}, ${formatCount(r.failures[1])} under ${b.kernel}.`,
      );
    }
    if (r.density && Math.abs(r.density[0] - r.density[1]) > 1e-9) {
      out.push(
        `${r.strategy} packs ${r.density[1].toFixed(2)} tables per page held at its largest hold under ${b.kernel}, ${r.density[0].toFixed(2)} under ${a.kernel}.`,
      );
    }
  }
  for (const r of rows) {
    const p = pairs.get(r.strategy) ?? [];
    // Where only the metadata changed, the same-pages line below says so, with both sizes.
    if (r.footprint_differs === 0) continue;
    for (const line of [peakMoves(r.strategy, p, a.kernel, b.kernel), retention(r.strategy, p, a.kernel, b.kernel)])
      if (line) out.push(line);
  }
  out.push(...movedCrossovers(a, b));
  const same = rows.filter(
    (r) =>
      r.footprint_differs === 0 && r.failures[0] === r.failures[1] && (r.reuse === null || r.reuse[0] === r.reuse[1]),
  );
  for (const r of same) {
    const reuse = r.reuse ? `, mean reuse ${formatPercent(r.reuse[0])}` : '';
    const metadata =
      r.metadata[0] !== r.metadata[1]
        ? `; only its metadata changes, ${formatBytes(r.metadata[0])} → ${formatBytes(r.metadata[1])}`
        : '';
    out.push(`${r.strategy}: the same pages, failures and reuse in all ${plural(r.cells, 'cell')}${reuse}${metadata}.`);
  }
  return out;
}

/**
 * What the newer kernels of a run change against v5.1 (or the oldest kernel of the run): for each
 * strategy run under both, its figures over the cells both ran, and findings in words. Computed from
 * the records and the per-kernel answers alone.
 */
export function sinceV51(records: readonly FullRecord[], answers: readonly KernelAnswer[]): SinceSummary {
  if (answers.length < 2) {
    const only = answers[0]?.kernel ?? DEFAULT_KERNEL;
    return {
      base: null,
      note:
        only === DEFAULT_KERNEL
          ? 'This run models Linux v5.1 only: `--kernel 5.1,6.18` (or `kernel: ["5.1", "6.18"]` in a suite) shows what the 6.18 allocators change.'
          : `This run models Linux ${only} only: nothing to compare it with.`,
      kernels: [],
    };
  }
  // Each platform against itself: its newer kernels against its v5.1 (or its oldest) kernel.
  const kernels: SinceKernel[] = [];
  const several = new Set(answers.map((a) => a.platform)).size > 1;
  for (const mine of groupBy(answers, (a) => a.platform ?? '').values()) {
    const base = (mine.find((x) => x.kernel === DEFAULT_KERNEL) ?? mine[0]) as KernelAnswer;
    const own = records.filter((r) => r.platform === base.platform || base.platform === null);
    for (const b of mine.filter((x) => x !== base)) {
      const pairs = pairsByStrategy(own, base.kernel, b.kernel);
      const rows = [...pairs].map(([s, p]) => row(s, p));
      kernels.push({
        kernel: b.kernel,
        base: base.kernel,
        title: several && b.platform ? `${b.title.replace(/, Linux .*$/, '')}: Linux ${b.kernel}` : `Linux ${b.kernel}`,
        rows,
        findings: findings(base, b, rows, pairs),
      });
    }
  }
  if (kernels.length === 0)
    return { base: null, note: 'No platform of this run runs two kernels: nothing to compare.', kernels };
  return { base: (kernels[0] as SinceKernel).base, note: '', kernels };
}
