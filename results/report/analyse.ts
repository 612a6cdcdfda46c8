import { describeIncomplete } from '../completeness.ts';
import { plural } from '../format.ts';
import type { FullRecord } from '../record.ts';
import { reproduceCommand } from '../reproduce.ts';
import type { RunResult } from '../run.ts';
import { claims } from './claims.ts';
import { constraints } from './constraints.ts';
import { crossovers } from './crossovers.ts';
import type { ReportModel, WorkloadNote } from './model.ts';
import { rankings } from './rankings.ts';
import { recommend } from './recommend.ts';
import { groupBy, kindOf } from './util.ts';

/**
 * Each workload's category and provenance, from what its records say: a real trace names its file
 * and checksum, a model what it saw, a generator its seed.
 */
function workloadNotes(records: readonly FullRecord[]): WorkloadNote[] {
  return [...groupBy(records, (r) => r.workload).values()].map((rows) => {
    const r = rows[0] as FullRecord;
    const kind = kindOf(r.workload);
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

const THREATS = [
  'The machine is a model of Linux v5.1: no per-CPU page lists (order-0 pages come straight from the buddy lists), one migrate type, no watermarks, lowmem_reserve, reclaim or compaction, one NUMA node.',
  'SLUB is modelled without debugging, freelist randomisation or cache merging; a merged cache would share slabs with other 1 KiB objects and change the footprint.',
  'The IOMMU scenarios are illustrative: their buffer sizes, counts and rates were chosen to resemble an MT8173 Chromebook, not measured on one.',
  'The real trace is an ftrace capture of 1 KiB kmalloc and kmem_cache objects from a Linux 6.18 kernel, not of v7s L2 tables; it shows real lifetimes and CPU spread, not IOMMU behaviour.',
  'Throughput is the speed of this simulator in JavaScript, not of kernel code; the modelled kernel work (page-allocator calls, SLUB slow paths, bitmap words scanned) is the better guide to kernel cost.',
  'Memory metrics are exact for a seed; other seeds of the random workloads may order close strategies differently.',
];

/** The design-decision report's content, computed from a run's records alone. */
export function analyse(run: RunResult): ReportModel {
  const records = run.records;
  const gate = constraints(records);
  const cross = crossovers(records);
  const threats = [...THREATS];
  if (run.interrupted)
    threats.unshift(`The run was interrupted: ${records.length} of ${plural(run.cells, 'cell')} were measured.`);
  const notes = workloadNotes(records);
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
    recommendation: recommend(records, gate, cross),
    constraints: gate,
    rankings: rankings(records),
    crossovers: cross,
    claims: claims(records),
    workloads: notes,
    threats,
    reproduce: reproduceCommand(run.provenance),
    provenance: run.provenance,
    interrupted: run.interrupted,
    incomplete: describeIncomplete(run),
  };
}
