import type { FullRecord } from '../../core/record.ts';
import type { ConstraintRow } from './model.ts';

/**
 * Why the platform of a record cannot use its strategy at all (a dma_pool's remapped address where
 * io-pgtable needs a linear-map one, say), or null when it can. Not applicable is not excluded: an
 * excluded strategy could run here and failed; a strategy that is not applicable cannot run here.
 * Records without the platform axis say nothing, and every strategy is applicable to them.
 */
export function notApplicableOf(r: FullRecord): string | null {
  if (r.applicable !== false) return null;
  return r.detail.applicability || 'the platform cannot use it';
}

/** May the strategy of this constraint row be the answer: applicable on its platform, and it met the hard constraints. */
export const eligible = (c: ConstraintRow): boolean => c.applicable && c.qualifies;
