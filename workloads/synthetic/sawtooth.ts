import { intParam } from '../../strategies/params.ts';
import { specString, type WorkloadKind } from '../events.ts';
import { CPUS_PARAM, freeOrder, orderParam, spread } from './params.ts';
import { Stream } from './stream.ts';

const rampParams = {
  peak: { kind: 'int', description: 'live tables at the top', default: 1024, min: 1, max: 1 << 20 },
  order: orderParam('lifo'),
  cpus: CPUS_PARAM,
} as const;

const sawParams = {
  ...rampParams,
  cycles: { kind: 'int', description: 'rises and falls', default: 8, min: 1, max: 1 << 20 },
} as const;

/** K times: allocate up to N live, then free down to zero. Events 2NK; peak live N. */
function* teeth(
  seed: number,
  cpus: number,
  values: Parameters<WorkloadKind['create']>[0],
  peak: number,
  cycles: number,
) {
  const s = new Stream(seed, cpus, spread(values));
  const order = freeOrder(values);
  for (let c = 0; c < cycles; c++) {
    for (let i = 0; i < peak; i++) if (s.alloc()) yield s.take();
    for (let i = 0; i < peak; i++) if (s.free(order)) yield s.take();
  }
  yield* s.rest();
}

export const ramp: WorkloadKind = {
  name: 'ramp',
  description: 'rise to N live tables, then fall to zero',
  params: rampParams,
  create(values, ctx) {
    const peak = intParam(values, 'peak');
    return {
      spec: specString('ramp', rampParams, values),
      kind: 'ramp',
      params: values,
      chunks: () => teeth(ctx.seed, ctx.cpus, values, peak, 1),
    };
  },
};

export const sawtooth: WorkloadKind = {
  name: 'sawtooth',
  description: 'rise to N live tables and fall to zero, K times',
  params: sawParams,
  create(values, ctx) {
    const peak = intParam(values, 'peak');
    const cycles = intParam(values, 'cycles');
    return {
      spec: specString('sawtooth', sawParams, values),
      kind: 'sawtooth',
      params: values,
      chunks: () => teeth(ctx.seed, ctx.cpus, values, peak, cycles),
    };
  },
};
