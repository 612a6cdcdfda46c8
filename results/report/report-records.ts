import type { FullRecord } from '../../core/record.ts';
import { isHoldWorkload } from '../../core/workload-kind.ts';
import { type CostTable, kernelNsPerOp } from '../costs.ts';
import type { RunSource } from '../run-schema.ts';

/** The same string once: a run of 10^6 records names a few hundred workloads and strategies. */
class Strings {
  readonly #seen = new Map<string, string>();
  of(s: string): string {
    const known = this.#seen.get(s);
    if (known !== undefined) return known;
    this.#seen.set(s, s);
    return s;
  }
}

const NO_SERIES = { event: [], footprint_bytes: [], live_tables: [] };

/** A series cut to its last point: what the report reads of a series it does not chart (the tables live at the end). */
function lastPoint(s: FullRecord['detail']['series']): FullRecord['detail']['series'] {
  const n = s.event.length;
  if (n === 0) return NO_SERIES;
  return {
    event: [s.event[n - 1] as number],
    footprint_bytes: [s.footprint_bytes[n - 1] as number],
    live_tables: [s.live_tables[n - 1] as number],
  };
}

/**
 * A run's records as the report reads them, read once from the stream: every figure, the modelled
 * kernel cost from the report's cost table, and of the detail what the analysis and the charts read.
 * A series is kept whole only where a chart draws it (the first cpus and seed of each workload but
 * the hold sweep's), else its last point; the timing samples, which the report does not read, go;
 * a workload's provenance is kept on its first record; names are shared. A record of a few KB (its
 * series and samples) is a few hundred bytes here.
 */
export function reportRecords(run: RunSource, table: CostTable): FullRecord[] {
  const strings = new Strings();
  const params = new Map<string, FullRecord['detail']['strategy_params']>();
  const charted = new Map<string, string>();
  const seen = new Set<string>();
  const out: FullRecord[] = [];
  for (const r of run.records()) {
    const workload = strings.of(r.workload);
    // The chart of a workload (per platform and kernel: each scope has its charts) draws its first cpus and seed.
    const chartKey = `${workload}\u0000${r.platform}\u0000${r.kernel}`;
    const streamKey = `${r.cpus}\u0000${r.seed}`;
    const first = !seen.has(workload);
    seen.add(workload);
    if (!charted.has(chartKey)) charted.set(chartKey, streamKey);
    const chart = !isHoldWorkload(workload) && charted.get(chartKey) === streamKey;
    const d = r.detail;
    const paramsKey = `${r.strategy}\u0000${JSON.stringify(d.strategy_params ?? null)}`;
    if (!params.has(paramsKey)) params.set(paramsKey, d.strategy_params);
    const { samples: _samples, rounds: _rounds, ...kept } = d;
    out.push({
      ...r,
      workload,
      strategy: strings.of(r.strategy),
      platform: strings.of(r.platform),
      kernel: strings.of(r.kernel),
      kernel_ns_per_op: kernelNsPerOp(r, table),
      detail: {
        ...kept,
        ...(d.strategy_params ? { strategy_params: params.get(paramsKey) } : {}),
        ...(d.strategy_note !== undefined ? { strategy_note: strings.of(d.strategy_note) } : {}),
        series: chart ? d.series : lastPoint(d.series),
        samples: [],
        workload_info: first ? d.workload_info : {},
      },
    });
  }
  return out;
}
