import { describe, expect, it } from 'vitest';
import { formatCount } from '../../results/number-text.ts';

describe('formatCount', () => {
  it('groups whole numbers by thousands, as written by hand', () => {
    expect([0, 7, 999, 1000, -1000, 1048384, 16384 * 1024].map(formatCount)).toEqual([
      '0',
      '7',
      '999',
      '1,000',
      '-1,000',
      '1,048,384',
      '16,777,216',
    ]);
    expect(formatCount(1e21)).toBe(`1${',000'.repeat(7)}`);
    expect(formatCount(0.5)).toBe('0.5');
  });

  it("writes every integer as toLocaleString('en-US') does: the shortest digits, then zeros, never an exponent", () => {
    const values = [-0, 2 ** 53, -(2 ** 53), 373670183460967230, 1.5e300, -7e25, Number.MAX_VALUE];
    // Every magnitude from 1 to 10^40, a few values each, from a fixed sequence.
    let x = 1;
    for (let d = 0; d <= 40; d++) {
      for (let k = 0; k < 5; k++) {
        x = (x * 48271) % 2147483647;
        values.push(Math.round((x / 2147483647 - 0.5) * 10 ** d));
      }
    }
    for (const v of values) expect(formatCount(v)).toBe(v.toLocaleString('en-US'));
  });
});
