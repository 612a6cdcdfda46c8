import { describe, expect, it } from 'vitest';
import { PageUndo } from '../../strategies/machine/undo.ts';

describe('PageUndo', () => {
  it('restores arrays of one and of two values per page, the last block partial, block by block', () => {
    const pages = 200; // blocks of 64 pages: 0..63, 64..127, 128..191, and 192..199
    const order = new Int8Array(pages).fill(3);
    const links = new Int32Array(2 * pages).map((_, i) => i);
    const undo = new PageUndo([order, links], pages);
    undo.arm();
    const before = [order.slice(), links.slice()];
    for (let round = 0; round < 3; round++) {
      for (const page of [0, 63, 130, 199]) {
        undo.touch(page);
        order[page] = -round - 1;
        links[2 * page] = -1;
        links[2 * page + 1] = 1000 + round;
      }
      undo.touchRange(64, 70);
      links.fill(7, 128, 140);
      // Pages 0 and 63 share a block: three blocks logged, then the range's.
      expect(undo.touchedBlocks).toBe(4);
      undo.restore();
      expect([order, links]).toEqual(before);
      expect(undo.touchedBlocks).toBe(0);
    }
  });
});
