import { intParam } from '../../core/params.ts';
import { syntheticKind } from './kind.ts';
import { freeOrder, orderParam } from './params.ts';

/**
 * Tables made on one CPU and freed on the next, round after round: round r allocates N tables on
 * CPU r mod C, then frees all N on CPU (r + 1) mod C (C: the workload's CPUs). So the first freeing
 * CPU frees before it ever allocates, every free is cross-CPU (with C > 1), each round refills from
 * what the last one drained, and with `order=fifo` slabs are emptied one by one. Events 2NR; peak
 * live N; nothing left at the end.
 */
export const handoff = syntheticKind({
  name: 'handoff',
  description: 'N tables allocated on one CPU and all freed on the next, R rounds, the CPUs taking turns',
  params: {
    tables: { kind: 'int', description: 'tables allocated and freed each round', default: 256, min: 1, max: 1 << 20 },
    rounds: { kind: 'int', description: 'rounds; round r allocates on CPU r mod C', default: 4, min: 1, max: 1 << 20 },
    order: orderParam('fifo'),
  },
  *events(s, values, cpus) {
    const tables = intParam(values, 'tables');
    const order = freeOrder(values);
    for (let r = 0; r < intParam(values, 'rounds'); r++) {
      for (let i = 0; i < tables; i++) if (s.allocOn(r % cpus)) yield s.take();
      for (let i = 0; i < tables; i++) if (s.freeOn(order, (r + 1) % cpus)) yield s.take();
    }
  },
});
