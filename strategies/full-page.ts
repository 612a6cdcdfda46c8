import { PAGE_SIZE } from '../core/sizes.ts';
import { V51_CANDIDATES } from '../core/v51-candidates.ts';
import { hex, isAligned } from './machine/constants.ts';
import { __GFP_ZERO, GFP_ATOMIC, GFP_DMA32 } from './machine/gfp.ts';
import type { PageAllocator, Strategy, TableAllocator } from './types.ts';

/** Module-local copies of imported constants: V8 folds these into the code, an imported binding is loaded and checked at every use. */
const PAGE_BYTES = PAGE_SIZE;
const TABLE_GFP = GFP_ATOMIC | GFP_DMA32 | __GFP_ZERO;

/** One order-0 GFP_DMA32 page per 1 KiB table, returned on free: 3 KiB of every 4 KiB wasted. */
class FullPage implements TableAllocator {
  readonly work = {};

  constructor(readonly pages: PageAllocator) {}

  alloc(): number {
    return this.pages.allocPages(TABLE_GFP, 0);
  }

  free(addr: number): void {
    if (!isAligned(addr, PAGE_BYTES)) notAPage(addr);
    this.pages.freePages(addr, 0);
  }

  metadataBytes(): number {
    return 0;
  }

  strandedBytes(): number {
    return 0;
  }
}

export const fullPage: Strategy = {
  name: V51_CANDIDATES.fullPage,
  description: 'one 4 KiB GFP_DMA32 page per 1 KiB table, freed with the table',
  placement: 'dma32',
  params: {},
  // __get_free_pages with the caller's gfp: any context.
  requires: [{ kind: 'dma32-pages' }],
  create: (ctx) => new FullPage(ctx.pages),
};

// Kept out of the hot method, so that it stays small enough for V8 to inline.
function notAPage(addr: number): never {
  throw new Error(`full-page: free of ${hex(addr)}, which is not a page start`);
}
