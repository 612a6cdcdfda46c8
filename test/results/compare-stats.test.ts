import { describe, expect, it } from 'vitest';
import {
  logGamma,
  mannWhitneyCritical,
  mannWhitneyMinP,
  mannWhitneyU,
  normalTwoSidedP as normalP,
  regularizedIncompleteBeta,
  shiftInterval,
  studentTCdf,
  studentTQuantile,
  studentTTwoSidedP,
} from '../../results/compare/stats.ts';

/**
 * Two-sided p of Student's t from the closed forms of Abramowitz & Stegun 26.7.3 (odd df) and
 * 26.7.4 (even df): A(t|ν) = P(|T| < t) as a finite series in θ = atan(t/√ν). No incomplete beta
 * and no gamma function: an independent reference for integer df.
 */
function closedFormTwoSidedP(t: number, df: number): number {
  const theta = Math.atan(Math.abs(t) / Math.sqrt(df));
  const c2 = Math.cos(theta) ** 2;
  let a: number;
  if (df % 2 === 0) {
    let term = 1;
    let sum = 1;
    for (let k = 1; k <= (df - 2) / 2; k++) {
      term *= ((2 * k - 1) / (2 * k)) * c2;
      sum += term;
    }
    a = Math.sin(theta) * sum;
  } else if (df === 1) {
    a = (2 * theta) / Math.PI;
  } else {
    let term = 1;
    let sum = 1;
    for (let k = 1; k <= (df - 3) / 2; k++) {
      term *= ((2 * k) / (2 * k + 1)) * c2;
      sum += term;
    }
    a = (2 / Math.PI) * (theta + Math.sin(theta) * Math.cos(theta) * sum);
  }
  return 1 - a;
}

/** Two-sided normal tail, 2 (1 − Φ(z)) = erfc(z/√2), by the continued fraction of erfc. */
function normalTwoSidedP(z: number): number {
  // erfc(x) = e^{−x²}/√π · 1/(x + ½/(x + 1/(x + 3⁄2/(x + …)))), evaluated by Lentz.
  const x = Math.abs(z) / Math.SQRT2;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = 1 / (x + a * d);
    c = x + a / c;
    f *= c * d;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

describe('logGamma', () => {
  it('matches Γ at whole and half-integers', () => {
    expect(logGamma(1)).toBeCloseTo(0, 14);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
    // Γ(10.5) = (19!!/2^10) √π
    const g = (654729075 / 1024) * Math.sqrt(Math.PI);
    expect(logGamma(10.5)).toBeCloseTo(Math.log(g), 12);
    expect(logGamma(0.1)).toBeCloseTo(Math.log(9.513507698668732), 12);
  });
});

describe('regularizedIncompleteBeta', () => {
  it('matches values with closed forms', () => {
    // I_x(2, 3) = Σ_{j=2}^{4} C(4, j) x^j (1 − x)^{4−j}: at 0.4, 0.3456 + 0.1536 + 0.0256.
    expect(regularizedIncompleteBeta(0.4, 2, 3)).toBeCloseTo(0.5248, 14);
    // I_x(1/2, 1/2) = (2/π) asin √x.
    expect(regularizedIncompleteBeta(0.3, 0.5, 0.5)).toBeCloseTo((2 / Math.PI) * Math.asin(Math.sqrt(0.3)), 14);
    // I_x(a, 1) = x^a.
    expect(regularizedIncompleteBeta(0.7, 3.5, 1)).toBeCloseTo(0.7 ** 3.5, 14);
    // mpmath.betainc(10, 20, 0, 0.2, regularized=True) = 0.0492635173042125170…
    expect(regularizedIncompleteBeta(0.2, 10, 20)).toBeCloseTo(0.049263517304212516, 14);
  });

  it('keeps the ends and the symmetry I_x(a,b) = 1 − I_{1−x}(b,a)', () => {
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1);
    for (const [x, a, b] of [
      [0.1, 0.7, 4],
      [0.55, 12, 3.3],
      [0.9, 50, 0.5],
    ] as const) {
      expect(regularizedIncompleteBeta(x, a, b) + regularizedIncompleteBeta(1 - x, b, a)).toBeCloseTo(1, 13);
    }
  });

  it('refuses arguments out of range', () => {
    expect(() => regularizedIncompleteBeta(1.5, 1, 1)).toThrow(RangeError);
    expect(() => regularizedIncompleteBeta(0.5, 0, 1)).toThrow(RangeError);
  });
});

describe('Student t distribution', () => {
  // Reference values, worked out independently of this code: the A&S closed forms above, and
  // scipy 2·t.sf(t, df) / mpmath betainc at 30 digits:
  //   t=2, df=10: 0.0733880347707403751; t=1, df=1: 0.5 (Cauchy: 1 − 2·atan(1)/π);
  //   t=3, df=5: 0.0300992478974625756.
  it.each([
    [2, 10, 0.07338803477074038],
    [1, 1, 0.5],
    [3, 5, 0.030099247897462576],
  ])('two-sided p for t=%d, df=%d is %f', (t, df, p) => {
    expect(studentTTwoSidedP(t, df)).toBeCloseTo(p, 12);
    expect(studentTTwoSidedP(-t, df)).toBeCloseTo(p, 12);
    expect(closedFormTwoSidedP(t, df)).toBeCloseTo(p, 12);
  });

  it('agrees with the closed forms over a grid of integer df', () => {
    for (const df of [1, 2, 3, 4, 7, 12, 29, 30]) {
      for (const t of [0, 0.1, 0.7, 1.5, 2.2, 4, 9]) {
        expect(studentTTwoSidedP(t, df)).toBeCloseTo(closedFormTwoSidedP(t, df), 12);
      }
    }
  });

  it('handles fractional df (as Welch gives): scipy 2·t.sf', () => {
    expect(studentTTwoSidedP(0.5, 2.5)).toBeCloseTo(0.6576979198697146, 12);
    expect(studentTTwoSidedP(2.5, 7.3)).toBeCloseTo(0.03965023466560045, 12);
  });

  it('approaches the normal distribution for large df', () => {
    expect(normalTwoSidedP(1.96)).toBeCloseTo(0.04999579029644087, 12); // the reference itself
    expect(studentTTwoSidedP(1.96, 1e6)).toBeCloseTo(0.04999606758526985, 9); // scipy
    for (const z of [0.5, 1.96, 3]) {
      expect(Math.abs(studentTTwoSidedP(z, 1e7) - normalTwoSidedP(z))).toBeLessThan(1e-6);
    }
  });

  it('gives a CDF that is ½ at 0, symmetric and monotone', () => {
    expect(studentTCdf(0, 4)).toBeCloseTo(0.5, 15);
    expect(studentTCdf(-1.3, 6) + studentTCdf(1.3, 6)).toBeCloseTo(1, 14);
    expect(studentTCdf(2, 10)).toBeCloseTo(1 - 0.07338803477074038 / 2, 12);
    expect(studentTCdf(1, 3)).toBeGreaterThan(studentTCdf(0.9, 3));
    expect(studentTTwoSidedP(Infinity, 3)).toBe(0);
  });
});

describe('Student t quantile', () => {
  it('inverts the CDF: the 97.5 % points of the usual t tables', () => {
    // Tables (and scipy t.ppf(0.975, df)): df 1: 12.706, 4: 2.776, 9: 2.262, 30: 2.042, ∞: 1.960.
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706204736174696, 9);
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.7764451051977987, 10);
    expect(studentTQuantile(0.975, 9)).toBeCloseTo(2.2621571627409915, 9);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.0422724563012373, 10);
    expect(studentTQuantile(0.975, 1e7)).toBeCloseTo(1.959964, 5);
    expect(studentTQuantile(0.025, 9)).toBeCloseTo(-2.2621571627409915, 9);
    expect(studentTQuantile(0.5, 3)).toBe(0);
  });
});

describe('normal tail', () => {
  it('matches the continued-fraction reference, and scipy where that converges slowly', () => {
    for (const z of [1.96, 2.7, 2.9, 3, 4.2, 6, 9]) {
      expect(normalP(z) / normalTwoSidedP(z)).toBeCloseTo(1, 12);
    }
    expect(normalP(0.3)).toBeCloseTo(0.7641771556220947, 14); // scipy 2·norm.sf(0.3)
    expect(normalP(0)).toBe(1);
  });
});

describe('Mann–Whitney U test', () => {
  // References: scipy.stats.mannwhitneyu(b, a, alternative='two-sided'), method 'exact' without
  // ties, 'asymptotic' (continuity- and tie-corrected) otherwise.
  it.each([
    [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], 25, 0.007936507936507936],
    [[1.1, 2.2, 3.3, 4.4], [2.0, 5.5, 6.6, 7.7, 8.8], 17, 0.1111111111111111],
    [[3.1, 1.2, 4.5, 2.2, 5.9, 2.6, 5.3], [5.8, 9.7, 9.3, 2.38, 4.6], 27, 0.148989898989899],
  ])('exact without ties: %j against %j gives U=%d, p=%f', (a, b, u, p) => {
    const r = mannWhitneyU(a, b);
    expect(r.exact).toBe(true);
    expect(r.u).toBe(u);
    expect(r.p).toBeCloseTo(p, 14);
    // Swapping the sides mirrors U and keeps p.
    expect(mannWhitneyU(b, a).u).toBe(a.length * b.length - u);
    expect(mannWhitneyU(b, a).p).toBeCloseTo(p, 14);
  });

  it('uses the normal approximation with the tie correction when values tie', () => {
    const r = mannWhitneyU([1, 2, 2, 3, 3, 3, 4, 5], [3, 4, 4, 5, 5, 6, 7]);
    expect(r.exact).toBe(false);
    expect(r.u).toBe(48.5);
    expect(r.p).toBeCloseTo(0.018530522991017574, 12);
  });

  it('uses the normal approximation for more than 30 values a side', () => {
    // 40 and 35 draws of N(10, 1) and N(10.5, 1), rounded to 6 decimals (numpy default_rng(1)).
    const a = [
      10.345584, 10.821618, 10.330437, 8.696843, 10.905356, 10.446375, 9.463047, 10.581118, 10.364572, 10.294132,
      10.028422, 10.546713, 9.263546, 9.83709, 9.517881, 10.598846, 10.039722, 9.707543, 9.218092, 9.742808, 10.008142,
      9.724397, 11.294064, 11.006724, 7.288838, 8.110987, 9.825228, 9.57781, 10.213643, 10.217322, 12.117839, 8.887979,
      9.622395, 12.042772, 10.646703, 10.663063, 9.485994, 8.351925, 10.167465, 10.109014,
    ];
    const b = [
      9.272648, 9.816773, 10.427956, 9.555248, 10.40173, 10.595483, 10.535586, 9.993708, 11.093748, 11.391167,
      10.820848, 9.68177, 11.231652, 9.99856, 11.379161, 9.428213, 11.414467, 10.479937, 9.251251, 10.186101, 10.554102,
      10.772791, 9.517812, 9.392627, 10.699585, 10.03325, 10.735506, 11.25952, 8.851213, 10.754388, 11.724647,
      10.202473, 9.689185, 11.252244, 10.753447,
    ];
    const r = mannWhitneyU(a, b);
    expect(r.exact).toBe(false);
    expect(r.u).toBe(865);
    expect(r.p).toBeCloseTo(0.080642357722139, 12);
  });

  it('decides a 6× difference from 8 values a side, which a t-test on skewed data can miss', () => {
    // The samples of the regression that Welch's test called "no significant change, p = 0.134".
    const base = [1.36, 1.4, 1.52, 1.61, 1.9, 2.2, 3.1, 5.43];
    const slow = [11.41, 11.9, 12.3, 13.1, 14.8, 16.2, 19.5, 21.91];
    expect(mannWhitneyU(base, slow).p).toBeCloseTo(0.0001554001554001554, 14);
  });

  it('knows the smallest p each size allows: 2 / C(n + m, n)', () => {
    expect(mannWhitneyMinP(3, 3)).toBeCloseTo(0.1, 14);
    expect(mannWhitneyMinP(5, 5)).toBeCloseTo(0.007936507936507936, 14);
    expect(mannWhitneyMinP(7, 7)).toBeCloseTo(0.0005827505827505828, 14);
    expect(mannWhitneyMinP(8, 8)).toBeCloseTo(0.0001554001554001554, 14);
    expect(mannWhitneyMinP(30, 30) / 1.691123389214474e-17).toBeCloseTo(1, 10);
    expect(mannWhitneyMinP(1, 1)).toBe(1);
    expect(mannWhitneyMinP(0, 4)).toBe(1);
  });

  it('gives p = 1 when every value is equal, and refuses an empty side', () => {
    expect(mannWhitneyU([2, 2, 2], [2, 2]).p).toBe(1);
    expect(() => mannWhitneyU([], [1])).toThrow(RangeError);
  });
});

describe('the shift of one sample from another, with its interval (Hodges–Lehmann)', () => {
  it('takes the critical values of the exact U distribution (scipy: P(U ≤ 13) = 0.0249 for 8 and 8)', () => {
    expect(mannWhitneyCritical(8, 8, 0.05)).toBe(13);
    expect(mannWhitneyCritical(5, 7, 0.05)).toBe(5); // P(U ≤ 5) = 0.0240, P(U ≤ 6) = 0.0366
    expect(mannWhitneyCritical(3, 3, 0.05)).toBe(-1); // P(U = 0) = 0.05: no interval at 95 %
    expect(mannWhitneyCritical(8, 8, 0.05 / 72)).toBe(2); // P(U ≤ 2) = 0.000311 ≤ 0.000347
    // Beyond 30 a side, the normal approximation: 595 where the exact distribution gives 596 (scipy).
    expect(mannWhitneyCritical(40, 40, 0.05)).toBe(595);
  });

  it('gives the median difference and the (c+1)-th to (nm−c)-th sorted differences', () => {
    // b = a + 10 over 0..7: the 64 differences are 10 + (j − i); the 14th and 51st are 7 and 13.
    const a = [0, 1, 2, 3, 4, 5, 6, 7];
    expect(
      shiftInterval(
        a,
        a.map((x) => x + 10),
        0.05,
      ),
    ).toEqual({ estimate: 10, low: 7, high: 13 });
    expect(shiftInterval([1, 2, 3], [4, 5, 6], 0.05)).toEqual({ estimate: 3, low: -Infinity, high: Infinity });
  });
});
