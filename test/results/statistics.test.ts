import { describe, expect, it } from 'vitest';
import {
  geometricMean,
  holmAdjust,
  least,
  mannWhitneyCritical,
  mannWhitneyMinP,
  mannWhitneyU,
  most,
  normalTwoSidedP,
  shiftInterval,
  studentTQuantile,
} from '../../results/statistics.ts';

describe('Student t quantile (the throughput margin of error)', () => {
  it('gives the closed forms of 1 and 2 degrees of freedom exactly', () => {
    // df 1 (Cauchy): t = tan(π(q − ½)); df 2: P(|T| < t) = t/√(2 + t²), so t = √(2c²/(1 − c²)), c = 2q − 1.
    for (const q of [0.6, 0.9, 0.975, 0.995]) {
      const c = 2 * q - 1;
      expect(studentTQuantile(q, 1) / Math.tan(Math.PI * (q - 0.5))).toBeCloseTo(1, 12);
      expect(studentTQuantile(q, 2) / Math.sqrt((2 * c * c) / (1 - c * c))).toBeCloseTo(1, 12);
    }
  });

  it('gives the points of the published t tables', () => {
    // Fisher & Yates' table, 3 decimals; to 9 and 10 digits for three rows (scipy t.ppf(0.975, df)).
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.7764451051977987, 10);
    expect(studentTQuantile(0.975, 9)).toBeCloseTo(2.2621571627409915, 9);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.0422724563012373, 10);
    expect(studentTQuantile(0.975, 120)).toBeCloseTo(1.98, 3);
    expect(studentTQuantile(0.95, 5)).toBeCloseTo(2.015, 3);
    expect(studentTQuantile(0.995, 10)).toBeCloseTo(3.169, 3);
    expect(studentTQuantile(0.975, 1000)).toBeCloseTo(1.962, 3);
  });

  it('is symmetric about 0', () => {
    expect(studentTQuantile(0.025, 9)).toBe(-studentTQuantile(0.975, 9));
    expect(studentTQuantile(0.5, 3)).toBe(0);
  });

  it('takes whole degrees of freedom only (n − 1 of n samples)', () => {
    expect(() => studentTQuantile(0.975, 2.5)).toThrow(RangeError);
    expect(() => studentTQuantile(0.975, 0)).toThrow(RangeError);
    expect(() => studentTQuantile(1, 3)).toThrow(RangeError);
  });
});

describe('normal tail', () => {
  it('gives 2(1 − Φ(z)) of the published normal tables, to 1.2e-7', () => {
    // z of the usual two-sided levels, and Φ(1) = 0.8413447460685429.
    for (const [z, p] of [
      [1, 0.3173105078629141],
      [1.959963984540054, 0.05],
      [2.5758293035489004, 0.01],
      [3.2905267314918945, 0.001],
    ] as const) {
      expect(Math.abs(normalTwoSidedP(z) / p - 1)).toBeLessThan(2e-7);
      expect(normalTwoSidedP(-z)).toBe(normalTwoSidedP(z));
    }
    expect(normalTwoSidedP(0)).toBe(1);
  });
});

describe('geometric mean', () => {
  it('is the n-th root of the product, taken in logs so that many large ratios do not overflow', () => {
    expect(geometricMean([1, 4, 16])).toBeCloseTo(4, 14);
    expect(geometricMean(Array.from({ length: 1000 }, () => 1e300)) / 1e300).toBeCloseTo(1, 10);
    expect(geometricMean([2, Infinity])).toBe(Infinity);
    expect(geometricMean([])).toBeNaN();
  });
});

describe("Holm's adjustment", () => {
  it('steps down over the sorted p-values, monotone and capped at 1 (Holm 1979), by hand', () => {
    // Sorted 0.01, 0.02, 0.03 → ×3, ×2, ×1 = 0.03, 0.04, 0.03 → monotone 0.03, 0.04, 0.04.
    expect(holmAdjust([0.03, 0.01, 0.02])).toEqual([0.04, 0.03, 0.04].map((x) => expect.closeTo(x, 12)));
    // Sorted 0.005, 0.01, 0.03, 0.04 → ×4, ×3, ×2, ×1 = 0.02, 0.03, 0.06, 0.04 → 0.02, 0.03, 0.06, 0.06.
    expect(holmAdjust([0.01, 0.04, 0.03, 0.005])).toEqual([0.03, 0.06, 0.06, 0.02].map((x) => expect.closeTo(x, 12)));
    expect(holmAdjust([0.5, 0.001])).toEqual([expect.closeTo(0.5, 12), expect.closeTo(0.002, 12)]);
    expect(holmAdjust([0.6, 0.7])).toEqual([1, 1].map((x) => expect.closeTo(x, 12)));
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
    // The normal tail is simple-statistics' erfc, good to 1.2e-7.
    expect(r.p).toBeCloseTo(0.018530522991017574, 8);
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
    expect(r.p).toBeCloseTo(0.080642357722139, 7);
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

describe('least and most, over as many values as a large run has records', () => {
  it('are Math.min and Math.max of the values, and ±Infinity of none', () => {
    expect([least([3, -2, 7]), most([3, -2, 7])]).toEqual([-2, 7]);
    expect([least([]), most([])]).toEqual([Infinity, -Infinity]);
  });

  it('take 10^6 values, which Math.min(...values) cannot (a RangeError: the call stack overflows)', () => {
    // 1, 2, …, 10^6 reversed: the least is 1, the greatest 10^6.
    const values = Array.from({ length: 1_000_000 }, (_, i) => 1_000_000 - i);
    expect(() => Math.min(...values)).toThrow(RangeError);
    expect([least(values), most(values)]).toEqual([1, 1_000_000]);
  });
});
