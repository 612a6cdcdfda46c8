import type { CellKey } from '../../core/cell-key.ts';
import { DEFAULT_KERNEL } from '../../core/kernel.ts';
import { EXACT_NUMERIC_KEYS, type ExactNumericKey, metricOf } from '../../core/metrics.ts';
import { DEFAULT_PLATFORM } from '../../core/platforms.ts';
import { ResultsError } from '../errors.ts';
import { plural } from '../number-text.ts';
import type { RunResult, RunSource } from '../run-schema.ts';
import { asSource } from '../run-source.ts';
import {
  holmAdjust,
  type MannWhitneyResult,
  mannWhitneyMinP,
  mannWhitneyU,
  median,
  shiftInterval,
} from '../statistics.ts';
import { type CellSide, joinCells } from './cell-join.ts';

/** The throughput metric, computed from the replay samples. */
const THROUGHPUT_METRIC = 'ops_per_sec';

export interface CompareOptions {
  /** Significance level of the Mann–Whitney U tests, after Holm's correction. Default 0.05. */
  alpha?: number;
  /** Throughput changes of at most this many percent are noise. Default 2. */
  noisePct?: number;
  /**
   * Keep every row (the default), or only those shown without --all: a changed exact metric, and
   * every throughput row (hidden or not, decided once Holm's correction has seen them all).
   * Without them, memory holds what changed, never a row per cell and metric.
   */
  all?: boolean;
}

/** `not in base` / `not in new`: a metric newer than that run (written before it was measured), not compared. */
type ExactVerdict = 'no change' | 'changed' | 'not in base' | 'not in new';

/** An exact metric of one cell. */
export interface ExactRow {
  kind: 'exact';
  key: CellKey;
  metric: ExactNumericKey;
  base: number | null;
  next: number | null;
  /** (new − base) / |base| in percent; ±Infinity from a base of 0; null when a side is not a number. */
  changePct: number | null;
  verdict: ExactVerdict;
  /** For a change: worse, better, or neutral (a metric with no better side); null when unknown. */
  direction: 'worse' | 'better' | 'neutral' | null;
}

export const THROUGHPUT_VERDICTS = [
  'improved',
  'regressed',
  'within noise',
  'no significant change',
  'too few samples to tell',
  'not comparable',
] as const;
export type ThroughputVerdict = (typeof THROUGHPUT_VERDICTS)[number];

/**
 * One side of a throughput comparison: its units of replication in ops/s. A run of l2bench-run/2
 * times each cell in rounds, each in a fresh isolate, and a unit is a round's fastest sample; an
 * older run has one process only, and each sample is a unit.
 */
export interface TimingSide {
  /** Units. */
  n: number;
  /** Median ops/s over the units (NaN without any). */
  median: number;
  unit: 'rounds' | 'samples';
}

/** Throughput of one cell: ops/s of a unit = events / (its ms per replay / 1000). */
export interface ThroughputRow {
  kind: 'throughput';
  key: CellKey;
  metric: typeof THROUGHPUT_METRIC;
  base: TimingSide;
  next: TimingSide;
  /** Change of the median ops/s in percent; null when a side has no units. */
  changePct: number | null;
  /** The Mann–Whitney U test of the units; null when not comparable. */
  test: MannWhitneyResult | null;
  /** Holm–Bonferroni adjusted p-value over all throughput tests of the comparison; null when not comparable. */
  pAdjusted: number | null;
  /** The smallest p-value the two sides' sizes allow (every unit of one side beyond the other's). */
  minP: number | null;
  /**
   * The change of ops/s in percent, as an interval at 1 − alpha/m over the m cells tested (the
   * Hodges–Lehmann interval of the shift in log ops/s); null when not comparable. A regression
   * fails --fail-on-regression PCT only when the whole interval lies beyond −PCT.
   */
  interval: { lowPct: number; highPct: number } | null;
  verdict: ThroughputVerdict;
}

export type Row = ExactRow | ThroughputRow;

/** The key columns a comparison's cells may share. */
type SharedColumns = Partial<Pick<CellKey, 'platform' | 'cpus' | 'kernel' | 'seed'>>;

export interface Comparison {
  warnings: string[];
  /** Cells in both runs. */
  matched: number;
  /** The key columns every matched cell has the same value of, with that value. */
  same: SharedColumns;
  onlyBase: CellKey[];
  onlyNew: CellKey[];
  /** Rows, in the base run's order of their cells: every row, or (without `all`) those shown and every throughput row. */
  rows: Row[];
  /** Exact rows with no change that `rows` leaves out (0 with `all`). */
  unchanged: number;
  /** Exact rows of a metric newer than one of the runs that `rows` leaves out (0 with `all`). */
  oneSided: number;
  alpha: number;
  noisePct: number;
}

/** A cell in words; the platform and kernel are named when they are not mt8173 and v5.1, those of runs before their axes. */
export const describeKey = (k: CellKey): string =>
  `${k.workload} ${k.strategy} (${k.platform === DEFAULT_PLATFORM ? '' : `platform=${k.platform}, `}cpus=${k.cpus}, ${k.kernel === DEFAULT_KERNEL ? '' : `kernel=${k.kernel}, `}seed=${k.seed})`;

/** Relative change in percent: ±Infinity from 0 to something else, 0 from 0 to 0. */
function relativeChangePct(base: number, next: number): number {
  if (base === next) return 0;
  if (base === 0) return next > 0 ? Infinity : -Infinity;
  return ((next - base) / Math.abs(base)) * 100;
}

function exactRow(key: CellKey, metric: ExactNumericKey, b: CellSide, n: CellSide): ExactRow {
  const base = b.values[metric];
  const next = n.values[metric];
  const numeric = typeof base === 'number' && typeof next === 'number';
  if (base === next)
    return { kind: 'exact', key, metric, base, next, changePct: 0, verdict: 'no change', direction: null };
  if (!numeric) {
    // An exact metric is null only in a run older than it (its `since`): absent there, not a change.
    const verdict = base === null ? 'not in base' : next === null ? 'not in new' : 'changed';
    return { kind: 'exact', key, metric, base, next, changePct: null, verdict, direction: null };
  }
  const dir = metricOf(metric).better;
  const up = next > base;
  const direction = dir === 'neutral' ? 'neutral' : (dir === 'lower') === up ? 'worse' : 'better';
  return {
    kind: 'exact',
    key,
    metric,
    base,
    next,
    changePct: relativeChangePct(base, next),
    verdict: 'changed',
    direction,
  };
}

/** The median of the units, NaN without any. */
const medianOf = (xs: readonly number[]): number => (xs.length === 0 ? Number.NaN : median([...xs]));

/** The units of a record in ops/s: its round medians, or its samples; null when a time is not positive. */
function units(r: CellSide, unit: TimingSide['unit']): number[] | null {
  const ms = unit === 'rounds' ? (r.rounds ?? []) : r.samples;
  const ops = ms.map((x) => r.events / (x / 1000));
  return ops.every((x) => Number.isFinite(x) && x >= 0) ? ops : null;
}

/** Rounds when both records have them; otherwise every sample counts as a unit (a run of one process). */
function unitOf(b: CellSide, n: CellSide): TimingSide['unit'] {
  return (b.rounds?.length ?? 0) > 0 && (n.rounds?.length ?? 0) > 0 ? 'rounds' : 'samples';
}

function throughputRow(key: CellKey, b: CellSide, n: CellSide): ThroughputRow {
  const unit = unitOf(b, n);
  const bs = units(b, unit) ?? [];
  const ns = units(n, unit) ?? [];
  const base: TimingSide = { n: bs.length, median: medianOf(bs), unit };
  const next: TimingSide = { n: ns.length, median: medianOf(ns), unit };
  const comparable = bs.length > 0 && ns.length > 0;
  const changePct = comparable ? relativeChangePct(base.median, next.median) : null;
  const row = { kind: 'throughput', key, metric: THROUGHPUT_METRIC, base, next, changePct } as const;
  if (!comparable) {
    return { ...row, test: null, pAdjusted: null, minP: null, interval: null, verdict: 'not comparable' };
  }
  const test = mannWhitneyU(bs, ns);
  const minP = mannWhitneyMinP(bs.length, ns.length);
  return { ...row, test, pAdjusted: test.p, minP, interval: null, verdict: 'not comparable' };
}

/** The interval of the change in percent at `level`, from the shift of log ops/s; null without units. */
function changeInterval(r: ThroughputRow, b: CellSide, n: CellSide, level: number): ThroughputRow['interval'] {
  const log = (xs: number[] | null) => (xs ?? []).map(Math.log);
  const bs = log(units(b, r.base.unit));
  const ns = log(units(n, r.next.unit));
  if (bs.length === 0 || ns.length === 0) return null;
  const shift = shiftInterval(bs, ns, level);
  return { lowPct: (Math.exp(shift.low) - 1) * 100, highPct: (Math.exp(shift.high) - 1) * 100 };
}

/**
 * The verdicts, once every p-value is Holm-adjusted over the m throughput tests: significant
 * changes beyond the noise threshold are improvements or regressions. A cell whose sizes could not
 * reach alpha even with every unit of one side beyond the other's (its smallest p × m ≥ alpha, the
 * Bonferroni bound of the correction) is "too few samples to tell", never "no significant change".
 */
function throughputVerdict(r: ThroughputRow, m: number, alpha: number, noisePct: number): ThroughputVerdict {
  const p = r.pAdjusted ?? 1;
  const change = r.changePct ?? 0;
  if (p < alpha) {
    if (Math.abs(change) <= noisePct) return 'within noise';
    return change > 0 ? 'improved' : 'regressed';
  }
  if ((r.minP ?? 1) * m >= alpha) return 'too few samples to tell';
  return 'no significant change';
}

/**
 * Holm–Bonferroni over the throughput tests of one comparison: with dozens of cells, uncorrected
 * tests at 5 % flag a few "regressions" between two runs of the same code. Adjusted p-values:
 * sorted ascending, p_(k) × (m − k), made monotone; then every verdict.
 */
function holm(sides: Map<ThroughputRow, [CellSide, CellSide]>, alpha: number, noisePct: number): void {
  const tested = [...sides.keys()].filter((r) => r.test !== null);
  const adjusted = holmAdjust(tested.map((r) => r.test?.p ?? 1));
  tested.forEach((r, i) => {
    r.pAdjusted = adjusted[i] as number;
    r.verdict = throughputVerdict(r, tested.length, alpha, noisePct);
    const [b, n] = sides.get(r) as [CellSide, CellSide];
    // Simultaneous over the m cells (Bonferroni), like the correction of the tests.
    r.interval = changeInterval(r, b, n, alpha / tested.length);
  });
}

const major = (version: string): string => version.split('.')[0] ?? version;

function provenanceWarnings(base: RunSource, next: RunSource): string[] {
  const pb = base.header.provenance;
  const pn = next.header.provenance;
  const out: string[] = [];
  if (major(pb.l2bench_version) !== major(pn.l2bench_version)) {
    out.push(
      `different l2bench major versions (base ${pb.l2bench_version}, new ${pn.l2bench_version}): metrics may be defined differently`,
    );
  }
  const machine = (m: Record<string, number>) =>
    Object.keys(m)
      .sort()
      .map((k) => `${k}=${m[k]}`)
      .join(',');
  if (machine(pb.machine) !== machine(pn.machine)) {
    out.push(`different simulated machines (base ${machine(pb.machine)}; new ${machine(pn.machine)})`);
  }
  for (const [run, label] of [
    [base, 'base'],
    [next, 'new'],
  ] as const) {
    const { records, missing } = run.summary();
    const cells = `${records} of ${plural(run.header.cells, 'cell')}`;
    if (run.header.interrupted) out.push(`the ${label} run was interrupted (${cells})`);
    else if (!run.header.complete) {
      const all = missing.failed + missing.timeout + missing['not run'] + missing['not timed'];
      out.push(`the ${label} run is incomplete (${cells}; ${all} missing, failed or not fully timed)`);
    }
  }
  const env = (['cpu_model', 'node_version', 'throughput_time_ms'] as const).filter((k) => pb[k] !== pn[k]);
  if (env.length > 0) {
    out.push(
      `throughput measured in different conditions: ${env.map((k) => `${k} ${JSON.stringify(pb[k])} → ${JSON.stringify(pn[k])}`).join(', ')}`,
    );
  }
  return out;
}

/** The key columns that every cell seen so far shares. */
class SharedKey {
  readonly #first: Partial<CellKey> = {};
  readonly #differ = new Set<string>();
  #seen = false;

  see(k: CellKey): void {
    for (const c of ['platform', 'cpus', 'kernel', 'seed'] as const) {
      if (!this.#seen) (this.#first as Record<string, unknown>)[c] = k[c];
      else if (this.#first[c] !== k[c]) this.#differ.add(c);
    }
    this.#seen = true;
  }

  get shared(): SharedColumns {
    return Object.fromEntries(Object.entries(this.#first).filter(([c]) => !this.#differ.has(c)));
  }
}

/**
 * Match two runs by (workload, strategy, platform, cpus, kernel, seed) and compare every matched
 * cell: exact metrics exactly, throughput by the Mann–Whitney U test of the rounds (Holm-corrected)
 * with a noise threshold. Both runs are read a record at a time (joinCells): memory holds the rows
 * kept (every row, or with `all: false` those shown), not the runs. Refuses two runs with no cell in common.
 */
export function compareRuns(
  baseRun: RunResult | RunSource,
  nextRun: RunResult | RunSource,
  options: CompareOptions = {},
): Comparison {
  const alpha = options.alpha ?? 0.05;
  const noisePct = options.noisePct ?? 2;
  const keepAll = options.all ?? true;
  const [base, next] = [asSource(baseRun), asSource(nextRun)];
  const join = joinCells(base.records(), next.records());
  const kept: { ordinal: number; rows: Row[] }[] = [];
  const sides = new Map<ThroughputRow, [CellSide, CellSide]>();
  const same = new SharedKey();
  const timed = { base: false, next: false };
  let matched = 0;
  let unchanged = 0;
  let oneSided = 0;
  const newer = { base: new Set<string>(), next: new Set<string>() };
  for (const [b, n] of join.pairs) {
    matched++;
    same.see(b.key);
    const rows: Row[] = [];
    for (const m of EXACT_NUMERIC_KEYS) {
      const row = exactRow(b.key, m, b, n);
      if (row.verdict === 'not in base') newer.base.add(m);
      if (row.verdict === 'not in new') newer.next.add(m);
      if (keepAll || row.verdict === 'changed') rows.push(row);
      else if (row.verdict === 'no change') unchanged++;
      else oneSided++;
    }
    timed.base ||= b.samples.length > 0;
    timed.next ||= n.samples.length > 0;
    // A cell timed on neither side has no throughput to compare.
    if (b.samples.length > 0 || n.samples.length > 0) {
      const row = throughputRow(b.key, b, n);
      sides.set(row, [b, n]);
      rows.push(row);
    }
    if (rows.length > 0) kept.push({ ordinal: b.ordinal, rows });
  }
  if (matched === 0) {
    const { base: nb, next: nn } = join.sizes();
    throw new ResultsError(
      `nothing to compare: no (workload, strategy, cpus, kernel, seed) cell is in both runs (base ${plural(nb, 'cell')}, new ${nn})`,
    );
  }
  holm(sides, alpha, noisePct);
  const rows = kept.sort((x, y) => x.ordinal - y.ordinal).flatMap((k) => k.rows);
  const warnings = [...provenanceWarnings(base, next), ...timingWarnings(sides, timed), ...olderRunWarnings(newer)];
  return {
    warnings,
    matched,
    same: same.shared,
    onlyBase: join.onlyBase(),
    onlyNew: join.onlyNew(),
    rows,
    unchanged,
    oneSided,
    alpha,
    noisePct,
  };
}

/** What the throughput rows rest on: samples of a single process, or one run timed and the other not. */
function timingWarnings(sides: Map<ThroughputRow, unknown>, timed: { base: boolean; next: boolean }): string[] {
  const out: string[] = [];
  const bySamples = [...sides.keys()].filter((r) => r.test && r.base.unit === 'samples').length;
  if (bySamples > 0) {
    out.push(
      `throughput of ${plural(bySamples, 'cell')} compared sample by sample: a run older than l2bench-run/2 timed in one process, so the samples do not show the variation between processes and p-values are too small`,
    );
  }
  if (timed.base !== timed.next) out.push(`throughput was measured only in the ${timed.base ? 'base' : 'new'} run`);
  else if (!timed.base) out.push('throughput was measured in neither run: exact metrics only');
  return out;
}

/** The metrics a run was written before, which are not compared. */
function olderRunWarnings(newer: { base: Set<string>; next: Set<string> }): string[] {
  const say = (side: string, keys: Set<string>) =>
    keys.size === 0 ? [] : [`the ${side} run was written before ${[...keys].join(', ')}: not compared`];
  return [...say('base', newer.base), ...say('new', newer.next)];
}

/** Why a row is hidden without --all, or null when it is shown. */
export function hiddenBecause(row: Row): 'unchanged' | 'in one run only' | 'not significant' | null {
  if (row.kind === 'exact') {
    if (row.verdict === 'changed') return null;
    return row.verdict === 'no change' ? 'unchanged' : 'in one run only';
  }
  return row.verdict === 'no significant change' || row.verdict === 'within noise' ? 'not significant' : null;
}

/**
 * Rows that worsen by more than pct percent: an exact metric whose direction is worse, or a
 * throughput whose verdict is 'regressed' (significant and beyond the noise threshold) and whose
 * interval of change lies wholly beyond −pct: a measured slowdown, not one the rounds merely allow.
 */
export function regressions(cmp: Comparison, pct: number): Row[] {
  return cmp.rows.filter((r) => {
    if (r.changePct === null) return false;
    if (r.kind === 'exact') return r.direction === 'worse' && Math.abs(r.changePct) > pct;
    return r.verdict === 'regressed' && r.interval !== null && r.interval.highPct < -pct;
  });
}
