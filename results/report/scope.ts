import { DEFAULT_PLATFORM, factsUnder, findPlatform, type Platform } from '../../core/platforms.ts';
import type { FullRecord } from '../../core/record.ts';
import { groupBy, kernelsOf } from './record-groups.ts';

/**
 * What an answer is given for: one platform under one kernel. Each is its own machine, so its
 * records are analysed apart and never ranked against another's. A run without a platform column
 * has one platform, unnamed, and is answered per kernel.
 */
export interface Scope {
  /** Records with this key belong to the scope. */
  key: string;
  platform: string | null;
  kernel: string;
  /** How headings name it: `Linux 6.18`, `mt8173, Linux 6.18`. */
  title: string;
}

/** The platform a record was run for, or null in a run without the platform axis. */
export function platformOf(r: FullRecord): string | null {
  return r.platform;
}

export function scopeKeyOf(r: FullRecord): string {
  return `${platformOf(r) ?? ''}\u0000${r.kernel}`;
}

/**
 * The scopes of some records: real platforms in the order the run gives them, a hypothetical one
 * (core/platforms.ts) after them and named so, each one's kernels oldest first.
 */
export function scopesOf(records: readonly FullRecord[]): Scope[] {
  const out: Scope[] = [];
  const platforms = [...groupBy(records, (r) => platformOf(r) ?? '')];
  const hypothetical = (name: string) => findPlatform(name)?.hypothetical === true;
  platforms.sort(([a], [b]) => Number(hypothetical(a)) - Number(hypothetical(b)));
  for (const [platform, rows] of platforms) {
    const name = hypothetical(platform) ? `${platform} (hypothetical)` : platform;
    for (const kernel of kernelsOf(rows)) {
      out.push({
        key: `${platform}\u0000${kernel}`,
        platform: platform === '' ? null : platform,
        kernel,
        title: platform === '' ? `Linux ${kernel}` : `${name}, Linux ${kernel}`,
      });
    }
  }
  return out;
}

/** What the answer of a scope needs to know of its platform: where an engineer decides. */
export interface ScopeFacts {
  /** The live-table count the platform typically holds, and where that figure comes from. */
  typicalTables: number;
  typicalSource: string;
  /** The most L2 tables one page table can hold on the platform. */
  maxTables: number;
  maxSource: string;
  /** Whether the IOMMU walks its tables coherently: if not, io-pgtable cleans every table write to memory. */
  coherentWalk: boolean;
  coherentSource: string;
  /** No such hardware exists: its answer is kept apart and is never a real platform's. */
  hypothetical: boolean;
  /** One line on the platform, from its table (core/platforms.ts). */
  description: string;
  /** The strategy that models what upstream allocates L2 tables with here, and the source. */
  upstream: string;
  upstreamSource: string;
}

/**
 * The facts of a platform under a kernel, from its table (core/platforms.ts), each with its source.
 * A platform with no live-table count of its own borrows the only published one, MT8173's, and says
 * so; a name the table does not know (or a kernel it does not run) gets the default platform's.
 */
export function factsOf(platform: string | null, kernel: string): ScopeFacts {
  const p = findPlatform(platform ?? DEFAULT_PLATFORM) ?? (findPlatform(DEFAULT_PLATFORM) as Platform);
  const k = factsUnder(p, kernel) ?? Object.values(p.kernels).at(-1);
  const fallback = findPlatform(DEFAULT_PLATFORM)?.typicalL2Tables;
  const typical = p.typicalL2Tables.value ?? fallback?.value ?? 100;
  return {
    typicalTables: typical,
    typicalSource:
      p.typicalL2Tables.value === null
        ? `${p.typicalL2Tables.source}; MT8173's, the only count published: ${fallback?.source ?? ''}`
        : p.typicalL2Tables.source,
    maxTables: k?.maxL2Tables.value ?? 4096,
    maxSource: k?.maxL2Tables.source ?? '',
    coherentWalk: k?.coherentWalk.value ?? false,
    coherentSource: k?.coherentWalk.source ?? '',
    hypothetical: p.hypothetical,
    description: p.description,
    upstream: k?.upstream.value ?? '',
    upstreamSource: k?.upstream.source ?? '',
  };
}
