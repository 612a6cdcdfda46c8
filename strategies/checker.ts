import { DMA32_LIMIT, PAGE_SIZE, TABLE_SIZE } from '../core/sizes.ts';
import { InvariantError } from './errors.ts';
import { hex } from './machine/constants.ts';
import type { PageAllocator, Strategy, StrategyContext, TableAllocator } from './types.ts';

/** The page allocator a checked strategy gets, plus the ownership query the checker needs. */
export interface CheckablePages extends PageAllocator {
  /** Does this holder hold the page containing addr? */
  holds(addr: number): boolean;
}

/**
 * SLUB-debug-style checking of any strategy. Every table handed out must be 1 KiB-aligned, inside
 * pages the strategy holds, overlap no live table and, where the strategy promises DMA32, lie below
 * 4 GiB. Every free must name a live table. The strategy may not give back a page that still holds
 * a live table. Costs a Set operation per event: on in tests and with --check, off in speed runs.
 */
export function createChecked(strategy: Strategy, ctx: StrategyContext & { pages: CheckablePages }): TableAllocator {
  const live = new Set<number>();
  const name = strategy.name;
  const pages = ctx.pages;
  const guardedPages: PageAllocator = {
    allocPages: (gfp, order) => pages.allocPages(gfp, order),
    freePages(addr, order) {
      const first = addr / TABLE_SIZE;
      const units = (PAGE_SIZE << order) / TABLE_SIZE;
      for (let u = first; u < first + units; u++) {
        if (live.has(u)) {
          throw new InvariantError(
            name,
            u * TABLE_SIZE,
            `gave back page ${hex(addr)} while table ${hex(u * TABLE_SIZE)} on it is live`,
          );
        }
      }
      pages.freePages(addr, order);
    },
    compoundOrder: (addr) => pages.compoundOrder(addr),
    compoundHead: (addr) => pages.compoundHead(addr),
    getPrivate: (addr) => pages.getPrivate(addr),
    setPrivate: (addr, value) => pages.setPrivate(addr, value),
  };
  const inner = strategy.create({ ...ctx, pages: guardedPages });
  return {
    work: inner.work,
    metadataBytes: () => inner.metadataBytes(),
    strandedBytes: () => inner.strandedBytes(),
    ...(inner.requirements ? { requirements: () => inner.requirements?.() ?? {} } : {}),
    alloc(cpu: number): number {
      const addr = inner.alloc(cpu);
      if (addr === -1) return addr;
      if (typeof addr !== 'number' || !Number.isSafeInteger(addr) || addr < 0) {
        throw new InvariantError(name, NaN, `alloc returned ${describeValue(addr)}, not an address`);
      }
      if (addr % TABLE_SIZE !== 0) {
        throw new InvariantError(name, addr, `table ${hex(addr)} is not 1 KiB-aligned`);
      }
      if (!pages.holds(addr))
        throw new InvariantError(name, addr, `table ${hex(addr)} lies outside the pages it holds`);
      if (strategy.placement === 'dma32' && addr + TABLE_SIZE > DMA32_LIMIT) {
        throw new InvariantError(
          name,
          addr,
          `table ${hex(addr)} lies above 4 GiB although the strategy promises DMA32`,
        );
      }
      const unit = addr / TABLE_SIZE;
      if (live.has(unit)) throw new InvariantError(name, addr, `table ${hex(addr)} overlaps a live table`);
      live.add(unit);
      return addr;
    },
    free(addr: number, cpu: number): void {
      const unit = addr / TABLE_SIZE;
      if (!live.has(unit)) {
        throw new InvariantError(
          name,
          addr,
          `free of ${hex(addr)}, which is not a live table (double free or wild pointer)`,
        );
      }
      live.delete(unit);
      inner.free(addr, cpu);
    },
  };
}

/** A returned value as a message shows it: 'NaN', "the string 'x'", 'undefined'. */
function describeValue(v: unknown): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'number') return String(v);
  return v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v);
}
