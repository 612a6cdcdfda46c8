import { KERNEL_VERSIONS, type KernelVersion } from '../../core/kernel.ts';
import { boardFacts, kernelFacts, type PlatformFactRow } from '../../core/platform-facts.ts';
import { DEFAULT_PLATFORM, PLATFORMS, type Platform, type PlatformKernel } from '../../core/platforms.ts';
import { applicabilityOf } from '../../core/requirements.ts';
import { STRATEGIES } from '../../strategies/index.ts';
import { requirementsOf } from '../../strategies/types.ts';

/** A fact and its source, indented under its platform or kernel. */
const line = (indent: string, f: PlatformFactRow) => `${indent}${f.fact}: ${f.value}\n${indent}  (${f.source})`;

/** The built-in strategies (with their default parameters) the platform cannot use under the kernel, with why. */
function notApplicable(platform: Platform, kernel: KernelVersion): string[] {
  return STRATEGIES.flatMap((s) => {
    const params = Object.fromEntries(Object.entries(s.params).map(([key, d]) => [key, d.default]));
    const a = applicabilityOf(requirementsOf(s, params), platform, kernel);
    return a.applicable ? [] : [`    not applicable: ${s.name}: ${a.reason}`];
  });
}

function kernelLines(platform: Platform, kernel: KernelVersion, k: PlatformKernel): string[] {
  return [
    `  Linux ${kernel}:`,
    ...kernelFacts(kernel, k).map((f) => line('    ', f)),
    ...notApplicable(platform, kernel),
  ];
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
      ...boardFacts(p).map((f) => line('  ', f)),
      ...p.modelGaps.map((g) => `  not modelled: ${g}`),
      `  kernels: ${runs.length ? runs.join(', ') : 'none l2bench models'}`,
      ...runs.flatMap((k) => kernelLines(p, k, p.kernels[k] as PlatformKernel)),
      '',
    );
  }
  return out.join('\n');
}
