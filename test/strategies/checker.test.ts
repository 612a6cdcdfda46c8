import { describe, expect, it } from 'vitest';
import { createChecked } from '../../strategies/checker.ts';
import { InvariantError } from '../../strategies/errors.ts';
import { GFP_DMA32, GFP_KERNEL } from '../../strategies/machine/gfp.ts';
import { Machine } from '../../strategies/machine/machine.ts';
import { slabDma32 } from '../../strategies/slab-dma32.ts';
import type { PageAllocator, Strategy, TableAllocator } from '../../strategies/types.ts';
import { instance } from '../helpers.ts';

/** A deliberately broken strategy: `bug` picks what it gets wrong. */
function broken(bug: 'misaligned' | 'overlap' | 'foreign' | 'early-free' | 'normal'): Strategy {
  return {
    name: `broken-${bug}`,
    description: 'test double',
    placement: 'dma32',
    params: {},
    create({ pages }): TableAllocator {
      const p: PageAllocator = pages;
      let page = -1;
      let n = 0;
      return {
        work: {},
        metadataBytes: () => 0,
        strandedBytes: () => 0,
        alloc() {
          if (page < 0) page = p.allocPages(bug === 'normal' ? GFP_KERNEL : GFP_DMA32, 0);
          n++;
          if (bug === 'misaligned') return page + 512;
          if (bug === 'overlap') return page;
          if (bug === 'foreign') return page + 4096;
          return page + (n - 1) * 1024;
        },
        free() {
          if (bug === 'early-free') p.freePages(page, 0);
        },
      };
    },
  };
}

function run(bug: Parameters<typeof broken>[0], ops: (t: TableAllocator) => void): string {
  const m = new Machine();
  const t = createChecked(broken(bug), { pages: m.account('x'), cpus: 4, params: {} });
  try {
    ops(t);
  } catch (e) {
    expect(e).toBeInstanceOf(InvariantError);
    return (e as Error).message;
  }
  return 'no error';
}

describe('invariant checker', () => {
  it('names the strategy and the address of each broken rule', () => {
    expect(run('misaligned', (t) => t.alloc(0))).toMatch(/^broken-misaligned: table 0x0ffc00200 is not 1 KiB-aligned$/);
    expect(run('overlap', (t) => [t.alloc(0), t.alloc(0)])).toMatch(/overlaps a live table/);
    expect(run('foreign', (t) => t.alloc(0))).toMatch(/outside the pages it holds/);
    expect(run('normal', (t) => t.alloc(0))).toMatch(/above 4 GiB although the strategy promises DMA32/);
    expect(run('early-free', (t) => [t.alloc(0), t.alloc(0), t.free(t.alloc(0) - 2048, 0)])).toMatch(
      /gave back page 0x0ffc00000 while table 0x0ffc00400 on it is live/,
    );
  });

  it('refuses a double free and a wild pointer, naming strategy and address', () => {
    const { tables } = instance(slabDma32);
    const a = tables.alloc(0);
    tables.free(a, 0);
    expect(() => tables.free(a, 0)).toThrow(
      `slab-dma32: free of 0x${a.toString(16).padStart(9, '0')}, which is not a live table`,
    );
    expect(() => tables.free(12345 * 1024, 0)).toThrow(/slab-dma32: free of 0x000c0e400/);
  });
});
