import { boardFacts, kernelFacts, type PlatformFactRow } from '../../core/platform-facts.ts';
import { factsUnder, findPlatform } from '../../core/platforms.ts';
import type { KernelAnswer, PlatformSection } from './model.ts';

/**
 * The facts each answer rests on, per platform of the run, each with its source: the board's, then
 * each kernel's the run ran on it (the same rows `l2bench list platforms` prints). A run without the
 * platform axis has none.
 */
export function platformSections(answers: readonly KernelAnswer[]): PlatformSection[] {
  const kernels = new Map<string, string[]>();
  for (const a of answers) if (a.platform) kernels.set(a.platform, [...(kernels.get(a.platform) ?? []), a.kernel]);
  return [...kernels].flatMap(([name, runs]) => {
    const p = findPlatform(name);
    if (!p) return [];
    const rows: PlatformFactRow[] = [...boardFacts(p)];
    for (const k of runs) {
      const facts = factsUnder(p, k);
      if (facts) rows.push(...kernelFacts(k, facts));
    }
    return [
      {
        name: p.hypothetical ? `${p.name} (hypothetical)` : p.name,
        description: p.description,
        driver: p.driver,
        board: p.board.name,
        rows,
      },
    ];
  });
}
