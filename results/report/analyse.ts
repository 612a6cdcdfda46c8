import { DEFAULT_KERNEL, isKernelVersion, type KernelVersion } from '../../core/kernel.ts';
import { DEFAULT_PLATFORM, factsUnder, findPlatform } from '../../core/platforms.ts';
import type { FullRecord } from '../../core/record.ts';
import { specName } from '../../core/spec.ts';
import { describeIncomplete } from '../completeness.ts';
import { type CostTable, loadCosts } from '../costs.ts';
import { plural } from '../number-text.ts';
import { reproduceCommand } from '../reproduce.ts';
import type { ReportOptions, RunResult, RunSource } from '../run-schema.ts';
import { asSource } from '../run-source.ts';
import { findSweeps } from '../sweep-groups.ts';
import { eligible } from './applicability.ts';
import { constraints } from './constraints.ts';
import { costSummary, speedSummary } from './cost.ts';
import { crossovers } from './crossovers.ts';
import { sinceV51 } from './kernel-changes.ts';
import { lostEventThreats } from './lost-events.ts';
import type { KernelAnswer, ObjectiveInfo, ReportModel, WorkloadNote } from './model.ts';
import { objectiveOf } from './objective.ts';
import { platformSections } from './platforms-section.ts';
import { rankings } from './rankings.ts';
import { realCaptures } from './real-captures.ts';
import { recommend } from './recommend.ts';
import { groupBy, kernelsOf } from './record-groups.ts';
import { reportRecords } from './report-records.ts';
import { factsOf, type Scope, scopeKeyOf, scopesOf } from './scope.ts';
import { claims } from './v51-claims.ts';

/**
 * Each workload's category and provenance, from what its records say: a real trace names its file
 * and checksum, a model what it saw, a generator its seed.
 */
function workloadNotes(records: readonly FullRecord[]): WorkloadNote[] {
  return [...groupBy(records, (r) => r.workload).values()].map((rows) => {
    const r = rows[0] as FullRecord;
    const kind = specName(r.workload);
    const info = r.detail.workload_info;
    const category = r.detail.workload_category ?? 'unknown';
    const facts = Object.entries(info)
      .filter(([k]) => !['file', 'sha256', 'format', 'model'].includes(k))
      .map(([k, v]) => `${k.replaceAll('_', ' ')} ${v}`);
    const provenance =
      category === 'real trace'
        ? [`${info.format ?? ''} trace ${info.file ?? ''}, sha256 ${info.sha256 ?? '?'}`.trim(), ...facts]
        : category === 'model'
          ? [`${info.model ?? `model ${kind}`}`, ...facts, `seed ${r.seed}`]
          : [`generator ${kind}`, ...facts, `seed ${r.seed}`];
    return { workload: r.workload, kind: category, provenance: provenance.join(', ') };
  });
}

/**
 * One row per sweep: workloads of one kind that differ only in one numeric parameter (the hold
 * sweep's `tables`) collapse into `hold:tables=1..4096 (127 values)`, so the table stays readable.
 */
function collapseSweeps(notes: readonly WorkloadNote[]): WorkloadNote[] {
  const byWorkload = new Map(notes.map((n) => [n.workload, n]));
  return findSweeps(
    notes.map((n) => n.workload),
    (w) => byWorkload.get(w)?.kind ?? '',
  ).map((sweep) => {
    const first = byWorkload.get(sweep.members[0]?.workload as string) as WorkloadNote;
    if (sweep.swept === null) return first;
    return {
      workload: `${sweep.label} (${sweep.members.length} values)`,
      kind: first.kind,
      provenance: first.provenance,
    };
  });
}

const THREATS = [
  'The machine is a model of Linux v5.1: no per-CPU page lists (order-0 pages come straight from the buddy lists), one migrate type, no watermarks, lowmem_reserve, reclaim or compaction, one NUMA node.',
  'SLUB is modelled without debugging, freelist randomisation or cache merging; a merged cache would share slabs with other 1 KiB objects and change the footprint.',
  'The IOMMU scenarios are illustrative: their buffer sizes, counts and rates were chosen to resemble an MT8173 Chromebook, not measured on one.',
  'The real trace is an ftrace capture of 1 KiB kmalloc and kmem_cache objects from a Linux 6.18 kernel, not of v7s L2 tables; it shows real lifetimes and CPU spread, not IOMMU behaviour.',
  'Kernel cost is modelled, not measured: exact operation counts times per-unit costs from published microbenchmarks on x86 cores (some units are estimates, each marked in the cost table); an arm64 SoC, a cold cache or a hardened config (init_on_alloc, KASAN) scales them. The sensitivity line says which unit changes would reorder the strategies. Simulator throughput is the speed of this JavaScript model, reported apart and never used for the answer.',
  'Memory metrics are exact for a seed; other seeds of the random workloads may order close strategies differently.',
];

/** What the 6.18 models leave at v5.1 or assume, said when a run has 6.18 records. */
const THREATS_618: readonly string[] = [
  'Under 6.18 only the allocators change: the simulated machine (zones as v5.1 arm64 draws them, the buddy allocator without per-CPU lists, no reclaim) is the same under both kernels. On 6.18 arm64 the zone below 4 GiB on this board is ZONE_DMA, not ZONE_DMA32; it holds the same pages.',
  "The IOMMU workload stays at v5.1's dma-iommu and io-pgtable-arm-v7s model under 6.18. Since v5.1: split-on-unmap was removed (fd50651636fb, v6.13), so unmapping part of a section no longer allocates an L2 table; the L2 table's gfp is the caller's for coherent allocations (GFP_KERNEL there); IOVA magazines hold 127 entries and their depot is unbounded, trimmed by a worker. A real 6.18 may allocate and free tables at other times than the scenarios do.",
  "6.18 dma-pool: the atomic pool's growth worker is assumed to run right after the allocation that schedules it, before the next table is allocated, and the chunks it adds are charged to the tables (pools never shrink). Other atomic users share the pool: if they had grown it already, nothing would be charged; if they use it, it runs out sooner. The pool is the one of the zone below 4 GiB, as arm64 6.18 caps zone_dma_limit at 4 GiB when DRAM starts below it [unverified], and upstream's pool choice is taken to be the Android 6.18.0 tree's [unverified]. The 32-byte dma_page header is charged to kmalloc-32, as with arm64's kmalloc bouncing (kmalloc-64 without it) [unverified].",
  "Where no 6.18 source was found the v5.1 behaviour is kept under 6.18: SLUB's per-cache metadata (struct kmem_cache and kmem_cache_node sizes), slab-normal's placement (the pre-patch baseline keeps tables anywhere, though GFP_DMA means a zone below 4 GiB on 6.18 arm64), and the page allocator's costs in the cost table.",
];

/** What the 6.1 models leave at v5.1 or assume, said when a run has 6.1 records. */
const THREATS_61: readonly string[] = [
  'Under 6.1 only the allocators change: the simulated machine (zones as v5.1 arm64 draws them, the buddy allocator without per-CPU lists, no reclaim) is the same under every kernel. On 6.1 arm64 the zone below 4 GiB on this board is ZONE_DMA (zone_dma_bits 32 without dma-ranges) and ZONE_DMA32 is empty; it holds the same pages.',
  "The IOMMU workload is v5.1's dma-iommu and io-pgtable-arm-v7s model, which 6.1 still follows where L2 tables are allocated and freed: splitting a section on a partial unmap allocates a table, and dma-iommu maps with GFP_ATOMIC (iommu_map_atomic) [src]. Its IOVA allocator was not compared with 6.1's.",
  "6.1 dma-pool: v5.1's dma_pool (3 blocks per page, list walks) on 6.18's atomic pool, which 6.1's kernel/dma/pool.c matches [src]; as on 6.18, the growth worker is assumed to run right after the allocation that schedules it, and other atomic users are assumed not to touch the pool.",
  "SLUB's per-cache metadata is v5.1's under 6.1 (struct kmem_cache would be about 256 bytes, not 384, by the 6.1 struct [derived]). Freelist randomisation (CONFIG_SLAB_FREELIST_RANDOM, on in Debian's 6.1) changes which object a table gets, not how many slabs are held. slab-normal keeps the pre-patch placement (tables anywhere), though GFP_DMA means ZONE_DMA below 4 GiB on 6.1 arm64.",
];

/** What the model of each kernel leaves out or assumes, said when a run has its records (v5.1's are THREATS). */
const KERNEL_THREATS: Record<KernelVersion, readonly string[]> = { '5.1': [], '6.1': THREATS_61, '6.18': THREATS_618 };

/** The cost table a report uses: the one asked for, the one the run recorded, or the shipped one. */
function costTable(run: RunSource, options: ReportOptions): CostTable {
  return options.costs ?? run.header.provenance.costs?.table ?? loadCosts().table;
}

/** A run's records as the report reads them, and its model, worked out once per run and options. */
interface Worked {
  objective: string;
  costs: ReportOptions['costs'];
  source: RunSource;
  table: CostTable;
  records: FullRecord[];
  model?: ReportModel;
}

/** What was worked out, by run (in memory, or the source it is read from) and options: a run does not change once reported. */
const worked = new WeakMap<object, Worked[]>();

/**
 * The run read once for the report: the Markdown and HTML reports and the terminal's answer read
 * the same run, through the same records (reportRecords: a projection of a few hundred bytes a
 * record, read from the stream), analysed once.
 */
function workedOut(run: RunResult | RunSource, options: ReportOptions): Worked {
  const objective = `${options.objective ?? ''}`;
  const list = worked.get(run) ?? [];
  const sameCosts = list.find((w) => w.costs === options.costs);
  const found = list.find((w) => w === sameCosts && w.objective === objective);
  if (found) return found;
  const source = asSource(run);
  const table = sameCosts?.table ?? costTable(source, options);
  const entry: Worked = {
    objective,
    costs: options.costs,
    source,
    table,
    records: sameCosts?.records ?? reportRecords(source, table),
  };
  worked.set(run, [...list, entry]);
  return entry;
}

/** The run's records as the report reads them, with their modelled kernel cost from the report's cost table (charts and analysis agree). */
export function costedRecords(run: RunResult | RunSource, options: ReportOptions = {}): FullRecord[] {
  return workedOut(run, options).records;
}

/** The answer for one platform's and kernel's records: constraints, crossovers, cost, claims, then the recommendation. */
function answerFor(
  scope: Scope,
  records: readonly FullRecord[],
  objective: ObjectiveInfo,
  table: CostTable,
): KernelAnswer {
  const facts = factsOf(scope.platform, scope.kernel);
  const platform = findPlatform(scope.platform ?? DEFAULT_PLATFORM);
  const gate = constraints(records, platform && factsUnder(platform, scope.kernel));
  const may = new Set(gate.filter(eligible).map((g) => g.strategy));
  const cross = crossovers(records, may, objective);
  const cost = costSummary(records, may, table, facts, scope.kernel);
  return {
    kernel: scope.kernel,
    platform: scope.platform,
    title: scope.title,
    facts,
    recommendation: recommend(records, gate, cross, objective, cost, facts),
    constraints: gate,
    crossovers: cross,
    claims: claims(records, objective, may),
    cost,
    real: realCaptures(records, objective.held, [...may], facts.upstream),
  };
}

/** What the report says of a run: its model, which the Markdown and HTML renderers render. */
export function analyse(run: RunResult | RunSource, options: ReportOptions = {}): ReportModel {
  const w = workedOut(run, options);
  w.model ??= analyseOnce(w, options);
  return w.model;
}

function analyseOnce({ source, table, records }: Worked, options: ReportOptions): ReportModel {
  const run = source.header;
  const objective = objectiveOf(options);
  // Each platform under each kernel is its own machine: its records are analysed apart, never ranked against another's.
  const kernels = kernelsOf(records);
  const scopes = scopesOf(records);
  const answers = (
    scopes.length
      ? scopes
      : [{ key: `\u0000${DEFAULT_KERNEL}`, platform: null, kernel: DEFAULT_KERNEL, title: `Linux ${DEFAULT_KERNEL}` }]
  ).map((scope) =>
    answerFor(
      scope,
      records.filter((r) => scopeKeyOf(r) === scope.key),
      objective,
      table,
    ),
  );
  const threats = [...THREATS, ...kernels.flatMap((k) => (isKernelVersion(k) ? KERNEL_THREATS[k] : []))];
  threats.unshift(...lostEventThreats(records));
  const unchecked = run.provenance.unchecked_strategies ?? [];
  if (unchecked.length)
    threats.unshift(
      `${unchecked.join(', ')} ran without the invariant checker (--no-check): a bad address, an overlap or a double free would not have failed ${unchecked.length === 1 ? 'its' : 'their'} cells, so ${unchecked.length === 1 ? 'its' : 'their'} figures are unchecked.`,
    );
  if (run.interrupted)
    threats.unshift(`The run was interrupted: ${records.length} of ${plural(run.cells, 'cell')} were measured.`);
  const notes = collapseSweeps(workloadNotes(records));
  const synthetic = notes.filter((n) => n.kind === 'synthetic').length;
  threats.push(
    `${synthetic} of ${plural(notes.length, 'workload')} ${synthetic === 1 ? 'is a synthetic pattern' : 'are synthetic patterns'}; Wilson et al. (1995) warn that synthetic workloads can mislead.`,
  );
  return {
    title: 'Which allocator for io-pgtable-arm-v7s L2 tables?',
    question:
      'L2 tables of the ARMv7 short-descriptor IOMMU format are 1 KiB, 1 KiB-aligned, up to 4096 per page table, and must lie below 4 GiB. ' +
      'Linux v5.1 chose a SLUB cache with SLAB_CACHE_DMA32 over genalloc, page_frag and one page per table. ' +
      "Which strategy should allocate them, on this run's machine and workloads, and when would the answer change?",
    answers,
    platforms: platformSections(answers),
    since: sinceV51(records, answers),
    objective,
    rankings: rankings(records, answers),
    speed: speedSummary(records),
    workloads: notes,
    threats,
    reproduce: reproduceCommand(run.provenance),
    provenance: run.provenance,
    interrupted: run.interrupted,
    incomplete: describeIncomplete(source),
  };
}
