import Table from 'cli-table3';
import pc from 'picocolors';
import { METRICS, type MetricDef } from '../core/metrics.ts';
import type { CellRecord } from '../core/record.ts';
import { metricValue } from '../core/record.ts';
import { formatMetric } from '../results/metric-text.ts';
import { formatCount } from '../results/number-text.ts';
import { findSweeps, type Sweep } from '../results/sweep-groups.ts';

/** The terminal's columns: the metrics the registry marks `table`, in registry order. */
const COLUMNS = METRICS.filter((m) => m.table);

/**
 * A row that failed an allocation or placed a table above its platform's limit breaks a hard
 * constraint; one whose platform cannot use the strategy is not applicable: neither is marked best.
 */
const excluded = (r: CellRecord) => r.alloc_failures > 0 || r.placement_violations > 0 || r.applicable === false;

/** How a row that is never the answer is named. */
const unranked = (r: CellRecord) => `${r.strategy} (${r.applicable === false ? 'not applicable' : 'excluded'})`;

/** A sweep with more points than this is shown as one table of its key metric at this many points. */
const SWEEP_COLUMNS = 8;

/** The metric a collapsed sweep shows: what the hold sweep rests on. */
const SWEEP_METRIC = METRICS.find((m) => m.key === 'peak_footprint_bytes') as MetricDef;

/**
 * The run's tables for the terminal. A sweep of more than eight workloads (the hold sweep's 127)
 * is one table per (cpus, kernel, seed): strategies by eight of its points, evenly spread, with peak
 * footprint; every other workload gets a table of strategies by every key metric.
 */
export function renderTables(records: readonly CellRecord[], color: boolean): string {
  const kernels = new Set(records.map((r) => r.kernel)).size > 1;
  const platforms = new Set(records.map((r) => r.platform)).size > 1;
  const context = (r: CellRecord) =>
    `(${platforms ? `platform=${r.platform}, ` : ''}cpus=${r.cpus}, ${kernels ? `kernel=${r.kernel}, ` : ''}seed=${r.seed})`;
  const sweeps = findSweeps(records.map((r) => r.workload));
  const sweepOf = new Map<string, Sweep>();
  for (const s of sweeps) if (s.members.length > SWEEP_COLUMNS) for (const m of s.members) sweepOf.set(m.workload, s);
  const groups = new Map<string, { sweep: Sweep | null; rows: CellRecord[] }>();
  for (const r of records) {
    const sweep = sweepOf.get(r.workload) ?? null;
    const key = `${sweep ? sweep.label : r.workload}  ${context(r)}`;
    const group = groups.get(key) ?? { sweep, rows: [] };
    group.rows.push(r);
    groups.set(key, group);
  }
  const out: string[] = [];
  for (const [key, { sweep, rows }] of groups) {
    const title = sweep
      ? `${key}: ${SWEEP_METRIC.label} at ${Math.min(SWEEP_COLUMNS, sweep.members.length)} of ${sweep.members.length} points, every point in the results`
      : key;
    out.push(color ? pc.bold(title) : title);
    out.push(sweep ? sweepTable(sweep, rows, color) : metricsTable(rows, color), '');
  }
  return out.join('\n');
}

/**
 * The metrics table's head drawn once and thrown away, so that cli-table3's code (cell layout,
 * string widths, colour state) is compiled before the run's tables are drawn: the first table takes
 * 5-10 ms more than the next. The CLI calls it while the cells replay, the main thread idle.
 */
export function warmTables(color: boolean): void {
  metricsTable([], color);
}

/** The best value among the rows that met the hard constraints, or null when there is nothing to rank. */
function bestOf(rows: readonly CellRecord[], c: MetricDef): number | null {
  const values = rows
    .filter((r) => !excluded(r))
    .map((r) => metricValue(r, c))
    .filter((v): v is number => typeof v === 'number');
  if (c.better === 'neutral' || values.length < 2) return null;
  return c.better === 'lower' ? Math.min(...values) : Math.max(...values);
}

const mark = (text: string, color: boolean) => (color ? pc.green(`*${text}`) : `*${text}`);

/** Strategies by every key metric, the best of each marked. */
function metricsTable(rows: readonly CellRecord[], color: boolean): string {
  const table = new Table({
    head: ['strategy', ...COLUMNS.map((c) => c.short ?? c.label)],
    style: { head: [], border: [] },
    colAligns: ['left', ...COLUMNS.map(() => 'right' as const)],
  });
  const best = COLUMNS.map((c) => bestOf(rows, c));
  for (const r of rows) {
    table.push([
      excluded(r) ? unranked(r) : r.strategy,
      ...COLUMNS.map((c, i) => {
        const text = formatMetric(c, r);
        if (excluded(r) || best[i] === null || metricValue(r, c) !== best[i]) return text;
        return mark(text, color);
      }),
    ]);
  }
  return table.toString();
}

/**
 * Strategies by points of a sweep: peak footprint, the best at each point marked; a cell that broke
 * a hard constraint says which instead of a figure that could pass for a result.
 */
function sweepTable(sweep: Sweep, rows: readonly CellRecord[], color: boolean): string {
  const points = samplePoints(sweep.members, SWEEP_COLUMNS);
  const at = new Map(rows.map((r) => [`${r.strategy}\u0000${r.workload}`, r]));
  const strategies = [...new Set(rows.map((r) => r.strategy))];
  const table = new Table({
    head: ['strategy', ...points.map((p) => `${sweep.swept}=${p.value}`)],
    style: { head: [], border: [] },
    colAligns: ['left', ...points.map(() => 'right' as const)],
  });
  const best = points.map((p) =>
    bestOf(
      rows.filter((r) => r.workload === p.workload),
      SWEEP_METRIC,
    ),
  );
  for (const strategy of strategies) {
    const cells = points.map((p) => at.get(`${strategy}\u0000${p.workload}`));
    const always = cells.some((r) => r !== undefined) && cells.every((r) => r === undefined || excluded(r));
    // Never the answer at any point: the row's name says it once; a row that breaks it at some points says where.
    const first = cells.find((r) => r !== undefined);
    table.push([
      always && first ? unranked(first) : strategy,
      ...cells.map((r, i) => {
        if (!r) return '–';
        if (r.alloc_failures > 0) return `${formatCount(r.alloc_failures)} failed`;
        if (r.placement_violations > 0)
          return always ? formatMetric(SWEEP_METRIC, r) : `${formatMetric(SWEEP_METRIC, r)} >limit`;
        if (r.applicable === false) return formatMetric(SWEEP_METRIC, r);
        const text = formatMetric(SWEEP_METRIC, r);
        return best[i] !== null && metricValue(r, SWEEP_METRIC) === best[i] ? mark(text, color) : text;
      }),
    ]);
  }
  return table.toString();
}

/**
 * At most `count` points of a sweep, both ends included, spread evenly in the swept value: on a log
 * scale when it spans a factor of 16 or more from 1 up (1, 3, 11, 35, 128, 384, 1280, 4096 of the
 * hold sweep), linearly otherwise; each the member nearest its target.
 */
function samplePoints(members: Sweep['members'], count: number): Sweep['members'][number][] {
  if (members.length <= count) return [...members];
  const lo = (members[0] as Sweep['members'][number]).value;
  const hi = (members[members.length - 1] as Sweep['members'][number]).value;
  const log = lo >= 1 && hi / lo >= 16;
  const chosen = new Set<Sweep['members'][number]>();
  for (let k = 0; k < count; k++) {
    const f = k / (count - 1);
    const target = log ? lo * (hi / lo) ** f : lo + (hi - lo) * f;
    const distance = (v: number) => (log ? Math.abs(Math.log(v / target)) : Math.abs(v - target));
    let nearest = members[0] as Sweep['members'][number];
    for (const m of members) if (distance(m.value) < distance(nearest.value)) nearest = m;
    chosen.add(nearest);
  }
  return [...chosen].sort((a, b) => a.value - b.value);
}
