import type { CellKey } from '../../core/cell-key.ts';
import { DEFAULT_KERNEL } from '../../core/kernel.ts';
import { DEFAULT_PLATFORM } from '../../core/platforms.ts';
import { formatSi, plural } from '../number-text.ts';
import type { RunSource } from '../run-schema.ts';
import {
  type Comparison,
  describeKey,
  hiddenBecause,
  type Row,
  THROUGHPUT_VERDICTS,
  type ThroughputVerdict,
  type TimingSide,
} from './diff.ts';

export type CompareFormat = 'text' | 'md';
export const COMPARE_FORMATS: readonly CompareFormat[] = ['text', 'md'];

export interface FormatOptions {
  format: CompareFormat;
  /** Show unchanged and insignificant rows too. */
  all: boolean;
  /** Where the runs came from, for the heading. */
  sources?: { base: { file: string; run: RunSource }; next: { file: string; run: RunSource } };
}

/** Cells of one run only named, at most (a run of 10^6 cells against another plan's). */
const ONLY_NAMED = 50;

const HEAD = ['workload', 'strategy', 'metric', 'base', 'new', 'change', 'verdict'] as const;
/** Right-aligned columns in the text table. */
const NUMERIC = new Set([3, 4, 5]);

/** A number as short as it can be while still telling base and new apart when they differ. */
function exactPair(base: number | null, next: number | null): [string, string] {
  const show = (x: number | null, digits: number) =>
    x === null ? '–' : Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(digits)));
  for (let digits = 6; digits < 17; digits++) {
    const pair: [string, string] = [show(base, digits), show(next, digits)];
    if (pair[0] !== pair[1] || base === next) return pair;
  }
  return [show(base, 17), show(next, 17)];
}

export function formatChange(pct: number | null): string {
  if (pct === null) return '–';
  if (pct === Infinity) return '+∞%';
  if (pct === -Infinity) return '-∞%';
  if (pct === 0) return '0%';
  const sign = pct > 0 ? '+' : '-';
  const abs = Math.abs(pct);
  return `${sign}${abs >= 0.01 ? abs.toFixed(2) : abs.toPrecision(2)}%`;
}

function formatP(p: number): string {
  return p < 0.001 ? 'p<0.001' : `p=${p.toFixed(3)}`;
}

/** The interval of change of an improvement or a regression, when bounded: `; −88% to −79%`. */
function interval(row: Row): string {
  if (row.kind !== 'throughput' || !row.interval) return '';
  if (row.verdict !== 'improved' && row.verdict !== 'regressed') return '';
  const { lowPct, highPct } = row.interval;
  if (!Number.isFinite(lowPct) || !Number.isFinite(highPct)) return '';
  return `; ${formatChange(lowPct)} to ${formatChange(highPct)}`;
}

function cells(row: Row, keyLabel: (k: CellKey) => string): string[] {
  const head = [keyLabel(row.key), row.key.strategy, row.metric];
  if (row.kind === 'exact') {
    const [b, n] = exactPair(row.base, row.next);
    const verdict =
      row.verdict === 'changed' && row.direction && row.direction !== 'neutral'
        ? `changed, ${row.direction}`
        : row.verdict;
    return [...head, b, n, formatChange(row.changePct), verdict];
  }
  const side = (s: TimingSide) => (s.n === 0 ? '–' : `${formatSi(s.median)}/s n=${s.n}`);
  const verdict =
    row.verdict === 'too few samples to tell'
      ? `${row.verdict} (n=${row.base.n} vs ${row.next.n}: ${formatP(row.pAdjusted ?? 1)}, Holm; p≥${Number((row.minP ?? 1).toPrecision(2))} at best)`
      : row.test
        ? `${row.verdict} (${formatP(row.pAdjusted ?? row.test.p)}, Holm${interval(row)})`
        : `${row.verdict} (n=${row.base.n} vs ${row.next.n})`;
  return [...head, side(row.base), side(row.next), formatChange(row.changePct), verdict];
}

function textTable(rows: string[][]): string[] {
  const widths = HEAD.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (NUMERIC.has(i) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

function markdownTable(rows: string[][]): string[] {
  const esc = (c: string) => c.replaceAll('\\', '\\\\').replaceAll('|', '\\|');
  const line = (r: readonly string[]) => `| ${r.map(esc).join(' | ')} |`;
  return [line(HEAD), `|${HEAD.map((_, i) => (NUMERIC.has(i) ? '---:' : '---')).join('|')}|`, ...rows.map(line)];
}

function describeSource(label: string, file: string, run: RunSource): string {
  const p = run.header.provenance;
  const commit = p.git_commit ? ` (${p.git_commit.slice(0, 7)})` : '';
  return `${label}: ${file}: l2bench ${p.l2bench_version}${commit}, ${p.started_at}, ${plural(run.summary().records, 'cell')}`;
}

/** Render a comparison as a text or Markdown report (without the --fail-on-regression line). */
export function formatComparison(cmp: Comparison, options: FormatOptions): string {
  const md = options.format === 'md';
  const notes: string[] = [];
  if (options.sources) {
    notes.push(describeSource('base', options.sources.base.file, options.sources.base.run));
    notes.push(describeSource('new', options.sources.next.file, options.sources.next.run));
  }
  for (const w of cmp.warnings) notes.push(`warning: ${w}`);
  // Name platform, cpus, kernel and seed in the table only when the cells differ in them (the
  // platform and kernel in the notes only when they are not mt8173 and v5.1, those of runs before
  // their axes).
  const { platform, cpus, kernel, seed } = cmp.same;
  const fixed = [
    platform === undefined || platform === DEFAULT_PLATFORM ? '' : `platform=${platform}`,
    cpus === undefined ? '' : `cpus=${cpus}`,
    kernel === undefined || kernel === DEFAULT_KERNEL ? '' : `kernel=${kernel}`,
    seed === undefined ? '' : `seed=${seed}`,
  ].filter(Boolean);
  const varying = (k: CellKey) =>
    [
      platform === undefined ? `platform=${k.platform}` : '',
      cpus === undefined ? `cpus=${k.cpus}` : '',
      kernel === undefined ? `kernel=${k.kernel}` : '',
      seed === undefined ? `seed=${k.seed}` : '',
    ].filter(Boolean);
  const keyLabel = (k: CellKey) => k.workload + (varying(k).length ? ` @${varying(k).join(',')}` : '');
  notes.push(
    `${plural(cmp.matched, 'cell')} in both runs${fixed.length ? ` (${fixed.join(', ')})` : ''}; exact metrics compared exactly; ` +
      `throughput: Mann–Whitney U test of the rounds (n = rounds, each timed in a fresh isolate; ops/s of its fastest sample; the change is that of their medians), Holm-corrected, at alpha ${cmp.alpha}, noise ${cmp.noisePct}%`,
  );

  const shown = cmp.rows.filter((r) => options.all || hiddenBecause(r) === null);
  const table = shown.map((r) => cells(r, keyLabel));
  const out: string[] = [];
  const paragraph = (lines: string[]) => {
    if (lines.length === 0) return;
    if (out.length > 0) out.push('');
    out.push(...(md ? lines.map((l) => `- ${l}`) : lines));
  };
  paragraph(notes);
  if (table.length > 0) {
    out.push('');
    out.push(...(md ? markdownTable(table) : textTable(table)));
  } else {
    paragraph(['no change to show: every exact metric is equal and no throughput change is significant']);
  }

  const tail: string[] = [];
  if (!options.all) {
    const unchanged = cmp.unchanged + cmp.rows.filter((r) => hiddenBecause(r) === 'unchanged').length;
    const insignificant = cmp.rows.filter((r) => hiddenBecause(r) === 'not significant');
    const withinNoise = insignificant.filter((r) => r.kind === 'throughput' && r.verdict === 'within noise').length;
    if (unchanged > 0) tail.push(`hidden because unchanged (${unchanged}); --all shows them`);
    const oneSided = cmp.oneSided + cmp.rows.filter((r) => hiddenBecause(r) === 'in one run only').length;
    if (oneSided > 0) tail.push(`hidden because in one run only (${oneSided}); --all shows them`);
    if (insignificant.length > 0) {
      tail.push(
        `hidden because not significant (${insignificant.length}): ${insignificant.length - withinNoise} no significant change, ${withinNoise} within noise; --all shows them`,
      );
    }
  }
  const only = (label: string, keys: CellKey[]) => {
    if (keys.length === 0) return [];
    const more = keys.length > ONLY_NAMED ? `; and ${keys.length - ONLY_NAMED} more` : '';
    return [`only in ${label} (${keys.length}): ${keys.slice(0, ONLY_NAMED).map(describeKey).join('; ')}${more}`];
  };
  tail.push(...only('base', cmp.onlyBase), ...only('new', cmp.onlyNew));
  tail.push(summary(cmp));
  paragraph(tail);
  return `${out.join('\n')}\n`;
}

function summary(cmp: Comparison): string {
  let changed = 0;
  let worse = 0;
  let better = 0;
  const tp: Partial<Record<ThroughputVerdict, number>> = {};
  for (const r of cmp.rows) {
    if (r.kind === 'exact') {
      if (r.verdict !== 'changed') continue;
      changed++;
      if (r.direction === 'worse') worse++;
      if (r.direction === 'better') better++;
    } else {
      tp[r.verdict] = (tp[r.verdict] ?? 0) + 1;
    }
  }
  const throughput = THROUGHPUT_VERDICTS.filter((v) => tp[v])
    .map((v) => `${tp[v]} ${v}`)
    .join(', ');
  return `summary: exact metrics: ${changed} changed (${worse} worse, ${better} better, ${changed - worse - better} neutral)${throughput ? `; throughput: ${throughput}` : ''}`;
}
