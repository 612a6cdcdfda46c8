import { intParam } from '../../core/params.ts';
import { WORKLOAD_NAMES } from '../../core/workload-kind.ts';
import { syntheticKind } from './kind.ts';
import { CPUS_PARAM, freeOrder, orderParam } from './params.ts';

/**
 * Allocate L tables, then alternate a free and an allocation for N operations: live stays at L or
 * L − 1. Events L + N; allocations L + ⌊N/2⌋; frees ⌈N/2⌉; peak live L.
 */
export const churn = syntheticKind({
  name: WORKLOAD_NAMES.churn,
  description: 'hold about L live tables while N operations free and allocate',
  params: {
    live: { kind: 'int', description: 'tables live once warmed up', default: 256, min: 1, max: 1 << 20 },
    ops: {
      kind: 'int',
      description: 'operations after warm-up, alternately a free and an allocation',
      default: 100000,
      min: 0,
      max: 2 ** 31 - 1,
    },
    order: orderParam('random'),
    cpus: CPUS_PARAM,
  },
  *events(s, values) {
    const live = intParam(values, 'live');
    const ops = intParam(values, 'ops');
    const order = freeOrder(values);
    for (let i = 0; i < live; i++) if (s.alloc()) yield s.take();
    for (let i = 0; i < ops; i++) if (i % 2 === 0 ? s.free(order) : s.alloc()) yield s.take();
  },
});
