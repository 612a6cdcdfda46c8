import type { CellRecord } from './record.ts';

const KiB = 1024;

function bytes(n: number): string {
  if (n >= KiB * KiB) return `${(n / KiB / KiB).toFixed(2)} MiB`;
  if (n >= KiB) return `${(n / KiB).toFixed(1)} KiB`;
  return `${n} B`;
}

/** A plain table per workload: strategies with their key metrics. */
export function summarise(records: readonly CellRecord[]): string {
  const lines: string[] = [];
  const groups = new Map<string, CellRecord[]>();
  for (const r of records) {
    const key = `${r.workload}  (cpus=${r.cpus}, seed=${r.seed})`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const [key, rows] of groups) {
    lines.push(key);
    const table = [
      ['strategy', 'peak live', 'peak footprint', 'mean footprint', 'metadata', 'failures', 'dma32 violations'],
      ...rows.map((r) => [
        r.strategy,
        String(r.peak_live_tables),
        bytes(r.peak_footprint_bytes),
        bytes(r.mean_footprint_bytes),
        bytes(r.metadata_bytes),
        String(r.alloc_failures),
        String(r.dma32_violations),
      ]),
    ];
    const widths = (table[0] as string[]).map((_, c) => Math.max(...table.map((row) => (row[c] as string).length)));
    for (const row of table) {
      lines.push(
        `  ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number))).join('  ')}`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}
