import { comparedCellId } from '../../core/cell-key.ts';
import { type PlatformKernel, placementLimitBytes, strategyRole } from '../../core/platforms.ts';
import type { FullRecord } from '../../core/record.ts';
import { specName } from '../../core/spec.ts';
import { formatBytes, formatCount, plural } from '../number-text.ts';
import { most } from '../statistics.ts';
import { notApplicableOf } from './applicability.ts';
import type { ConstraintRow } from './model.ts';
import { groupBy, placementOf } from './record-groups.ts';

/**
 * Why a record's strategy is not ranked in its cell, or null: it failed allocations (io-pgtable maps
 * in atomic context and cannot wait) or placed tables at or above its platform's limit (4 GiB: an L1
 * entry holds bits [31:10] of a table's address; 2^35 under MediaTek's TTBR_EXT).
 */
export function exclusionOf(r: FullRecord): string | null {
  const why: string[] = [];
  if (r.alloc_failures > 0) why.push(`${formatCount(r.alloc_failures)} of ${plural(r.allocs, 'allocation')} failed`);
  if (r.placement_violations > 0) why.push(`${plural(r.placement_violations, 'table')} above the platform's limit`);
  return why.length ? why.join('; ') : null;
}

/** Why the kernel could not build a record's need for parameter `k` (the records say), or null. */
function unbuildable(r: FullRecord, k: string): string | null {
  return r.detail.requirements_unbuildable?.[k] ?? null;
}

/**
 * What would qualify a strategy that failed allocations: for each parameter it says would have
 * served them (TableAllocator.requirements), the smallest value, exact when a variant of the same
 * strategy ran every one of its cells without failing, else a lower bound. A value the records say
 * the kernel could not build (an atomic pool above the page allocator's largest order, without CMA)
 * is never suggested: the row says that no value of the parameter serves the run, and why.
 */
function qualifyingValues(strategy: string, rows: readonly FullRecord[], all: readonly FullRecord[]): string[] {
  const params = rows.find((r) => r.detail.strategy_params)?.detail.strategy_params ?? {};
  const cells = new Set(rows.map(comparedCellId));
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.detail.requirements ?? {})))];
  const out: string[] = [];
  for (const k of keys) {
    const own = most(rows.map((r) => r.detail.requirements?.[k] ?? 0));
    // A variant that never failed in any of this strategy's cells measured the exact need.
    const variants = [...groupBy(all, (r) => r.strategy)].filter(
      ([label, vr]) =>
        label !== strategy &&
        specName(label) === specName(strategy) &&
        vr.every((r) => r.alloc_failures === 0) &&
        [...cells].every((c) => vr.some((r) => comparedCellId(r) === c && r.detail.requirements?.[k] !== undefined)),
    );
    // A negative value of a size parameter is the kernel's own default (dma-pool's coherent_pool=-1).
    const v = params[k];
    const has =
      v === undefined ? '' : ` (it has ${k}=${v}${typeof v === 'number' && v < 0 ? ", the kernel's default" : ''})`;
    const variant = variants[0];
    const measured = variant ? variant[1].filter((r) => cells.has(comparedCellId(r))) : rows;
    const cannot = measured.map((r) => unbuildable(r, k)).find((w) => w !== null) ?? null;
    if (cannot !== null) {
      out.push(`no ${k} the kernel can build would serve every allocation of this run${has}: ${cannot}`);
    } else if (variant) {
      const need = most(measured.map((r) => r.detail.requirements?.[k] ?? 0));
      out.push(
        `${strategy} would have served every allocation of this run with ${k}=${need} or more${has}, as ${variant[0]}, which never failed, shows`,
      );
    } else {
      out.push(`${strategy} would need ${k}=${own} at least to serve every allocation of this run${has}`);
    }
  }
  return out;
}

/**
 * The hard constraints, before any ranking: every table below the platform's limit, and every
 * allocation served. A strategy that breaks either in any cell is not recommended, whatever its
 * footprint; the row says what would qualify it where a parameter is the binding limit. `facts`, the
 * platform under the kernel (core/platforms.ts), names the limit and what a cache without a zone flag
 * stands for there; without them the limit is 4 GiB.
 */
export function constraints(records: readonly FullRecord[], facts?: PlatformKernel): ConstraintRow[] {
  const limit = facts ? formatBytes(placementLimitBytes(facts)) : '4 GiB';
  return [...groupBy(records, (r) => r.strategy)].map(([strategy, rows]) => {
    const violations = rows.reduce((n, r) => n + r.placement_violations, 0);
    const failures = rows.reduce((n, r) => n + r.alloc_failures, 0);
    const broken = [
      ...new Set(rows.filter((r) => r.placement_violations > 0 || r.alloc_failures > 0).map((r) => r.workload)),
    ];
    const placement = placementOf(rows, strategy);
    const notApplicable = rows.map(notApplicableOf).find((w) => w !== null) ?? null;
    const why: string[] = [];
    const qualify: string[] = [];
    if (violations > 0) {
      // What the strategy stands for here: on a board whose tables must lie below 4 GiB, the cache
      // without SLAB_CACHE_DMA32 is the bug v5.1 fixed.
      const role = facts ? strategyRole(facts, strategy) : '';
      why.push(
        `${plural(violations, 'table')} at or above ${limit} in ${plural(broken.length, 'cell')}: each a failed map ("Page table does not fit in PTE")${role ? `; ${role}` : facts ? '' : ', the bug v5.1 fixed'}`,
      );
      qualify.push(
        placement === 'any'
          ? `${strategy} does not restrict its tables to ZONE_DMA32: only allocating from DMA32 would qualify it`
          : `${strategy} promised DMA32 placement and broke it: a bug in the strategy`,
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
      qualify.push(...qualifyingValues(strategy, rows, records));
    }
    return {
      strategy,
      applicable: notApplicable === null,
      not_applicable: notApplicable,
      placement,
      placement_violations: violations,
      limit,
      alloc_failures: failures,
      broken_in: broken,
      verdict: why.length ? why.join('; ') : 'ok',
      qualifies: why.length === 0,
      qualify,
    };
  });
}
