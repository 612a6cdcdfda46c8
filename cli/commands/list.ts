import { InputError } from '../../core/errors.ts';
import type { ParamDefs } from '../../core/params.ts';
import { STRATEGIES } from '../../strategies/index.ts';
import { WORKLOADS } from '../../workloads/index.ts';
import { listPlatforms } from './list-platforms.ts';

function describeParams(params: ParamDefs): string[] {
  return Object.entries(params).map(([k, d]) => {
    if (d.kind === 'int') return `    ${k}=${d.min}..${d.max} (default ${d.default}): ${d.description}`;
    if (d.kind === 'choice') return `    ${k}=${d.choices.join('|')} (default ${d.default}): ${d.description}`;
    return `    ${k}=TEXT${d.default ? ` (default ${d.default})` : ''}: ${d.description}`;
  });
}

/** `l2bench list strategies|workloads|platforms`: each with its one-line description and its parameters (a platform: its facts). */
export function listCommand(what: string): string {
  if (what === 'platforms') return listPlatforms();
  const items = what === 'strategies' ? STRATEGIES : what === 'workloads' ? WORKLOADS : undefined;
  if (!items) throw new InputError(`list ${what}: allowed: strategies, workloads, platforms`);
  const lines: string[] = [];
  for (const item of items) {
    const placement = 'placement' in item ? ` [${item.placement === 'dma32' ? 'DMA32' : 'any zone'}]` : '';
    lines.push(`${item.name}${placement}: ${item.description}`, ...describeParams(item.params));
  }
  return `${lines.join('\n')}\n`;
}
