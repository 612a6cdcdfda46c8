import { intParam } from '../../core/params.ts';
import { WORKLOAD_NAMES } from '../../core/workload-kind.ts';
import { syntheticKind } from './kind.ts';
import { CPUS_PARAM } from './params.ts';

/**
 * The pattern that defeats allocators that cannot reuse freed space: fill N tables, free all but
 * every `keep`-th in allocation order (so each 32 KiB page_frag page keeps one fragment), then
 * allocate the freed count again. Kept K = ⌈N/keep⌉; events N + 2(N − K); peak live N.
 */
export const fragAdversary = syntheticKind({
  name: WORKLOAD_NAMES.fragAdversary,
  description: 'fill, free all but one table in every 32 KiB, then allocate again',
  params: {
    tables: { kind: 'int', description: 'tables in the fill', default: 4096, min: 1, max: 1 << 20 },
    keep: {
      kind: 'int',
      description: 'keep one table in every `keep` (in allocation order; 32 = one per 32 KiB page_frag page)',
      default: 32,
      min: 2,
      max: 1 << 20,
    },
    cpus: CPUS_PARAM,
  },
  *events(s, values) {
    const n = intParam(values, 'tables');
    const keep = intParam(values, 'keep');
    // A fresh stream hands out ids 0, 1, 2, … in order.
    for (let i = 0; i < n; i++) if (s.alloc()) yield s.take();
    let freed = 0;
    for (let id = 0; id < n; id++) {
      if (id % keep === 0) continue;
      freed++;
      if (s.freeId(id)) yield s.take();
    }
    for (let i = 0; i < freed; i++) if (s.alloc()) yield s.take();
  },
});
