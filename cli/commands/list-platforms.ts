import { KERNEL_VERSIONS } from '../../core/kernel.ts';
import {
  DEFAULT_PLATFORM,
  PLATFORMS,
  type Platform,
  type PlatformKernel,
  placementLimitBytes,
  type Sourced,
} from '../../core/platforms.ts';
import { applicabilityOf } from '../../core/requirements.ts';
import { GiB } from '../../core/sizes.ts';
import { STRATEGIES } from '../../strategies/index.ts';
import { requirementsOf } from '../../strategies/types.ts';

const gib = (bytes: number) => `${+(bytes / GiB).toFixed(2)} GiB`;

/** A fact and its source, indented under its platform or kernel. */
const line = (indent: string, label: string, f: Sourced<unknown>, text = String(f.value)) =>
  `${indent}${label}: ${text}\n${indent}  (${f.source})`;

/** The built-in strategies (with their default parameters) the platform cannot use under the kernel, with why. */
function notApplicable(platform: Platform, kernel: string): string[] {
  return STRATEGIES.flatMap((s) => {
    const params = Object.fromEntries(Object.entries(s.params).map(([key, d]) => [key, d.default]));
    const a = applicabilityOf(requirementsOf(s, params), platform, kernel);
    return a.applicable ? [] : [`    not applicable: ${s.name}: ${a.reason}`];
  });
}

function kernelLines(platform: Platform, kernel: string, k: PlatformKernel): string[] {
  const limit = placementLimitBytes(k);
  return [
    `  Linux ${kernel}:`,
    line(
      '    ',
      'tables below',
      k.tableAddressBits,
      `${limit >= 2 ** 32 ? gib(limit) : limit} (2^${k.tableAddressBits.value})`,
    ),
    line('    ', 'coherent table walk', k.coherentWalk, k.coherentWalk.value ? 'yes' : 'no'),
    line('    ', 'L2 cache flags', k.l2CacheFlags),
    line('    ', 'L2 allocation gfp', k.mapGfp),
    line('    ', 'most L2 tables', k.maxL2Tables),
    line('    ', 'largest page order', k.maxPageOrder),
    line('    ', 'CMA', k.cmaBytes, k.cmaBytes.value === null ? 'not known' : gib(k.cmaBytes.value)),
    line('    ', 'upstream allocates tables like', k.upstream),
    ...notApplicable(platform, kernel),
  ];
}

/** Kernels the platform has facts for that l2bench does not model yet. */
function later(p: Platform): string {
  const more = Object.keys(p.kernels).filter((k) => !(KERNEL_VERSIONS as readonly string[]).includes(k));
  return more.length ? ` (facts also for ${more.join(', ')}, which l2bench does not model yet)` : '';
}

/** `l2bench list platforms`: each platform, its board and, per kernel it runs, its facts with their sources. */
export function listPlatforms(): string {
  const out: string[] = [];
  for (const p of PLATFORMS) {
    const tags = [p.hypothetical ? 'hypothetical' : '', p.name === DEFAULT_PLATFORM ? 'default' : ''].filter(Boolean);
    const runs = KERNEL_VERSIONS.filter((k) => p.kernels[k]);
    out.push(
      `${p.name}${tags.length ? ` [${tags.join(', ')}]` : ''}: ${p.description}`,
      `  driver: ${p.driver}`,
      `  board: ${p.board.name}`,
      line('  ', 'CPUs', p.board.cpus),
      line('  ', 'DRAM', p.board.dramBytes, gib(p.board.dramBytes.value)),
      line('  ', 'DRAM starts at', p.board.dramBase, gib(p.board.dramBase.value)),
      line('  ', 'typical live L2 tables', p.typicalL2Tables, String(p.typicalL2Tables.value ?? 'no count found')),
      ...p.modelGaps.map((g) => `  not modelled: ${g}`),
      `  kernels: ${runs.length ? runs.join(', ') : 'none l2bench models'}${later(p)}`,
      ...runs.flatMap((k) => kernelLines(p, k, p.kernels[k] as PlatformKernel)),
      '',
    );
  }
  return out.join('\n');
}
