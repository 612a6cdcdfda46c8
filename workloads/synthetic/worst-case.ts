import { MAX_TABLES_PER_PGTABLE } from '../../core/sizes.ts';
import { syntheticKind } from './kind.ts';
import { CPUS_PARAM } from './params.ts';

/**
 * Every L1 entry of one v7s page table points to an L2 table: 4096 live at once, then
 * arm_v7s_free_pgtable tears them down in L1 index order, the order they were made in.
 */
export const worstCase = syntheticKind({
  name: 'worst-case',
  description: 'all 4096 L2 tables of one page table live at once, then torn down',
  params: { cpus: CPUS_PARAM },
  *events(s) {
    for (let i = 0; i < MAX_TABLES_PER_PGTABLE; i++) if (s.alloc()) yield s.take();
    for (let i = 0; i < MAX_TABLES_PER_PGTABLE; i++) if (s.free('fifo')) yield s.take();
  },
});
