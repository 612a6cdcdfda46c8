import { comparedCellId } from '../../core/cell-key.ts';
import type { FullRecord } from '../../core/record.ts';
import { MAX_TABLES_PER_PGTABLE, TABLE_SIZE } from '../../core/sizes.ts';
import { parseSpec } from '../../core/spec.ts';
import { V51_CANDIDATES } from '../../core/v51-candidates.ts';
import { isWorkloadOf, WORKLOAD_NAMES } from '../../core/workload-kind.ts';
import { formatBytes, formatPercent, plural } from '../number-text.ts';
import { least, most } from '../statistics.ts';
import {
  AGGREGATION_NAMES,
  againstText,
  aggregate,
  aggregationWords,
  type StrategyAggregates,
} from './aggregations.ts';
import type { Claim, ObjectiveInfo } from './model.ts';
import { groupBy } from './record-groups.ts';
import { iommuGroupOf, isIommuScenario, isRealCapture } from './workload-groups.ts';

const { slabDma32, genalloc, pageFrag, fullPage } = V51_CANDIDATES;
const CANDIDATES: readonly string[] = Object.values(V51_CANDIDATES);
/** genalloc's pool as the series sized it: every table of a page table, 4 MiB. */
const POOL_BYTES = MAX_TABLES_PER_PGTABLE * TABLE_SIZE;

/**
 * "The most memory-efficient": slab-dma32 against the other v5.1 candidates that may be the answer
 * here (usable on the platform, failing nothing: a pool that ran out is no rival), under the
 * aggregations the answer uses (aggregations.ts, each workload once, the hold sweep as one): confirmed
 * when it holds the least under every one, partly under some, refuted under none. The cells where
 * another holds less are the evidence's exceptions, not its verdict.
 */
function slabMostEfficient(records: readonly FullRecord[], objective: ObjectiveInfo, may?: ReadonlySet<string>): Claim {
  const held = objective.held;
  const claim = 'A DMA32 slab cache is the most memory-efficient option';
  const source = 'Boichat, v6 cover letter (Dec 2018)';
  const present = CANDIDATES.filter((s) => (!may || may.has(s)) && records.some((r) => r.strategy === s));
  const agg = present.includes(slabDma32) && present.length > 1 ? aggregate(records, held, present) : null;
  if (!agg || agg.units.length === 0)
    return {
      claim,
      source,
      evidence: `the run has no workload with ${slabDma32} and another v5.1 candidate that may be the answer`,
      verdict: 'not tested',
    };
  const n = agg.units.length;
  const slab = agg.rows.find((r) => r.strategy === slabDma32) as StrategyAggregates;
  const won = AGGREGATION_NAMES.filter((a) => agg.winners[a].includes(slabDma32));
  const lost = AGGREGATION_NAMES.filter((a) => !won.includes(a)).map((a) => {
    const rival = agg.rows.find((r) => r.strategy === agg.winners[a][0]) as StrategyAggregates;
    return `${aggregationWords(a, true)} (${rival.strategy} ${againstText(rival, slab, a, n)})`;
  });
  const losses: string[] = [];
  let cells = 0;
  for (const rows of groupBy(records, comparedCellId).values()) {
    const candidates = rows.filter((r) => present.includes(r.strategy));
    const mine = candidates.find((r) => r.strategy === slabDma32);
    if (!mine) continue;
    cells++;
    const least = candidates.reduce((m, r) => (held(r) < held(m) ? r : m));
    if (held(least) < held(mine))
      losses.push(`${least.workload} (${least.strategy} ${formatBytes(held(least))} vs ${formatBytes(held(mine))})`);
  }
  const shown = losses.slice(0, 3).join('; ') + (losses.length > 3 ? `; and ${losses.length - 3} more` : '');
  const by =
    won.length === AGGREGATION_NAMES.length
      ? 'the least under every aggregation'
      : won.length
        ? `the least by ${won.map((a) => aggregationWords(a, true)).join(' and ')}; not by ${lost.join(' or ')}`
        : `the least by no aggregation: not by ${lost.join(' or ')}`;
  return {
    claim,
    source,
    evidence:
      `Against ${present.filter((s) => s !== slabDma32).join(', ')} (the v5.1 candidates that may be the answer here), over ${plural(n, 'workload')} (the hold sweep counted once), ${slabDma32}'s ${objective.label} is ${by}. ` +
      `Cell by cell another holds less in ${losses.length} of ${plural(cells, 'cell')}${losses.length ? `: ${shown}` : ''}.`,
    verdict: won.length === AGGREGATION_NAMES.length ? 'confirmed' : won.length > 0 ? 'partly' : 'refuted',
  };
}

/** "genalloc costs 4 MiB for 4096 tables", and that whatever the load. */
function genallocFourMiB(records: readonly FullRecord[]): Claim {
  const claim = 'genalloc must preallocate the worst case: 4096 tables = 4 MiB';
  const source = 'Boichat, RFC and v2 (Nov 2018)';
  const rows = records.filter((r) => r.strategy === genalloc);
  if (rows.length === 0) return { claim, source, evidence: `${genalloc} was not run`, verdict: 'not tested' };
  const fixed = rows.filter((r) => r.peak_footprint_bytes === POOL_BYTES && r.final_footprint_bytes === POOL_BYTES);
  const full = rows.find((r) => r.peak_live_tables === MAX_TABLES_PER_PGTABLE);
  const light = rows.reduce((m, r) => (r.peak_live_tables < m.peak_live_tables ? r : m));
  return {
    claim,
    source,
    evidence:
      `Footprint exactly ${formatBytes(POOL_BYTES)} in ${fixed.length} of ${plural(rows.length, 'cell')}, from ${plural(light.peak_live_tables, 'live table')} ` +
      `(${light.workload}) up${full ? ` to ${MAX_TABLES_PER_PGTABLE} (${full.workload}, ${full.alloc_failures} failures)` : ''}; never shrinks.`,
    verdict: fixed.length === rows.length ? 'confirmed' : fixed.length > 0 ? 'partly' : 'refuted',
  };
}

/** "page_frag cannot reuse freed fragments until the whole page is freed": frag-adversary shows it. */
function pageFragNoReuse(records: readonly FullRecord[]): Claim {
  const claim = 'page_frag cannot reuse freed fragments until the whole page is freed';
  const source = 'Boichat, v3 and summary (Dec 2018)';
  const adv = records.filter((r) => r.strategy === pageFrag && isWorkloadOf(r.workload, WORKLOAD_NAMES.fragAdversary));
  if (adv.length === 0)
    return {
      claim,
      source,
      evidence: `no ${WORKLOAD_NAMES.fragAdversary} workload with ${pageFrag} in this run`,
      verdict: 'not tested',
    };
  const r = adv[0] as FullRecord;
  const slab = records.find((x) => x.strategy === slabDma32 && comparedCellId(x) === comparedCellId(r));
  const held = r.peak_live_tables * TABLE_SIZE;
  return {
    claim,
    source,
    evidence:
      `${r.workload}: reuse ${formatPercent(r.reuse_rate)}, up to ${formatBytes(r.peak_stranded_bytes)} of freed fragments stranded, ` +
      `peak footprint ${formatBytes(r.peak_footprint_bytes)} for ${formatBytes(held)} of live tables` +
      (slab
        ? ` (${slabDma32}: reuse ${formatPercent(slab.reuse_rate)}, ${formatBytes(slab.peak_footprint_bytes)})`
        : '') +
      '.',
    verdict: r.reuse_rate === 0 && r.peak_stranded_bytes > 0 ? 'confirmed' : 'refuted',
  };
}

/** "A full page per 1 KiB table wastes 75 %": 3 KiB of every 4 KiB page. */
function fullPageWaste(records: readonly FullRecord[]): Claim {
  const claim = 'One 4 KiB page per 1 KiB table wastes 75 % of the memory';
  const source = 'the series discussion (Nov–Dec 2018)';
  const rows = records.filter((r) => r.strategy === fullPage && r.peak_live_tables > 0);
  if (rows.length === 0) return { claim, source, evidence: `${fullPage} was not run`, verdict: 'not tested' };
  // Waste at the peak = (footprint − live) / footprint = frag / (1 + frag).
  const wastes = rows.map((r) => r.frag_peak_over_peak / (1 + r.frag_peak_over_peak));
  const exact = wastes.filter((w) => Math.abs(w - 0.75) < 1e-12).length;
  return {
    claim,
    source,
    evidence: `Waste at the peak, (footprint − live) / footprint, is ${formatPercent(0.75)} in ${exact} of ${plural(rows.length, 'cell')}.`,
    verdict: exact === rows.length ? 'confirmed' : 'partly',
  };
}

/** Real captures in one clause: how many, their peak live tables and their frees. */
function capturesText(captures: readonly FullRecord[]): string {
  const peaks = captures.map((r) => r.peak_live_tables);
  const frees = captures.reduce((s, r) => s + r.frees, 0);
  const allocs = captures.reduce((s, r) => s + r.allocs, 0);
  return (
    `real captures of a Linux 6.1 guest's drivers (x86 under an emulated VT-d, not MT8173; ${plural(captures.length, 'trace')}): ` +
    `peak ${least(peaks)} to ${most(peaks)} tables, ${frees} frees of ${allocs}`
  );
}

/**
 * The field report: a few tens of tables live on MT8173, rarely over 100, rarely freed. Checked on
 * the illustrative scenarios and, apart, on the real captures (workload-groups.ts).
 */
function fieldReport(records: readonly FullRecord[]): Claim {
  const claim = 'On MT8173 a few tens of L2 tables are live, rarely over 100, and they are rarely freed';
  const source = 'Boichat, 5 Dec 2018 (quoted by Deacon)';
  const workloads = [
    ...groupBy(
      records.filter((r) => iommuGroupOf(r) !== null),
      (r) => r.workload,
    ).values(),
  ].map((rows) => rows[0] as FullRecord);
  if (workloads.length === 0)
    return { claim, source, evidence: `no ${WORKLOAD_NAMES.iommu} workload in this run`, verdict: 'not tested' };
  const scenarios = workloads.filter(isIommuScenario);
  const captures = workloads.filter(isRealCapture);
  const parts = scenarios.map(
    (r) =>
      `${parseSpec(r.workload).params.scenario ?? r.workload}: peak ${r.peak_live_tables}, ${r.frees} frees of ${r.allocs}`,
  );
  const evidence = [
    ...(scenarios.length ? [`Illustrative IOMMU scenarios (not measured on MT8173): ${parts.join('; ')}`] : []),
    ...(captures.length ? [capturesText(captures)] : []),
  ].join('; ');
  const within = workloads.filter((r) => r.peak_live_tables <= 100).length;
  const rarelyFreed = workloads.filter((r) => r.frees <= r.allocs / 2).length;
  return {
    claim,
    source,
    evidence: `${evidence.charAt(0).toUpperCase()}${evidence.slice(1)}.`,
    verdict:
      within === workloads.length && rarelyFreed === workloads.length ? 'confirmed' : within > 0 ? 'partly' : 'refuted',
  };
}

/** The claims of the v5.1 decision, each checked against this run's data. */
export function claims(records: readonly FullRecord[], objective: ObjectiveInfo, may?: ReadonlySet<string>): Claim[] {
  return [
    slabMostEfficient(records, objective, may),
    genallocFourMiB(records),
    pageFragNoReuse(records),
    fullPageWaste(records),
    fieldReport(records),
  ];
}
