import { intParam } from '../../core/params.ts';
import { WORKLOAD_NAMES } from '../../core/workload-kind.ts';
import { syntheticKind } from './kind.ts';
import { CPUS_PARAM } from './params.ts';

/** Allocate N tables and free none: the footprint of a page table at a steady size. */
export const hold = syntheticKind({
  name: WORKLOAD_NAMES.hold,
  description: 'allocate N tables and free none',
  params: {
    tables: { kind: 'int', description: 'tables to allocate and hold', default: 100, min: 1, max: 1 << 20 },
    cpus: CPUS_PARAM,
  },
  *events(s, values) {
    const n = intParam(values, 'tables');
    for (let i = 0; i < n; i++) if (s.alloc()) yield s.take();
  },
});
