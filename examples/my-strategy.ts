/**
 * An example user strategy: `packed-page` packs `slots` 1 KiB tables (default 4) into each order-0
 * GFP_DMA32 page. Freed slots are reused (first on the page that most recently gained a free slot), and
 * a page goes back to the page allocator as soon as all its slots are free. The slot bitmap lives in
 * the page's struct page (page->private), so it costs no metadata outside the pages.
 *
 *   npx l2bench run --strategy ./examples/my-strategy.ts,full-page -w hold:tables=10 --check
 *   npx l2bench run --strategy ./examples/my-strategy.ts:slots=2 -w churn:live=256,ops=10000
 */
import { gfp, type Strategy, type StrategyContext, type TableAllocator } from '../index.ts';

const PAGE_SIZE = 4096;
const TABLE_SIZE = 1024;

class PackedPage implements TableAllocator {
  /** Counters of modelled kernel work: results report them per event (strategy_work_per_event). */
  readonly work = { refills: 0, releases: 0 };

  readonly #ctx: StrategyContext;
  readonly #slots: number;
  /** Bitmap of a page with every slot in use. */
  readonly #full: number;
  /** Pages with at least one free slot, and each one's index in that array (for O(1) removal). */
  readonly #partial: number[] = [];
  readonly #index = new Map<number, number>();

  constructor(ctx: StrategyContext) {
    this.#ctx = ctx;
    this.#slots = ctx.params.slots as number;
    this.#full = (1 << this.#slots) - 1;
  }

  alloc(): number {
    const pages = this.#ctx.pages;
    let page = this.#partial[this.#partial.length - 1];
    if (page === undefined) {
      page = pages.allocPages(gfp.GFP_ATOMIC | gfp.GFP_DMA32 | gfp.__GFP_ZERO, 0);
      if (page < 0) return -1;
      this.work.refills++;
      pages.setPrivate(page, 0);
      this.#addPartial(page);
    }
    const used = pages.getPrivate(page);
    let slot = 0;
    while (used & (1 << slot)) slot++;
    pages.setPrivate(page, used | (1 << slot));
    if ((used | (1 << slot)) === this.#full) this.#removePartial(page);
    return page + slot * TABLE_SIZE;
  }

  free(addr: number): void {
    const pages = this.#ctx.pages;
    const page = addr - (addr % PAGE_SIZE);
    const bit = 1 << ((addr - page) / TABLE_SIZE);
    const used = pages.getPrivate(page);
    if (!(used & bit)) throw new Error(`packed-page: free of ${addr.toString(16)}, which is not allocated`);
    if (used === this.#full) this.#addPartial(page);
    if (used === bit) {
      // The last table on the page: give the page back.
      this.#removePartial(page);
      pages.freePages(page, 0);
      this.work.releases++;
    } else pages.setPrivate(page, used & ~bit);
  }

  metadataBytes(): number {
    return 0;
  }

  strandedBytes(): number {
    // Every free slot can be handed out again at once.
    return 0;
  }

  #addPartial(page: number): void {
    this.#index.set(page, this.#partial.length);
    this.#partial.push(page);
  }

  #removePartial(page: number): void {
    const i = this.#index.get(page) as number;
    const last = this.#partial.pop() as number;
    if (last !== page) {
      this.#partial[i] = last;
      this.#index.set(last, i);
    }
    this.#index.delete(page);
  }
}

/** The default export is what `--strategy ./examples/my-strategy.ts` loads. */
const packedPage: Strategy = {
  name: 'packed-page',
  description: 'order-0 GFP_DMA32 pages holding `slots` tables each, freed slots reused, empty pages freed',
  placement: 'dma32',
  params: {
    slots: { kind: 'int', description: 'tables per 4 KiB page', default: 4, min: 1, max: 4 },
  },
  create: (ctx) => new PackedPage(ctx),
};

export default packedPage;
