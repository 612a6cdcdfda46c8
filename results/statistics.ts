/**
 * Every statistic l2bench computes, in one place. From simple-statistics: the mean, median,
 * quantiles, sample standard deviation, median absolute deviation, and the error function (for
 * the normal tail; its approximation is good to 1.2e-7, far finer than the normal approximation
 * it serves). Written here, what simple-statistics lacks: the geometric mean taken in logs (its own
 * multiplies the values and overflows), Student's t quantile for the throughput margin of error,
 * and `compare`'s tests: the Mann–Whitney U test (exact for small samples without ties, else the
 * normal approximation with the tie correction), the Hodges–Lehmann interval of a shift, and
 * Holm's adjustment of several p-values.
 */
import { errorFunction } from 'simple-statistics';

export { mean, median, medianAbsoluteDeviation, quantileSorted, sampleStandardDeviation } from 'simple-statistics';

/** The geometric mean, in logs so that many ratios neither overflow nor underflow; NaN for none. */
export function geometricMean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  return Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
}

/**
 * P(|T| < t) for Student's t with df whole degrees of freedom, by the finite series of Abramowitz
 * & Stegun 26.7.3 (odd df) and 26.7.4 (even df) in θ = atan(t/√df).
 */
function studentTCentral(t: number, df: number): number {
  const theta = Math.atan(Math.abs(t) / Math.sqrt(df));
  const c2 = Math.cos(theta) ** 2;
  let term = 1;
  let sum = 1;
  if (df % 2 === 0) {
    for (let k = 1; k <= (df - 2) / 2; k++) {
      term *= ((2 * k - 1) / (2 * k)) * c2;
      sum += term;
    }
    return Math.sin(theta) * sum;
  }
  if (df === 1) return (2 * theta) / Math.PI;
  for (let k = 1; k <= (df - 3) / 2; k++) {
    term *= ((2 * k) / (2 * k + 1)) * c2;
    sum += term;
  }
  return (2 / Math.PI) * (theta + Math.sin(theta) * Math.cos(theta) * sum);
}

/**
 * The q-quantile of Student's t with df whole degrees of freedom (0 < q < 1), by bisection on the
 * series: the throughput margin of error takes t(0.975, n − 1) over its n samples.
 */
export function studentTQuantile(q: number, df: number): number {
  if (!(q > 0 && q < 1) || !(Number.isInteger(df) && df >= 1)) {
    throw new RangeError(`Student t quantile: q=${q}, df=${df} (a whole number from 1)`);
  }
  if (q === 0.5) return 0;
  if (q < 0.5) return -studentTQuantile(1 - q, df);
  const central = 2 * q - 1;
  let lo = 0;
  let hi = 1;
  while (studentTCentral(hi, df) < central) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCentral(mid, df) < central) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** P(|Z| ≥ |z|) for a standard normal Z: erfc(|z|/√2). */
export function normalTwoSidedP(z: number): number {
  return Math.min(1, Math.max(0, 1 - errorFunction(Math.abs(z) / Math.SQRT2)));
}

export interface MannWhitneyResult {
  /** Pairs (a, b) with b > a, ties counting ½: n·m/2 when neither side tends to be larger. */
  u: number;
  /** Two-sided p-value. */
  p: number;
  /** Whether p is exact (no ties, both sides at most EXACT_MAX) or from the normal approximation. */
  exact: boolean;
}

/** Exact p-values up to this many values a side: the table of U counts has (n+1)(m+1)(nm+1) entries. */
const EXACT_MAX = 30;

/**
 * The null distribution of U for sizes n and m, as counts of orderings (the coefficients of the
 * Gaussian binomial): f(i, j, u) = f(i − 1, j, u − j) + f(i, j − 1, u), the largest value coming
 * from one side or the other. Only additions, so the counts (up to C(60, 30) ≈ 1.2e17) keep full
 * relative precision as doubles.
 */
function uCounts(n: number, m: number): Float64Array {
  // row[j] holds f(i, j, ·) for the current i.
  let row: Float64Array[] = Array.from({ length: m + 1 }, () => Float64Array.of(1));
  for (let i = 1; i <= n; i++) {
    const next: Float64Array[] = [Float64Array.of(1)];
    for (let j = 1; j <= m; j++) {
      const f = new Float64Array(i * j + 1);
      const up = row[j] as Float64Array; // f(i − 1, j, ·)
      const left = next[j - 1] as Float64Array; // f(i, j − 1, ·)
      for (let u = 0; u < up.length; u++) f[u + j] = (f[u + j] as number) + (up[u] as number);
      for (let u = 0; u < left.length; u++) f[u] = (f[u] as number) + (left[u] as number);
      next.push(f);
    }
    row = next;
  }
  return row[m] as Float64Array;
}

const countsCache = new Map<string, Float64Array>();

function countsOf(n: number, m: number): Float64Array {
  const key = `${Math.min(n, m)},${Math.max(n, m)}`;
  let counts = countsCache.get(key);
  if (!counts) {
    counts = uCounts(Math.min(n, m), Math.max(n, m));
    countsCache.set(key, counts);
  }
  return counts;
}

/** Exact two-sided p of U = u (an integer) for sizes n and m, without ties. */
function exactP(u: number, n: number, m: number): number {
  const counts = countsOf(n, m);
  let total = 0;
  let below = 0;
  let above = 0;
  counts.forEach((c, k) => {
    total += c;
    if (k <= u) below += c;
    if (k >= u) above += c;
  });
  return Math.min(1, (2 * Math.min(below, above)) / total);
}

/**
 * The Mann–Whitney U test of b against a (two-sided): whether values of one side tend to be larger
 * than the other's, with no assumption about their distribution. Needs a value on each side.
 */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): MannWhitneyResult {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) throw new RangeError('Mann–Whitney U: needs at least 1 value on each side');
  // Ranks of the pooled values, ties sharing their mean rank.
  const pooled = [...a.map((v) => ({ v, b: false })), ...b.map((v) => ({ v, b: true }))].sort((x, y) => x.v - y.v);
  const N = n + m;
  let rankSumB = 0;
  let tieTerm = 0;
  for (let i = 0; i < N; ) {
    let j = i;
    while (j + 1 < N && (pooled[j + 1] as { v: number }).v === (pooled[i] as { v: number }).v) j++;
    const t = j - i + 1;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if ((pooled[k] as { b: boolean }).b) rankSumB += rank;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  const u = rankSumB - (m * (m + 1)) / 2;
  if (tieTerm === 0 && n <= EXACT_MAX && m <= EXACT_MAX) return { u, p: exactP(u, n, m), exact: true };
  const variance = ((n * m) / 12) * (N + 1 - tieTerm / (N * (N - 1)));
  if (!(variance > 0)) return { u, p: 1, exact: false };
  const d = Math.abs(u - (n * m) / 2);
  const z = Math.max(0, d - 0.5) / Math.sqrt(variance);
  return { u, p: normalTwoSidedP(z), exact: false };
}

/** The smallest two-sided p-value the U test can give for sizes n and m: every value of one side beyond the other's. */
export function mannWhitneyMinP(n: number, m: number): number {
  if (n === 0 || m === 0) return 1;
  return mannWhitneyU(
    Array.from({ length: n }, (_, i) => i),
    Array.from({ length: m }, (_, i) => n + i),
  ).p;
}

/**
 * The largest c with P(U ≤ c) ≤ alpha/2 for sizes n and m (exact up to EXACT_MAX a side, else the
 * normal approximation), or −1 when even U = 0 is more likely than that.
 */
export function mannWhitneyCritical(n: number, m: number, alpha: number): number {
  if (n === 0 || m === 0) return -1;
  if (n <= EXACT_MAX && m <= EXACT_MAX) {
    const counts = countsOf(n, m);
    const total = counts.reduce((t, c) => t + c, 0);
    let below = 0;
    let c = -1;
    for (let k = 0; k < counts.length; k++) {
      below += counts[k] as number;
      if (below / total > alpha / 2) break;
      c = k;
    }
    return c;
  }
  // The normal quantile z with P(|Z| ≥ z) = alpha, by bisection on the tail.
  let lo = 0;
  let hi = 40;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (normalTwoSidedP(mid) > alpha) lo = mid;
    else hi = mid;
  }
  const c = Math.floor((n * m) / 2 - hi * Math.sqrt((n * m * (n + m + 1)) / 12) - 0.5);
  return Math.max(-1, c);
}

export interface ShiftInterval {
  /** The Hodges–Lehmann estimate of the shift of b from a: the median of every difference b_j − a_i. */
  estimate: number;
  /** The confidence interval of the shift at 1 − alpha (−∞/+∞ when the sizes allow none that narrow). */
  low: number;
  high: number;
}

/**
 * The shift of b from a with its confidence interval, by inverting the Mann–Whitney test (Hodges &
 * Lehmann; Bauer 1972): the n·m differences b_j − a_i sorted, the interval runs from the (c+1)-th to
 * the (n·m − c)-th, c the test's critical value at alpha.
 */
export function shiftInterval(a: readonly number[], b: readonly number[], alpha: number): ShiftInterval {
  if (a.length === 0 || b.length === 0) throw new RangeError('shift interval: needs at least 1 value on each side');
  const d: number[] = [];
  for (const y of b) for (const x of a) d.push(y - x);
  d.sort((x, y) => x - y);
  const k = d.length;
  const estimate = k % 2 ? (d[k >> 1] as number) : ((d[k / 2 - 1] as number) + (d[k / 2] as number)) / 2;
  const c = mannWhitneyCritical(a.length, b.length, alpha);
  if (c < 0) return { estimate, low: -Infinity, high: Infinity };
  return { estimate, low: d[c] as number, high: d[k - 1 - c] as number };
}

/**
 * Holm's step-down adjustment of m p-values (Holm 1979), in the order given: sorted ascending,
 * p_(k) × (m − k) for k from 0, made monotone and capped at 1. Rejecting where the adjusted p is
 * at most alpha keeps the chance of any false rejection at most alpha.
 */
export function holmAdjust(ps: readonly number[]): number[] {
  const order = ps.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(ps.length);
  let running = 0;
  order.forEach(([p, i], k) => {
    running = Math.max(running, Math.min(1, p * (ps.length - k)));
    out[i] = running;
  });
  return out;
}

/**
 * The least of the values (Infinity for none), as Math.min, without passing them as arguments: a
 * spread of a few hundred thousand values (the records of a large run) overflows the stack.
 */
export function least(xs: Iterable<number>): number {
  let m = Infinity;
  for (const x of xs) if (x < m) m = x;
  return m;
}

/** The greatest of the values (−Infinity for none), as Math.max, without passing them as arguments (see least). */
export function most(xs: Iterable<number>): number {
  let m = -Infinity;
  for (const x of xs) if (x > m) m = x;
  return m;
}
