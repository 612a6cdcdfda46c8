import Table from 'cli-table3';
import pc from 'picocolors';
import { formatMetric, METRICS, metricValue } from '../../results/metrics.ts';
import type { CellRecord } from '../../results/record.ts';

/** The terminal's columns: the metrics the registry marks `table`, in registry order. */
const COLUMNS = METRICS.filter((m) => m.table);

/** A row that failed an allocation or placed a table above 4 GiB breaks a hard constraint. */
const excluded = (r: CellRecord) => r.alloc_failures > 0 || r.dma32_violations > 0;

/**
 * For each (workload, cpus, kernel, seed) — the kernel named only when the run has several — a table of strategies with the key metrics, the best value of
 * each ranked column marked with `*` (every strategy that ties for it) among the strategies that met
 * the hard constraints; the others are marked `(excluded)` and never best.
 */
export function renderTables(records: readonly CellRecord[], color: boolean): string {
  const groups = new Map<string, CellRecord[]>();
  const kernels = new Set(records.map((r) => r.kernel)).size > 1;
  for (const r of records) {
    const key = `${r.workload}  (cpus=${r.cpus}, ${kernels ? `kernel=${r.kernel}, ` : ''}seed=${r.seed})`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: string[] = [];
  for (const [key, rows] of groups) {
    const table = new Table({
      head: ['strategy', ...COLUMNS.map((c) => c.short ?? c.label)],
      style: { head: [], border: [] },
      colAligns: ['left', ...COLUMNS.map(() => 'right' as const)],
    });
    const best = COLUMNS.map((c) => {
      const values = rows
        .filter((r) => !excluded(r))
        .map((r) => metricValue(r, c))
        .filter((v): v is number => typeof v === 'number');
      if (c.better === 'neutral' || values.length < 2) return null;
      return c.better === 'lower' ? Math.min(...values) : Math.max(...values);
    });
    for (const r of rows) {
      table.push([
        excluded(r) ? `${r.strategy} (excluded)` : r.strategy,
        ...COLUMNS.map((c, i) => {
          const text = formatMetric(c, r);
          if (excluded(r) || best[i] === null || metricValue(r, c) !== best[i]) return text;
          return color ? pc.green(`*${text}`) : `*${text}`;
        }),
      ]);
    }
    out.push(color ? pc.bold(key) : key, table.toString(), '');
  }
  return out.join('\n');
}
