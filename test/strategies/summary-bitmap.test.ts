import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SummaryBitmap } from '../../strategies/summary-bitmap.ts';

describe('SummaryBitmap', () => {
  it('finds the largest member as a plain set would, across growth to 4 levels', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ set: fc.boolean(), at: fc.oneof(fc.nat({ max: 40 }), fc.nat({ max: 40_000 })) }), {
          maxLength: 300,
        }),
        (ops) => {
          const bits = new SummaryBitmap();
          const ref = new Set<number>();
          for (const { set, at } of ops) {
            if (set) {
              bits.set(at);
              ref.add(at);
            } else {
              bits.clear(at);
              ref.delete(at);
            }
            expect(bits.highest()).toBe(ref.size === 0 ? -1 : Math.max(...ref));
            expect(bits.has(at)).toBe(ref.has(at));
          }
        },
      ),
    );
  });

  it('keeps a summary bit while another member shares the word', () => {
    const bits = new SummaryBitmap();
    bits.set(5000);
    bits.set(5001);
    bits.set(7);
    bits.clear(5001);
    expect(bits.highest()).toBe(5000);
    bits.clear(5000);
    expect(bits.highest()).toBe(7);
    bits.clear(7);
    expect(bits.highest()).toBe(-1);
  });
});
