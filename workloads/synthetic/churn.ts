import { intParam } from '../../strategies/params.ts';
import { specString, type WorkloadKind } from '../events.ts';
import { CPUS_PARAM, freeOrder, orderParam, spread } from './params.ts';
import { Stream } from './stream.ts';

const params = {
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
} as const;

/**
 * Allocate L tables, then alternate a free and an allocation for N operations: live stays at L or
 * L − 1. Events L + N; allocations L + ⌊N/2⌋; frees ⌈N/2⌉; peak live L.
 */
export const churn: WorkloadKind = {
  name: 'churn',
  description: 'hold about L live tables while N operations free and allocate',
  params,
  create(values, ctx) {
    const live = intParam(values, 'live');
    const ops = intParam(values, 'ops');
    const order = freeOrder(values);
    return {
      spec: specString('churn', params, values),
      kind: 'churn',
      params: values,
      *chunks() {
        const s = new Stream(ctx.seed, ctx.cpus, spread(values));
        for (let i = 0; i < live; i++) if (s.alloc()) yield s.take();
        for (let i = 0; i < ops; i++) if (i % 2 === 0 ? s.free(order) : s.alloc()) yield s.take();
        yield* s.rest();
      },
    };
  },
};
