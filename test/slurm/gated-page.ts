/**
 * A strategy module for the cancellation tests: full-page (one GFP_DMA32 page per table), except
 * that a cell's `at`-th allocation waits until the file `open` exists. A run's cells of fewer
 * tables finish; the others hold their task, whatever the machine's speed, until the test has
 * cancelled or requeued it and then creates the file. The records are full-page's, exactly.
 *
 *   -s ./test/slurm/gated-page.ts:at=3,open=/tmp/x/open   (without `open`: never waits)
 */
import { existsSync } from 'node:fs';
import { findStrategy, type Strategy } from '../../index.ts';

const fullPage = findStrategy('full-page') as Strategy;
/** Something to sleep on between looks at the file (worker threads may block). */
const nap = new Int32Array(new SharedArrayBuffer(4));

const gatedPage: Strategy = {
  name: 'gated-page',
  description: 'full-page whose at-th allocation in a cell waits for the file `open` to exist',
  placement: 'dma32',
  params: {
    at: { kind: 'int', description: 'the allocation that waits', default: 3, min: 1, max: 1 << 30 },
    open: { kind: 'string', description: 'the file whose existence lets it go on', default: '' },
  },
  create(ctx) {
    const inner = fullPage.create(ctx);
    const at = ctx.params.at as number;
    const open = ctx.params.open as string;
    let allocs = 0;
    return {
      work: inner.work,
      alloc(cpu) {
        if (++allocs === at && open) while (!existsSync(open)) Atomics.wait(nap, 0, 0, 50);
        return inner.alloc(cpu);
      },
      free: (addr, cpu) => inner.free(addr, cpu),
      metadataBytes: () => inner.metadataBytes(),
      strandedBytes: () => inner.strandedBytes(),
    };
  },
};

export default gatedPage;
