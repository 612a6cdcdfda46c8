import { plural } from '../format.ts';
import type { FullRecord } from '../record.ts';
import type { ConstraintRow } from './model.ts';
import { groupBy, placementOf } from './util.ts';

/**
 * The hard constraints, before any ranking: every table below 4 GiB (an L1 entry holds bits
 * [31:10] of its address), and every allocation served (io-pgtable maps in atomic context and
 * cannot wait). A strategy that breaks either is not recommended, whatever its footprint.
 */
export function constraints(records: readonly FullRecord[]): ConstraintRow[] {
  return [...groupBy(records, (r) => r.strategy)].map(([strategy, rows]) => {
    const violations = rows.reduce((n, r) => n + r.dma32_violations, 0);
    const failures = rows.reduce((n, r) => n + r.alloc_failures, 0);
    const broken = [
      ...new Set(rows.filter((r) => r.dma32_violations > 0 || r.alloc_failures > 0).map((r) => r.workload)),
    ];
    const why: string[] = [];
    if (violations > 0) {
      why.push(
        `${plural(violations, 'table')} above 4 GiB in ${plural(broken.length, 'workload')}: each a failed map ("Page table does not fit in PTE"), the bug v5.1 fixed`,
      );
    }
    if (failures > 0) {
      // The strategy's own counters say why (genalloc's pool_exhausted, dma-pool's atomic_pool_exhausted…).
      const causes = new Set(
        rows.flatMap((r) =>
          Object.keys(r.detail.work).filter((k) => /exhausted|failures/.test(k) && (r.detail.work[k] ?? 0) > 0),
        ),
      );
      why.push(`${plural(failures, 'allocation')} failed${causes.size ? ` (${[...causes].join(', ')})` : ''}`);
    }
    return {
      strategy,
      placement: placementOf(rows, strategy),
      dma32_violations: violations,
      alloc_failures: failures,
      broken_in: broken,
      verdict: why.length ? why.join('; ') : 'ok',
      qualifies: why.length === 0,
    };
  });
}
