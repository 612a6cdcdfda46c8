/**
 * The statistics of `compare` and of the throughput margin: the Mann–Whitney U test (exact for small
 * samples without ties, else the normal approximation with the tie correction), Holm's adjustment,
 * and Student's t distribution for margins of error. simple-statistics has no t distribution, so its
 * CDF is computed here from the regularized incomplete beta function (Numerical Recipes, 3rd ed.,
 * §6.4: `betai` with the continued fraction `betacf` evaluated by the modified Lentz method).
 */

/** Lanczos coefficients for g = 7, n = 9 (relative error below 1e-15 for x > 0). */
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma(${x}): x must be positive`);
  if (x < 0.5) {
    // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  }
  const z = x - 1;
  let sum = LANCZOS[0] as number;
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] as number) / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const EPS = 1e-15;
const FPMIN = 1e-300;
/** The fraction needs O(√max(a, b)) terms: enough for df up to about 1e8. */
const MAX_ITERATIONS = 20_000;

/** The continued fraction for I_x(a, b), by the modified Lentz method (NR `betacf`). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < FPMIN) d = FPMIN;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    // Even step.
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    h *= d * c;
    // Odd step.
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) return h;
  }
  throw new Error(`incomplete beta: no convergence for a=${a}, b=${b}, x=${x}`);
}

/** The regularized incomplete beta function I_x(a, b), for a, b > 0 and 0 ≤ x ≤ 1. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new RangeError(`incomplete beta: a=${a}, b=${b} must be positive`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`incomplete beta: x=${x} must lie in [0, 1]`);
  if (x === 0) return 0;
  if (x === 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  // The fraction converges fast for x < (a+1)/(a+b+2); otherwise use I_x(a,b) = 1 − I_{1−x}(b,a).
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(|T| ≥ |t|) for Student's t with df degrees of freedom (df may be fractional, as Welch's is). */
export function studentTTwoSidedP(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) throw new RangeError(`Student t: t=${t}, df=${df}`);
  if (!Number.isFinite(t)) return 0;
  return regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** P(T ≤ t) for Student's t with df degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = studentTTwoSidedP(t, df) / 2;
  return t >= 0 ? 1 - tail : tail;
}

/** The q-quantile of Student's t with df degrees of freedom (0 < q < 1), by bisection on the CDF. */
export function studentTQuantile(q: number, df: number): number {
  if (!(q > 0 && q < 1) || !(df > 0)) throw new RangeError(`Student t quantile: q=${q}, df=${df}`);
  if (q === 0.5) return 0;
  if (q < 0.5) return -studentTQuantile(1 - q, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < q) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** erfc(x) for x ≥ 0: the Taylor series of erf below 2, the continued fraction (Lentz) above. */
function erfc(x: number): number {
  if (x < 2) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = e^{−x²}/√π · 1/(x + ½/(x + 1/(x + 3⁄2/(x + …)))).
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = 1 / (x + a * d);
    c = x + a / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** P(|Z| ≥ |z|) for a standard normal Z. */
export function normalTwoSidedP(z: number): number {
  return Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
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
