import { MAX_TABLES_PER_PGTABLE } from '../strategies/machine/constants.ts';
import { intParam } from '../strategies/params.ts';
import { ALLOC, ChunkWriter, type EventChunk, specString, type WorkloadKind } from './events.ts';

const params = {
  tables: {
    kind: 'int',
    description: 'tables to allocate and hold',
    default: 100,
    min: 1,
    max: 16 * MAX_TABLES_PER_PGTABLE,
  },
} as const;

/** Allocate N tables on CPU 0 and free none: the footprint of a steady page table. */
export const hold: WorkloadKind = {
  name: 'hold',
  description: 'allocate N tables on CPU 0 and free none',
  params,
  create(values) {
    const n = intParam(values, 'tables');
    return {
      spec: specString('hold', params, values),
      kind: 'hold',
      params: values,
      *chunks(): Iterable<EventChunk> {
        const w = new ChunkWriter();
        for (let id = 0; id < n; id++) if (w.push(ALLOC, id, 0)) yield w.take();
        if (w.pending > 0) yield w.take();
      },
    };
  },
};
