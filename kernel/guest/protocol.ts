import { ALLOC, type EventChunk } from '../../workloads/events.ts';

/**
 * The strategies the guest module (kernel/guest-module/l2bench_alloc.c) drives, by the letter its
 * events and results name them with, and the l2bench strategy that models each. The guest is an
 * x86 machine, DMA-coherent: dma_alloc_coherent gives the pool plain pages, as
 * `dma-pool:coherent_pool=0` models (the arm64 atomic pool cannot be reached there).
 */
export const GUEST_STRATEGIES = [
  { letter: 's', strategy: 'slab-dma32' },
  { letter: 'g', strategy: 'genalloc' },
  { letter: 'p', strategy: 'page-frag' },
  { letter: 'f', strategy: 'full-page' },
  { letter: 'd', strategy: 'dma-pool:coherent_pool=0' },
] as const;

export type GuestStrategy = (typeof GUEST_STRATEGIES)[number];

/** One result line of the module: the kernel's state after one event. */
export interface GuestReport {
  readonly kind: 'a' | 'f';
  readonly id: number;
  /** The CPU the event ran on. */
  readonly cpu: number;
  /** Pages the strategy holds. */
  readonly pages: number;
  /** The table's offset within its container; −1 after a free or a failed allocation. */
  readonly offset: number;
  /** The strategy's counters (see the module's header comment). */
  readonly x: readonly [number, number, number, number];
}

/** The module's event lines for one strategy: `LETTER a|f ID CPU`, CPUs folded onto the guest's. */
export function eventLines(letter: string, chunks: Iterable<EventChunk>, guestCpus: number): string {
  const out: string[] = [];
  for (const c of chunks) {
    for (let i = 0; i < c.length; i++) {
      out.push(`${letter} ${c.kind[i] === ALLOC ? 'a' : 'f'} ${c.id[i]} ${(c.cpu[i] as number) % guestCpus}`);
    }
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

/** The module refused an event, or its results buffer filled: the run cannot be compared. */
export class GuestProtocolError extends Error {
  override name = 'GuestProtocolError';
}

/** Parse the module's results: each strategy's reports, in event order. */
export function parseResults(text: string): Map<string, GuestReport[]> {
  const out = new Map<string, GuestReport[]>(GUEST_STRATEGIES.map((s) => [s.letter, []]));
  for (const [n, line] of text.split('\n').entries()) {
    if (line === '') continue;
    if (line.startsWith('X ')) throw new GuestProtocolError(`the module's results buffer filled at line ${n + 1}`);
    if (line.startsWith('E ')) throw new GuestProtocolError(`the module refused an event: ${line.slice(2)}`);
    const f = line.split(' ');
    const list = out.get(f[0] as string);
    if (f.length !== 11 || !list || (f[2] !== 'a' && f[2] !== 'f')) {
      throw new GuestProtocolError(`line ${n + 1} of the module's results is not a report: ${line}`);
    }
    const v = f.map(Number);
    list.push({
      kind: f[2],
      id: v[3] as number,
      cpu: v[4] as number,
      pages: v[5] as number,
      offset: v[6] as number,
      x: [v[7] as number, v[8] as number, v[9] as number, v[10] as number],
    });
  }
  return out;
}
