import type { Rng } from '../random.ts';
import type { DmaDomain, Segment } from './dma.ts';
import { SZ_1M, SZ_4K, SZ_64K } from './v7s.ts';

/**
 * DMA buffers as drivers build them, reduced to what decides page sizes: the physical layout.
 * Physical addresses are synthetic but have exactly the alignment the allocator would give:
 * align × (an odd number), so a 64 KiB chunk is 64 KiB- but not 128 KiB-aligned.
 */
export class BufferFactory {
  #next = 0;

  #paddr(align: number): number {
    // Spread over 16 GiB of address: big enough to stay distinct, small enough to stay exact.
    const k = this.#next++ % (2 ** 34 / align / 2);
    return align * (2 * k + 1);
  }

  /** A scatterlist of separate 4 KiB pages (alloc_page in a loop, or a fragmented heap). */
  pages(bytes: number): Segment[] {
    return Array.from({ length: Math.ceil(bytes / SZ_4K) }, () => ({ bytes: SZ_4K, paddr: this.#paddr(SZ_4K) }));
  }

  /** ION's system heap: 1 MiB chunks while they fit, then 64 KiB, then 4 KiB (orders 8, 4, 0). */
  chunks(bytes: number): Segment[] {
    const out: Segment[] = [];
    let left = Math.ceil(bytes / SZ_4K) * SZ_4K;
    for (const size of [SZ_1M, SZ_64K, SZ_4K]) {
      while (left >= size) {
        out.push({ bytes: size, paddr: this.#paddr(size) });
        left -= size;
      }
    }
    return out;
  }

  /** One physically contiguous buffer (CMA: aligned to its order, at most 1 MiB: CONFIG_CMA_ALIGNMENT 8). */
  contiguous(bytes: number): Segment[] {
    const pages = Math.ceil(bytes / SZ_4K);
    const align = Math.min(SZ_1M, SZ_4K * 2 ** Math.floor(Math.log2(pages)));
    return [{ bytes: pages * SZ_4K, paddr: this.#paddr(align) }];
  }
}

/** A buffer and its mapping, if any. */
export class Buffer {
  iova = -1;
  constructor(readonly segments: readonly Segment[]) {}

  map(dma: DmaDomain, cpu: number): void {
    if (this.iova < 0) this.iova = dma.mapSg(this.segments, cpu);
  }

  unmap(dma: DmaDomain, cpu: number): void {
    if (this.iova < 0) return;
    dma.unmapSg(this.iova, this.segments, cpu);
    this.iova = -1;
  }
}

/** What every scenario gets: the domain, the seeded RNG, the CPU count and the buffer factory. */
export interface ScenarioContext {
  readonly dma: DmaDomain;
  readonly rng: Rng;
  readonly cpus: number;
  readonly buffers: BufferFactory;
}

/** A CPU picked at random: drivers map from whichever CPU submits the work. */
export const anyCpu = (ctx: ScenarioContext): number => ctx.rng.int(0, ctx.cpus - 1);
