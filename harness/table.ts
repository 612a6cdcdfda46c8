import Table from 'cli-table3';
import pc from 'picocolors';
import type { CellRecord } from './record.ts';

const KiB = 1024;

export function formatBytes(n: number): string {
  if (n >= KiB * KiB) return `${(n / KiB / KiB).toFixed(2)} MiB`;
  if (n >= KiB) return `${(n / KiB).toFixed(1)} KiB`;
  return `${Math.round(n)} B`;
}

function formatRate(r: CellRecord): string {
  if (r.ops_per_sec === null) return '–';
  const m = r.ops_per_sec / 1e6;
  return `${m >= 10 ? m.toFixed(1) : m.toFixed(2)} M ±${(r.ops_per_sec_rme ?? 0).toFixed(1)}%`;
}

interface Column {
  head: string;
  value: (r: CellRecord) => number | null;
  show: (r: CellRecord) => string;
  /** Which way is better; undefined: not ranked. */
  better?: 'low' | 'high';
}

const COLUMNS: Column[] = [
  { head: 'peak live', value: (r) => r.peak_live_tables, show: (r) => String(r.peak_live_tables) },
  {
    head: 'peak footprint',
    value: (r) => r.peak_footprint_bytes,
    show: (r) => formatBytes(r.peak_footprint_bytes),
    better: 'low',
  },
  {
    head: 'mean footprint',
    value: (r) => r.mean_footprint_bytes,
    show: (r) => formatBytes(r.mean_footprint_bytes),
    better: 'low',
  },
  {
    head: 'frag peak/peak',
    value: (r) => r.frag_peak_over_peak,
    show: (r) => r.frag_peak_over_peak.toFixed(2),
    better: 'low',
  },
  { head: 'reuse', value: (r) => r.reuse_rate, show: (r) => `${(r.reuse_rate * 100).toFixed(1)}%`, better: 'high' },
  {
    head: 'stranded',
    value: (r) => r.peak_stranded_bytes,
    show: (r) => formatBytes(r.peak_stranded_bytes),
    better: 'low',
  },
  { head: 'failures', value: (r) => r.alloc_failures, show: (r) => String(r.alloc_failures), better: 'low' },
  { head: '>4GiB', value: (r) => r.dma32_violations, show: (r) => String(r.dma32_violations), better: 'low' },
  { head: 'events/s', value: (r) => r.ops_per_sec, show: formatRate, better: 'high' },
];

/**
 * For each (workload, cpus, seed): a table of strategies with the key metrics, the best value of
 * each ranked column marked with `*` (every strategy that ties for it).
 */
export function renderTables(records: readonly CellRecord[], color: boolean): string {
  const groups = new Map<string, CellRecord[]>();
  for (const r of records) {
    const key = `${r.workload}  (cpus=${r.cpus}, seed=${r.seed})`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: string[] = [];
  for (const [key, rows] of groups) {
    const table = new Table({
      head: ['strategy', ...COLUMNS.map((c) => c.head)],
      style: { head: [], border: [] },
      colAligns: ['left', ...COLUMNS.map(() => 'right' as const)],
    });
    const best = COLUMNS.map((c) => {
      const values = rows.map(c.value).filter((v): v is number => v !== null);
      if (!c.better || values.length < 2) return null;
      return c.better === 'low' ? Math.min(...values) : Math.max(...values);
    });
    for (const r of rows) {
      table.push([
        r.strategy,
        ...COLUMNS.map((c, i) => {
          const text = c.show(r);
          if (best[i] === null || c.value(r) !== best[i]) return text;
          return color ? pc.green(`*${text}`) : `*${text}`;
        }),
      ]);
    }
    out.push(color ? pc.bold(key) : key, table.toString(), '');
  }
  return out.join('\n');
}
