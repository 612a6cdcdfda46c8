import { describe, expect, it } from 'vitest';
import {
  logGamma,
  regularizedIncompleteBeta,
  studentTCdf,
  studentTTwoSidedP,
  welchTTest,
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

describe("Welch's t-test", () => {
  it('matches scipy.stats.ttest_ind(equal_var=False)', () => {
    // scipy: t = −2.3763541031440183 for (a − b), df = 6.972255729794934, p = 0.04928433820673053.
    const r = welchTTest([1, 2, 3, 4, 5], [2, 4, 6, 8, 10, 12]);
    expect(r.t).toBeCloseTo(2.3763541031440183, 12); // b − a
    expect(r.df).toBeCloseTo(6.972255729794934, 12);
    expect(r.p).toBeCloseTo(0.04928433820673053, 12);
  });

  it('equals the pooled test when sizes and variances are equal', () => {
    // n = 4 each, both variances 5/3: df = 6, t = 4 / √(2·(5/3)/4).
    const r = welchTTest([1, 2, 3, 4], [5, 6, 7, 8]);
    expect(r.df).toBeCloseTo(6, 12);
    expect(r.t).toBeCloseTo(4 / Math.sqrt(10 / 12), 12);
    expect(r.p).toBeCloseTo(closedFormTwoSidedP(r.t, 6), 12);
  });

  it('degenerates sensibly without spread and refuses fewer than 2 values', () => {
    expect(welchTTest([3, 3, 3], [3, 3]).p).toBe(1);
    expect(welchTTest([3, 3, 3], [4, 4]).p).toBe(0);
    expect(() => welchTTest([1], [1, 2])).toThrow(RangeError);
  });
});
