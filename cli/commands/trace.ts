import { InputError } from '../../core/errors.ts';
import { isIommuTrace } from '../../workloads/iommu/stats.ts';
import { QUANTILE_ERROR, traceStats } from '../../workloads/trace/stats.ts';
import { iommuStatsText } from './trace-iommu.ts';

export interface TraceFlags {
  size?: string;
  cache?: string;
  site?: string;
}

/** `l2bench trace stats FILE`: what a trace holds, as the trace workload would replay it. */
export function traceStatsCommand(file: string, flags: TraceFlags): string {
  if (isIommuTrace(file)) return iommuStatsText(file);
  const size = flags.size === undefined ? 1024 : Number(flags.size);
  if (!Number.isInteger(size) || size < 1) throw new InputError(`--size ${flags.size}: not a positive whole number`);
  const s = traceStats(file, { size, cache: flags.cache ?? '', site: flags.site ?? '' });
  const lt = s.lifetime;
  const lines = [
    `file            ${file}`,
    `format          ${s.format}`,
    `lines           ${s.lines}`,
    `events          ${s.events}`,
    `allocations     ${s.allocations}`,
    `frees           ${s.frees}`,
    `skipped frees   ${s.skipped_frees} (frees of pointers not allocated in the trace at this size)`,
    `realloc w/o free ${s.realloc_without_free}`,
    `peak live       ${s.peak_live}`,
    `live at end     ${s.live_at_end}`,
    `max CPU         ${s.max_cpu ?? 'none'}${s.max_cpu === null ? '' : ` (a replay on fewer than ${s.max_cpu + 1} CPUs folds trace CPU c onto c % cpus)`}`,
    ...(s.lost_events === null
      ? []
      : [
          s.lost_events > 0
            ? `LOST events     ${s.lost_events}: the kernel dropped events while recording, so this trace is incomplete (a lost free keeps its table live until its pointer comes back)`
            : 'lost events     0 (as recorded)',
        ]),
    lt.count === 0
      ? 'lifetime        no table was freed'
      : `lifetime        ${lt.count} freed tables, in events: min ${lt.min}, median ${lt.median}, p90 ${lt.p90}, max ${lt.max}, mean ${lt.mean?.toFixed(2)}`,
    ...(lt.count === 0 ? [] : [`                (${QUANTILE_ERROR})`]),
  ];
  return `${lines.join('\n')}\n`;
}
