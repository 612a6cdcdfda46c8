import { type Platform, type PlatformKernel, placementLimitBytes, type Sourced } from './platforms.ts';
import { GiB } from './sizes.ts';

/**
 * A platform's facts as rows of text, each with its source: what `l2bench list platforms` prints and
 * the report's Platforms section shows, from one list so the two never differ.
 */
export interface PlatformFactRow {
  /** What the fact is about: `CPUs`, `coherent table walk`. */
  fact: string;
  /** The kernel it holds for, or null for a fact of the board. */
  kernel: string | null;
  value: string;
  source: string;
}

const gib = (bytes: number) => `${+(bytes / GiB).toFixed(2)} GiB`;

const row = (fact: string, kernel: string | null, f: Sourced<unknown>, value = String(f.value)): PlatformFactRow => ({
  fact,
  kernel,
  value,
  source: f.source,
});

/** The board's facts, the same under every kernel. */
export function boardFacts(p: Platform): PlatformFactRow[] {
  return [
    row('CPUs', null, p.board.cpus),
    row('DRAM', null, p.board.dramBytes, gib(p.board.dramBytes.value)),
    row('DRAM starts at', null, p.board.dramBase, gib(p.board.dramBase.value)),
    row('typical live L2 tables', null, p.typicalL2Tables, String(p.typicalL2Tables.value ?? 'no count found')),
  ];
}

/** The facts of the platform under one kernel. */
export function kernelFacts(kernel: string, k: PlatformKernel): PlatformFactRow[] {
  const limit = placementLimitBytes(k);
  return [
    row(
      'tables below',
      kernel,
      k.tableAddressBits,
      `${limit >= 2 ** 32 ? gib(limit) : limit} (2^${k.tableAddressBits.value})`,
    ),
    row('coherent table walk', kernel, k.coherentWalk, k.coherentWalk.value ? 'yes' : 'no'),
    row('L2 cache flags', kernel, k.l2CacheFlags),
    row('L2 allocation gfp', kernel, k.mapGfp),
    row('every L2 allocation may sleep', kernel, k.allocMaySleep, k.allocMaySleep.value ? 'yes' : 'no'),
    row('most L2 tables', kernel, k.maxL2Tables),
    row('largest page order', kernel, k.maxPageOrder),
    row('CMA', kernel, k.cmaBytes, k.cmaBytes.value === null ? 'not known' : gib(k.cmaBytes.value)),
    row('upstream allocates tables like', kernel, k.upstream),
  ];
}
