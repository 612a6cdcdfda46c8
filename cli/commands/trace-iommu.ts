import { type IommuTraceStats, iommuTraceStats, SIZE_BUCKETS } from '../../workloads/iommu/stats.ts';
import type { Lifetime } from '../../workloads/trace/stats.ts';
import { QUANTILE_ERROR } from '../../workloads/trace/stats.ts';

const kib = (bytes: number) => (bytes >= 1 << 20 ? `${bytes / (1 << 20)} MiB` : `${bytes / 1024} KiB`);

/** Map sizes as `≤4 KiB 86.9% (1234)`, empty buckets left out. */
function sizeLine(s: IommuTraceStats): string {
  const parts = s.map_sizes.flatMap((n, i) => {
    if (n === 0) return [];
    const label =
      i < SIZE_BUCKETS.length ? `≤${kib(SIZE_BUCKETS[i] as number)}` : `>${kib(SIZE_BUCKETS.at(-1) as number)}`;
    return [`${label} ${((100 * n) / s.maps).toFixed(1)}% (${n})`];
  });
  return parts.join(', ');
}

const life = (l: Lifetime, unit: string) =>
  `min ${l.min}, median ${l.median}, p90 ${l.p90}, max ${l.max}, mean ${l.mean?.toFixed(1)}${unit}`;

/** `l2bench trace stats` on an IOMMU trace. */
export function iommuStatsText(file: string): string {
  const s = iommuTraceStats(file);
  const v = s.v7s;
  const lines = [
    `file            ${file}`,
    'format          iommu (iommu:map and iommu:unmap, as tracefs prints them)',
    ...(s.source ? [`source          ${s.source}`] : []),
    `lines           ${s.lines}`,
    `maps            ${s.maps} (${s.mapped_bytes} bytes mapped)`,
    `unmaps          ${s.unmaps}`,
    `map sizes       ${sizeLine(s)}; largest ${s.largest_map} B`,
    `1 MiB slots     ${s.slots} distinct, at most ${s.peak_live_slots} holding a live mapping at once`,
    `live pages      at most ${s.peak_live_pages} 4 KiB pages mapped at once, ${s.live_pages_at_end} at the end (${s.maps_live_at_end} maps never unmapped)`,
    `unmatched       ${s.unmaps_not_mapped} unmaps of nothing mapped in the trace, ${s.unmaps_partial} of ranges partly mapped, ${s.maps_over_live} maps over live pages`,
    `scatterlists    ${s.unmaps_closing_several} unmaps closed more than one map (at most ${s.most_maps_closed})`,
    s.lifetime_events.count === 0
      ? 'lifetime        no map was unmapped'
      : `lifetime        ${s.lifetime_events.count} maps unmapped; in events: ${life(s.lifetime_events, '')}`,
    ...(s.lifetime_us.count === 0
      ? []
      : [
          `                in trace time: ${life(s.lifetime_us, ' (µs)')}`,
          `                (${QUANTILE_ERROR}; a guest's times are emulated)`,
        ]),
    `max CPU         ${s.max_cpu ?? 'none'}`,
    ...(s.lost_events === null
      ? []
      : [
          s.lost_events > 0
            ? `LOST events     ${s.lost_events}: the kernel dropped events while recording, so this trace is incomplete`
            : 'lost events     0 (as recorded)',
        ]),
    v
      ? `v7s model       ${v.table_allocs} L2 tables allocated, ${v.table_frees} freed, at most ${v.peak_tables} live (modelled: l2bench's io-pgtable-arm-v7s, as iommu:trace= replays it); ${v.map_failures} maps refused, ${v.unmaps_not_mapped} unmaps of nothing`
      : 'v7s model       no map to replay',
  ];
  return `${lines.join('\n')}\n`;
}
