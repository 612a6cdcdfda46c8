import { intParam, type ParamValues } from '../../core/params.ts';
import { syntheticKind } from './kind.ts';
import { CPUS_PARAM, freeOrder, orderParam } from './params.ts';
import type { Stream } from './stream.ts';

const rampParams = {
  peak: { kind: 'int', description: 'live tables at the top', default: 1024, min: 1, max: 1 << 20 },
  order: orderParam('lifo'),
  cpus: CPUS_PARAM,
} as const;

/** K times: allocate up to N live, then free down to zero. Events 2NK; peak live N. */
function* teeth(s: Stream, values: ParamValues, cycles: number) {
  const peak = intParam(values, 'peak');
  const order = freeOrder(values);
  for (let c = 0; c < cycles; c++) {
    for (let i = 0; i < peak; i++) if (s.alloc()) yield s.take();
    for (let i = 0; i < peak; i++) if (s.free(order)) yield s.take();
  }
}

export const ramp = syntheticKind({
  name: 'ramp',
  description: 'rise to N live tables, then fall to zero',
  params: rampParams,
  events: (s, values) => teeth(s, values, 1),
});

export const sawtooth = syntheticKind({
  name: 'sawtooth',
  description: 'rise to N live tables and fall to zero, K times',
  params: { ...rampParams, cycles: { kind: 'int', description: 'rises and falls', default: 8, min: 1, max: 1 << 20 } },
  events: (s, values) => teeth(s, values, intParam(values, 'cycles')),
});
