import { choiceParam, type ParamDef, type ParamValues } from '../../core/params.ts';
import type { FreeOrder } from '../live-set.ts';

export const CPUS_PARAM: ParamDef = {
  kind: 'choice',
  description: '0: every event on CPU 0; spread: allocations and frees round-robin over the CPUs',
  default: '0',
  choices: ['0', 'spread'],
};

export function orderParam(defaultOrder: FreeOrder): ParamDef {
  return {
    kind: 'choice',
    description: 'which live table each free takes: fifo (oldest), lifo (newest) or random',
    default: defaultOrder,
    choices: ['fifo', 'lifo', 'random'],
  };
}

export const spread = (v: ParamValues): boolean => choiceParam(v, 'cpus') === 'spread';
export const freeOrder = (v: ParamValues): FreeOrder => choiceParam(v, 'order') as FreeOrder;
