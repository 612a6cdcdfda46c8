import { intParam } from '../../strategies/params.ts';
import { specString, type WorkloadKind } from '../events.ts';
import { CPUS_PARAM, spread } from './params.ts';
import { Stream } from './stream.ts';

const params = {
  tables: { kind: 'int', description: 'tables to allocate and hold', default: 100, min: 1, max: 1 << 20 },
  cpus: CPUS_PARAM,
} as const;

/** Allocate N tables and free none: the footprint of a page table at a steady size. */
export const hold: WorkloadKind = {
  name: 'hold',
  description: 'allocate N tables and free none',
  params,
  create(values, ctx) {
    const n = intParam(values, 'tables');
    return {
      spec: specString('hold', params, values),
      kind: 'hold',
      params: values,
      *chunks() {
        const s = new Stream(ctx.seed, ctx.cpus, spread(values));
        for (let i = 0; i < n; i++) if (s.alloc()) yield s.take();
        yield* s.rest();
      },
    };
  },
};
