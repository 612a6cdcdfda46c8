import type { FullRecord } from '../core/record.ts';
import { strategyPalette } from './charts/colors.ts';
import { formatBytes, formatCount, formatPercent, plural } from './number-text.ts';
import { FORMAT_FILES } from './output-formats.ts';
import { aggregateText } from './report/aggregations.ts';
import { analyse, costedRecords } from './report/analyse.ts';
import { unavailableGroups } from './report/answer-table.ts';
import { formatNs, sig2 } from './report/cost.ts';
import {
  type AggregateRow,
  type CellRanking,
  type Claim,
  type ConstraintRow,
  type KernelAnswer,
  type RankedValue,
  type ReportModel,
  SECTIONS,
  type SectionId,
  type SinceKernel,
} from './report/model.ts';
import { NO_CAPTURES, realCapturesTable } from './report/real-captures.ts';
import { scopeKeyOf, scopesOf } from './report/scope.ts';
import type { Exporter, Provenance } from './run-schema.ts';

/** A chart as the report shows it: a title, an inline SVG and optionally a sentence on how to read it. */
export interface ReportChart {
  title: string;
  svg: string;
  caption?: string;
}

/** Text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const h = escapeHtml;

/**
 * The whole report as one self-contained HTML page: inline style, inline SVG charts, no script and
 * nothing fetched. Every text from the model is escaped; the SVGs are inserted as they are (they
 * come from results/charts, which escapes its own text).
 */
export function renderHtml(model: ReportModel, charts: readonly ReportChart[]): string {
  const strategies = new Set<string>([
    ...model.answers.flatMap((a) => a.constraints.map((c) => c.strategy)),
    ...model.rankings.flatMap((r) => r.strategies.map((v) => v.strategy)),
  ]);
  for (const a of model.answers) if (a.recommendation.strategy !== null) strategies.add(a.recommendation.strategy);
  const palette = strategyPalette(strategies);
  const colorOf = (s: string) => palette.range[palette.domain.indexOf(s)] ?? '#888';
  const strategy = (s: string) =>
    `<span class="strategy"><span class="swatch" style="background:${colorOf(s)}"></span>${h(s)}</span>`;

  const body: Record<SectionId, string> = {
    answer: answerSection(model, strategy),
    captures: perKernel(model, capturesSection),
    platforms: platformsSection(model),
    since: sinceSection(model, strategy),
    constraints: perKernel(model, (a) => constraintsSection(a.constraints, strategy)),
    rankings: rankingsSection(model.rankings, strategy, model.answers.length > 1),
    crossovers: crossoversSection(model),
    claims: perKernel(model, (a) => claimsSection(a.claims)),
    cost: perKernel(model, (a) => costSection(a, strategy)),
    speed: speedSection(model, strategy),
    charts: chartsSection(charts),
    workloads: workloadsSection(model),
    threats: threatsSection(model.threats),
    reproduce: `<pre><code>${h(model.reproduce)}</code></pre>`,
  };
  const sections = SECTIONS.map(
    ([id, heading]) => `<section id="${id}">\n<h2>${h(heading)}</h2>\n${body[id]}\n</section>`,
  ).join('\n\n');
  const toc = SECTIONS.map(([id, heading]) => `<a href="#${id}">${h(heading)}</a>`).join(' · ');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="l2bench ${h(model.provenance.l2bench_version)}">
<title>${h(model.title)}</title>
<style>
${STYLE}
</style>
</head>
<body>
<header>
<h1>${h(model.title)}</h1>
<p class="provenance">${h(provenanceLine(model.provenance))}</p>
${model.incomplete ? `<p class="callout warn"><strong>${h(model.incomplete)}</strong></p>` : model.interrupted ? '<p class="callout warn"><strong>Interrupted run.</strong> Only the cells that finished are reported; the answer may change with the full run.</p>' : ''}
<p class="question">${h(model.question)}</p>
<nav aria-label="Sections">${toc}</nav>
</header>
<main>
${sections}
</main>
</body>
</html>
`;
}

/** One line: version, commit, when, where, on what machine, from which suite. */
export function provenanceLine(p: Provenance): string {
  const machine = Object.entries(p.machine)
    .map(([k, v]) => `${k}=${/bytes|base|size/i.test(k) ? formatBytes(v) : String(v)}`)
    .join(', ');
  const parts = [
    `l2bench ${p.l2bench_version}`,
    p.git_commit ? `commit ${p.git_commit.slice(0, 12)}` : 'no git commit',
    `run ${p.started_at}`,
    `Node ${p.node_version} (V8 ${p.v8_version})`,
    `${p.cpu_model}, ${p.platform}`,
    `machine ${machine || 'default'}`,
    ...(p.kernels?.length ? [`Linux ${p.kernels.join(', ')} allocators`] : []),
    p.suite ? `suite ${p.suite.split('/').pop()}` : 'workloads from flags',
    p.throughput_time_ms === null ? 'no throughput' : `throughput ${p.throughput_time_ms} ms per cell`,
  ];
  return parts.join(' · ');
}

type StrategyHtml = (s: string) => string;

/**
 * A section computed per kernel: as it is for a run of one kernel; once, said to hold for every
 * kernel, when all kernels give the same; else one subsection per kernel.
 */
function perKernel(model: ReportModel, body: (a: KernelAnswer) => string): string {
  const [first] = model.answers;
  if (model.answers.length === 1 && first) return body(first);
  const bodies = model.answers.map(body);
  const scopes = model.answers.map((a) => a.title).join('; ');
  if (bodies.every((b) => b === bodies[0])) {
    return `<p class="note">The same for every platform and kernel of this run (${h(scopes)}).</p>\n${bodies[0] ?? ''}`;
  }
  return model.answers.map((a, i) => `<h3 class="kernel">${h(a.title)}</h3>\n${bodies[i] ?? ''}`).join('\n');
}

function answerSection(model: ReportModel, strategy: StrategyHtml): string {
  const [first] = model.answers;
  if (model.answers.length === 1 && first) return answerBody(model, first, strategy);
  const lead = `<p>This run has ${h(plural(model.answers.length, 'platform and kernel', 'platforms and kernels'))}; each is answered from its own records.</p>`;
  return [
    lead,
    ...model.answers.map((a) => `<h3 class="kernel">${h(a.title)}</h3>\n${answerBody(model, a, strategy)}`),
  ].join('\n');
}

function answerBody(model: ReportModel, a: KernelAnswer, strategy: StrategyHtml): string {
  const rec = a.recommendation;
  // Under the scope's own heading (h3) when the run has several.
  const sub = model.answers.length > 1 ? 'h4' : 'h3';
  const rule = `<p class="basis"><strong>Decision rule.</strong> ${h(rec.rule)}</p>`;
  const lead =
    rec.strategy === null
      ? `<p class="verdict-line bad">${h(rec.headline)}</p>`
      : `<p class="verdict-line">${rec.agreed ? 'Winner' : 'By the decision rule'}: ${strategy(rec.strategy)}</p>\n<p>${h(rec.headline)}</p>`;
  const setting = [
    rec.setting ? `<p class="note">Its setting: ${h(rec.setting)}.</p>` : '',
    a.facts.upstream
      ? `<p class="note">Upstream allocates these tables as <code>${h(a.facts.upstream)}</code> models here: ${h(a.facts.upstreamSource)}.</p>`
      : '',
  ]
    .filter((x) => x !== '')
    .join('\n');
  const basis = `<p class="note"><strong>Basis:</strong> ${h(model.objective.label)}, ${h(model.objective.why)}; the pages alone beside it.</p>`;
  const numbers =
    rec.numbers.length === 0
      ? ''
      : `<dl class="numbers">${rec.numbers.map((n) => `<div><dt>${h(n.label)}</dt><dd>${h(n.value)}</dd></div>`).join('')}</dl>
<p class="note">Typical count: ${h(a.facts.typicalSource)}. Largest: ${h(a.facts.maxSource)}.</p>`;
  const table = rec.table.length ? aggregationTable(a, strategy) : '';
  const disagree =
    rec.disagreements.length === 0
      ? ''
      : `<${sub}>Where the aggregations disagree</${sub}>\n<ul>${rec.disagreements.map((d) => `<li>${h(d)}</li>`).join('')}</ul>`;
  const groups = rec.groups.length > 1 ? groupsTable(rec, strategy) : '';
  const given =
    rec.givenBack.length === 0
      ? ''
      : `<${sub}>Memory given back after the peak</${sub}>
<p class="note">Over the workloads that free tables: pages and metadata, summed.</p>
<div class="table-wrap"><table>
<thead><tr><th>Strategy</th><th>Workloads</th><th>Held at the peaks</th><th>Given back after them, at most</th><th>Held at the ends</th><th>When</th></tr></thead>
<tbody>
${rec.givenBack.map((g) => `<tr><th scope="row">${strategy(g.strategy)}</th><td class="num">${g.workloads}</td><td class="num">${h(formatBytes(g.at_peak))}</td><td class="num">${h(formatBytes(g.returned))}</td><td class="num">${h(formatBytes(g.at_end))}</td><td>${h(g.when)}</td></tr>`).join('\n')}
</tbody>
</table></div>`;
  const never =
    rec.unavailable.length === 0
      ? ''
      : `<${sub}>Never the answer here</${sub}>\n<ul>${unavailableGroups(rec.unavailable)
          .map(
            (u) =>
              `<li>${u.strategies.map(strategy).join(', ')}: <span class="badge bad">${h(u.kind)}</span> ${h(u.why)}.</li>`,
          )
          .join('')}</ul>`;
  const flips =
    rec.flips.length === 0
      ? ''
      : `<${sub}>What would change the answer</${sub}>\n<ul>${rec.flips.map((f) => `<li>${h(f)}</li>`).join('')}</ul>`;
  return [rule, lead, setting, basis, numbers, table, disagree, groups, given, never, flips]
    .filter((s) => s !== '')
    .join('\n');
}

/** The sum of bytes by kind of workload, the least of each kind marked. */
function groupsTable(r: KernelAnswer['recommendation'], strategy: StrategyHtml): string {
  const rows = r.table
    .map(
      (x) =>
        `<tr><th scope="row">${strategy(x.strategy)}</th>${r.groups
          .map((g) => {
            const v = g.sums[x.strategy];
            if (v === undefined) return '<td class="num">–</td>';
            const least = v === Math.min(...Object.values(g.sums));
            return `<td class="num${least ? ' best' : ''}">${h(formatBytes(v))}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('\n');
  return `<p>Summed by kind of workload (each workload once, the hold sweep as one), the least of each marked:</p>
<div class="table-wrap"><table>
<thead><tr><th>Strategy</th>${r.groups.map((g) => `<th>${h(`${g.label} (${plural(g.workloads, 'workload')})`)}</th>`).join('')}</tr></thead>
<tbody>
${rows}
</tbody>
</table></div>`;
}

/** Every strategy that may be the answer, under each aggregation; the best of each column marked. */
function aggregationTable(a: KernelAnswer, strategy: StrategyHtml): string {
  const r = a.recommendation;
  const cell = (text: string, best: boolean) => `<td class="num${best ? ' best' : ''}">${h(text)}</td>`;
  const least = (pick: (x: AggregateRow) => number | null, v: number | null) =>
    v !== null && v === Math.min(...r.table.map(pick).filter((x): x is number => x !== null));
  const rows = r.table
    .map(
      (x) =>
        `<tr><th scope="row">${strategy(x.strategy)}</th>${(['geomean', 'sum', 'worst', 'won'] as const)
          .map((n) =>
            cell(
              `${aggregateText(x, n, r.units)}${n === 'worst' ? ` (${x.worstWorkload})` : ''}`,
              r.winners[n].includes(x.strategy),
            ),
          )
          .join('')}${
          x.at_typical === null
            ? '<td class="num">–</td>'
            : cell(
                formatBytes(x.at_typical),
                least((y) => y.at_typical, x.at_typical),
              )
        }${
          x.at_max === null
            ? '<td class="num">–</td>'
            : cell(
                formatBytes(x.at_max),
                least((y) => y.at_max, x.at_max),
              )
        }<td class="num">${h(formatBytes(x.pages_sum))}</td></tr>`,
    )
    .join('\n');
  return `<p>Under each aggregation, over ${h(plural(r.units, 'workload'))} (the hold sweep counted once), among the strategies that may be the answer; the best of each column marked:</p>
<div class="table-wrap"><table>
<thead><tr><th>Strategy</th><th>Geometric mean of ratios</th><th>Sum of bytes</th><th>Worst case</th><th>Workloads won</th><th>At ${h(formatCount(r.counts.typical.measured ?? a.facts.typicalTables))} tables</th><th>At ${h(formatCount(r.counts.max.measured ?? a.facts.maxTables))} tables</th><th>Sum, pages alone</th></tr></thead>
<tbody>
${rows}
</tbody>
</table></div>`;
}

const pair = (x: [number, number] | null, f: (n: number) => string) =>
  x === null ? '–' : x[0] === x[1] ? `${f(x[0])} (same)` : `${f(x[0])} → ${f(x[1])}`;

function sinceSection(model: ReportModel, strategy: StrategyHtml): string {
  const s = model.since;
  if (s.base === null) return `<p>${h(s.note)}</p>`;
  const one = (k: SinceKernel) => {
    const rows = k.rows
      .map(
        (r) =>
          `<tr><th scope="row">${strategy(r.strategy)}</th><td class="num">${r.cells}</td><td class="num">${r.footprint_differs}</td><td class="num">${r.peak_ratio.toFixed(2)}×</td><td class="num">${h(pair(r.failures, formatCount))}</td><td class="num">${h(pair(r.density, (n) => n.toFixed(2)))}</td><td class="num">${h(pair(r.reuse, (n) => formatPercent(n)))}</td><td class="num">${h(pair(r.metadata, formatBytes))}</td><td class="num">${h(pair(r.cost, sig2))}</td></tr>`,
      )
      .join('\n');
    return `<p>Linux ${h(k.kernel)} against ${h(k.base)}, cell by cell: the same workload, platform, CPUs and seed under both kernels.</p>
<ul>${k.findings.map((f) => `<li>${h(f)}</li>`).join('')}</ul>
<div class="table-wrap"><table>
<thead><tr><th>Strategy</th><th>Cells</th><th>Pages differ in</th><th>Peak held, ${h(k.kernel)} ÷ ${h(k.base)}</th><th>Failed allocations</th><th>Tables per page (largest hold)</th><th>Mean reuse</th><th>Metadata (largest)</th><th>Kernel ns per event</th></tr></thead>
<tbody>
${rows}
</tbody>
</table></div>`;
  };
  const [only] = s.kernels;
  if (s.kernels.length === 1 && only) return one(only);
  return s.kernels.map((k) => `<h3 class="kernel">${h(k.title)}</h3>\n${one(k)}`).join('\n');
}

const PLACEMENT: Record<ConstraintRow['placement'], string> = {
  dma32: 'DMA32 (below 4 GiB)',
  any: 'anywhere',
  unknown: 'unknown',
};

function constraintsSection(rows: readonly ConstraintRow[], strategy: StrategyHtml): string {
  if (rows.length === 0) return '<p>No strategies in this run.</p>';
  const intro =
    "<p>A strategy may be the answer only if the platform can use it, every table lies below the platform's limit (4 GiB, where a v7s L1 entry can point; 2^35 under MediaTek's TTBR_EXT), and no allocation fails.</p>";
  const body = rows
    .map((r) => {
      const violations = r.placement_violations === 0 ? '0' : `<span class="bad">${r.placement_violations}</span>`;
      const failures = r.alloc_failures === 0 ? '0' : `<span class="bad">${r.alloc_failures}</span>`;
      // A strategy free to place tables anywhere that put some above 4 GiB shows the bug v5.1 fixed.
      const prePatch =
        r.placement === 'any' && r.placement_violations > 0 && r.limit === '4 GiB'
          ? '<div class="note">The pre-patch bug: tables taken from anywhere in RAM land above 4 GiB, where a v7s L1 entry cannot point (arm64 v4.15–v5.0, before SLAB_CACHE_DMA32).</div>'
          : '';
      const qualify = r.qualify.map((q) => `<div class="note">${h(q)}.</div>`).join('');
      const verdict = !r.applicable
        ? `<span class="badge bad">not applicable</span> ${h(r.not_applicable ?? '')}`
        : `<span class="badge ${r.qualifies ? 'ok' : 'bad'}">${h(r.verdict || (r.qualifies ? 'ok' : 'fails'))}</span>${prePatch}${qualify}`;
      return `<tr class="${r.qualifies && r.applicable ? '' : 'fails'}"><th scope="row">${strategy(r.strategy)}</th><td class="nowrap">${h(PLACEMENT[r.placement])}</td><td class="num">${violations}</td><td class="num">${failures}</td><td>${brokenIn(r.broken_in)}</td><td>${verdict}</td></tr>`;
    })
    .join('\n');
  return `${intro}
<div class="table-wrap"><table>
<thead><tr><th>Strategy</th><th>Tables placed</th><th>Tables above the limit (${h(rows[0]?.limit ?? '4 GiB')})</th><th>Allocation failures</th><th>Broken in</th><th>Verdict</th></tr></thead>
<tbody>
${body}
</tbody>
</table></div>`;
}

function brokenIn(workloads: readonly string[]): string {
  if (workloads.length === 0) return '–';
  const shown = workloads.length <= 4 ? workloads : workloads.slice(0, 3);
  const rest = workloads.length - shown.length;
  const list = shown.map((w) => `<code>${h(w)}</code>`).join(', ');
  return rest === 0 ? list : `${list} <span class="note" title="${h(workloads.join(', '))}">and ${rest} more</span>`;
}

function rankingsSection(rankings: readonly CellRanking[], strategy: StrategyHtml, kernels: boolean): string {
  if (rankings.length === 0) return '<p>Nothing to rank in this run.</p>';
  const cells = new Set(rankings.map((r) => `${r.cpus}/${r.seed}`));
  const intro =
    '<p class="legend-line">For each workload, every metric ranks the strategies that may be the answer: ' +
    '<span class="best-sample">best</span> is rank 1 (↓ lower is better, ↑ higher is better), #n the rank; ' +
    '<span class="mark">=</span> a tie with another strategy. A strategy that is not applicable on the platform, or that ' +
    "failed allocations or placed tables above 4 GiB anywhere in its platform's and kernel's records, is " +
    '<span class="excluded-sample">not ranked</span>: its figures are shown, never ranked or marked best. The simulator\'s ' +
    'throughput is not a kernel figure and is not ranked here (see Harness speed).</p>';
  const tables = rankings.map((cell) => {
    const head = cell.metrics
      .map((m) => `<th scope="col">${h(m.label)} <span class="dir">${m.better === 'lower' ? '↓' : '↑'}</span></th>`)
      .join('');
    const body = cell.strategies
      .map((s) => {
        const gate =
          s.excluded === null
            ? `<td class="num">${s.alloc_failures}</td>`
            : `<td class="excluded-cell"><span class="badge bad">not ranked</span> ${h(s.excluded)}</td>`;
        const tds = cell.metrics.map((m) => rankedCell(m.rows.find((v) => v.strategy === s.strategy))).join('');
        return `<tr class="${s.excluded === null ? '' : 'excluded'}"><th scope="row">${strategy(s.strategy)}</th>${gate}${tds}</tr>`;
      })
      .join('\n');
    const where =
      cells.size > 1 || kernels
        ? ` <span class="note">cpus=${cell.cpus}, ${kernels ? `kernel=${h(cell.kernel)}, ` : ''}seed=${cell.seed}</span>`
        : '';
    return `<h3><code>${h(cell.workload)}</code>${where}</h3>
<div class="table-wrap"><table class="ranking">
<thead><tr><th>Strategy</th><th>Failed allocations</th>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table></div>`;
  });
  return `${intro}\n${tables.join('\n')}`;
}

function rankedCell(v: RankedValue | undefined): string {
  if (v === undefined) return '<td class="num">–</td>';
  if (v.rank === null) return `<td class="num excluded-value">${h(v.text)}</td>`;
  const marks = [
    `<span class="rank">#${v.rank}</span>`,
    v.tie ? '<span class="mark" title="tie: equal to another strategy">=</span>' : '',
  ]
    .filter((m) => m !== '')
    .join(' ');
  return `<td class="num${v.rank === 1 && v.value !== null ? ' best' : ''}">${h(v.text)} ${marks}</td>`;
}

function crossoversSection(model: ReportModel): string {
  const basis = `<p>Between strategies that may be the answer, by ${h(model.objective.label)}.</p>`;
  return `${basis}\n${perKernel(model, crossoversBody)}`;
}

function crossoversBody(a: KernelAnswer): string {
  if (a.crossovers.length === 0) return '<p>No two of them change order along the hold sweep.</p>';
  const items = a.crossovers.map((c) => `<li>${h(c.sentence)}</li>`).join('\n');
  const rows = a.crossovers
    .map(
      (c) =>
        `<tr><td>${h(c.below)}</td><td>${h(c.above)}</td><td class="num">${c.from} → ${c.to}</td><td class="num">${c.changes === 1 ? '1' : `${c.changes} (alternates)`}</td><td class="num">${c.cpus}</td></tr>`,
    )
    .join('\n');
  return `<ul>
${items}
</ul>
<div class="table-wrap"><table>
<thead><tr><th>Better below</th><th>Better above</th><th>Between (live tables)</th><th>Changes</th><th>cpus</th></tr></thead>
<tbody>
${rows}
</tbody>
</table></div>`;
}

const VERDICT_CLASS: Record<Claim['verdict'], string> = {
  confirmed: 'ok',
  refuted: 'bad',
  partly: 'partly',
  'not tested': 'untested',
};

/** What the real IOMMU captures change in a scope's answer: the sentences, then the figures behind them. */
function capturesSection(a: KernelAnswer): string {
  if (!a.real) return `<p>${h(NO_CAPTURES)}</p>`;
  const t = realCapturesTable(a.real);
  const cell = (c: { text: string; pick: boolean }, i: number) =>
    i === 0
      ? `<th scope="row">${h(c.text)}</th>`
      : `<td class="num">${c.pick ? `<strong>${h(c.text)}</strong>` : h(c.text)}</td>`;
  return `<p>${h(a.real.sentences.join(' '))}</p>
<div class="table-wrap"><table>
<thead><tr>${t.head.map((x) => `<th>${h(x)}</th>`).join('')}</tr></thead>
<tbody>
${t.rows.map((row) => `<tr>${row.map(cell).join('')}</tr>`).join('\n')}
</tbody>
</table></div>`;
}

function claimsSection(claims: readonly Claim[]): string {
  if (claims.length === 0) return '<p>No claims were checked.</p>';
  const rows = claims
    .map(
      (c) =>
        `<tr><td>${h(c.claim)}</td><td class="source">${h(c.source)}</td><td>${h(c.evidence)}</td><td><span class="badge ${VERDICT_CLASS[c.verdict]}">${h(c.verdict)}</span></td></tr>`,
    )
    .join('\n');
  return `<div class="table-wrap"><table class="claims">
<thead><tr><th>Claim</th><th>Source</th><th>Evidence from this run</th><th>Verdict</th></tr></thead>
<tbody>
${rows}
</tbody>
</table></div>`;
}

function costSection(a: KernelAnswer, strategy: StrategyHtml): string {
  const c = a.cost;
  const intro =
    '<p>Modelled, not measured: the exact operation counts of each cell (allocations, frees, slow paths, page-allocator calls by order, bitmap words, list nodes) times a per-unit cost, per event; per workload (the hold sweep counted once), then the geometric mean over the workloads. Two significant digits: the units carry ranges of 3 to 10 times, given in brackets (every unit at its low end, at its high end). The units come from x86 cores, hot and uncontended, or are estimates; none was measured on the Cortex-A53, A72, A55 or A76 of these boards (the table of units says on what each was).</p>';
  const cheapest = c.strategies[0]?.ns_per_op ?? 1;
  const walker = new Map(c.walker?.with_walker.map((w) => [w.strategy, w.ns_per_op]) ?? []);
  const table = c.strategies.length
    ? `<div class="table-wrap"><table>
<thead><tr><th>Strategy</th><th>Kernel ns per event (range)</th><th>Relative</th>${walker.size ? "<th>With the walker's cache maintenance</th>" : ''}</tr></thead>
<tbody>
${c.strategies.map((s) => `<tr><th scope="row">${strategy(s.strategy)}</th><td class="num">${h(formatNs(s))}</td><td class="num">${h(sig2(s.ns_per_op / cheapest))}×</td>${walker.size ? `<td class="num">${h(sig2(walker.get(s.strategy) as number))} ns</td>` : ''}</tr>`).join('\n')}
</tbody>
</table></div>
<p class="basis"><strong>Sensitivity:</strong> ${h(c.sensitivity)}</p>
<p class="basis"><strong>Contention:</strong> ${h(c.contention)}</p>`
    : '<p>No strategy that may be the answer could be costed.</p>';
  const uncosted = c.uncosted.length
    ? `<p class="note">No entry in the cost table for ${h(c.uncosted.join(', '))}: ${c.uncosted.length === 1 ? 'its' : 'their'} modelled kernel cost is empty (–). Add one to <code>results/costs/default.yaml</code>, or pass <code>--costs FILE</code>.</p>`
    : '';
  const maintenance = c.walker
    ? `<p class="basis"><strong>Cache maintenance:</strong> ${
        c.walker.coherent
          ? `none: this platform's IOMMU walks its tables coherently (${h(c.walker.source)}).`
          : `this platform's IOMMU does not walk its tables coherently (${h(c.walker.source)}), so io-pgtable-arm-v7s cleans each table write to memory, the same for every strategy: an estimate (no published timing of DC CVAC or DSB SY on these cores), counts from the kernel source.`
      }</p>
<div class="table-wrap"><table>
<thead><tr><th>Operation</th><th>Units</th><th>ns (range)</th></tr></thead>
<tbody>
${c.walker.ops.map((o) => `<tr><td>${h(o.op)}</td><td><code>${h(o.counts)}</code></td><td class="num">${h(formatNs({ ns_per_op: o.ns, low: o.low, high: o.high }))}</td></tr>`).join('\n')}
</tbody>
</table></div>`
    : '';
  const units = `<details><summary>The cost table: ${c.units.length} units, each with the CPU it was measured on and its source</summary>
<div class="table-wrap"><table>
<thead><tr><th>Unit</th><th>ns</th><th>Range</th><th>Measured on</th><th>Contended</th><th>Source</th></tr></thead>
<tbody>
${c.units.map((u) => `<tr><td><code>${h(u.unit)}</code></td><td class="num">${u.ns}</td><td class="num">${u.low}–${u.high}</td><td class="source">${h(u.measured_on ?? 'not stated')}</td><td class="source">${u.contended ? h(`${u.contended.ns} ns with ${u.contended.cpus} CPUs (${u.contended.source})`) : '–'}</td><td class="source">${h(u.source)}</td></tr>`).join('\n')}
</tbody>
</table></div>
</details>`;
  return [intro, table, uncosted, maintenance, units].filter((x) => x !== '').join('\n');
}

function speedSection(model: ReportModel, strategy: StrategyHtml): string {
  const intro =
    '<p>Events per second of this JavaScript simulator (replays timed in rounds, each in a fresh isolate): the speed of the model, not of the kernel, and not used for the answer.</p>';
  if (model.speed.rows.length === 0) return `${intro}\n<p>Throughput was not measured in this run.</p>`;
  return `${intro}
<div class="table-wrap"><table>
<thead><tr><th>Strategy</th><th>Simulator throughput</th></tr></thead>
<tbody>
${model.speed.rows.map((r) => `<tr><th scope="row">${strategy(r.strategy)}</th><td class="num">${h(r.text)}</td></tr>`).join('\n')}
</tbody>
</table></div>`;
}

function chartsSection(charts: readonly ReportChart[]): string {
  const shown = charts.filter((c) => c.svg !== '');
  if (shown.length === 0) return '<p>No charts: the run has no data for them.</p>';
  return shown
    .map(
      (c) => `<figure>
<div class="chart">${c.svg}</div>
<figcaption><strong>${h(c.title)}.</strong>${c.caption ? ` ${h(c.caption)}` : ''}</figcaption>
</figure>`,
    )
    .join('\n');
}

function platformsSection(model: ReportModel): string {
  if (model.platforms.length === 0) return '<p>This run has no platform axis: its records name no platform.</p>';
  return model.platforms
    .map((p) => {
      const rows = p.rows
        .map(
          (r) =>
            `<tr><td>${h(r.fact)}</td><td>${h(r.kernel ?? 'any')}</td><td>${h(r.value)}</td><td>${h(r.source)}</td></tr>`,
        )
        .join('\n');
      return `<h3>${h(p.name)}</h3>
<p>${h(p.description)}. Driver: ${h(p.driver)}; board: ${h(p.board)}.</p>
<div class="table-wrap"><table>
<thead><tr><th>Fact</th><th>Kernel</th><th>Value</th><th>Source</th></tr></thead>
<tbody>
${rows}
</tbody>
</table></div>`;
    })
    .join('\n');
}

function workloadsSection(model: ReportModel): string {
  if (model.workloads.length === 0) return '<p>No workloads.</p>';
  const rows = model.workloads
    .map((w) => `<tr><td><code>${h(w.workload)}</code></td><td>${h(w.kind)}</td><td>${h(w.provenance)}</td></tr>`)
    .join('\n');
  return `<div class="table-wrap"><table>
<thead><tr><th>Workload</th><th>Kind</th><th>Provenance</th></tr></thead>
<tbody>
${rows}
</tbody>
</table></div>`;
}

function threatsSection(threats: readonly string[]): string {
  if (threats.length === 0) return '<p>None recorded.</p>';
  return `<ul>\n${threats.map((t) => `<li>${h(t)}</li>`).join('\n')}\n</ul>`;
}

const STYLE = `:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg-alt: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0 auto; padding: 1.5rem 1.25rem 3rem; max-width: 76rem; color: var(--fg); background: #fff;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif; }
h1 { font-size: 1.8rem; line-height: 1.25; margin: 0 0 .4rem; }
h2 { font-size: 1.35rem; margin: 2.2rem 0 .7rem; padding-bottom: .25rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .5rem; }
h3.kernel { font-size: 1.15rem; border-left: 4px solid #8250df; padding-left: .5rem; }
h4 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
p, ul, dl { max-width: 46rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; font-size: .88em; }
pre { background: var(--bg-alt); border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.provenance { color: var(--muted); font-size: .85rem; margin: 0 0 1rem; }
.question { font-size: 1.05rem; }
nav { font-size: .9rem; padding: .5rem 0; border-top: 1px solid var(--line); border-bottom: 1px solid var(--line); }
a { color: #0969da; }
.callout { border-left: 4px solid; padding: .5rem .9rem; border-radius: 4px; }
.callout.warn { border-color: #bf8700; background: #fff8c5; }
.verdict-line { font-size: 1.25rem; font-weight: 600; margin: .3rem 0; }
.numbers { display: flex; flex-wrap: wrap; gap: .6rem; margin: 1rem 0; }
.numbers div { border: 1px solid var(--line); border-radius: 6px; padding: .4rem .8rem; background: var(--bg-alt); }
.numbers dt { font-size: .8rem; color: var(--muted); }
.numbers dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
.table-wrap { overflow-x: auto; margin: .5rem 0 1rem; }
table { border-collapse: collapse; font-size: .85rem; }
table.ranking { font-size: .8rem; }
table.ranking th, table.ranking td { padding: .25rem .4rem; }
th, td { border: 1px solid var(--line); padding: .3rem .55rem; text-align: left; vertical-align: top; }
thead th { background: var(--bg-alt); font-weight: 600; }
tbody th { font-weight: normal; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.best { font-weight: 700; background: #dafbe1; }
.best-sample { font-weight: 700; background: #dafbe1; padding: 0 .25rem; }
tr.fails th, tr.fails td { background: #fff5f5; }
tr.excluded th, tr.excluded td { color: var(--muted); background: #fafafa; }
.excluded-sample { color: var(--muted); background: #fafafa; padding: 0 .25rem; border: 1px solid var(--line); }
.excluded-cell { font-size: .75rem; min-width: 10rem; }
.basis { background: var(--bg-alt); border-left: 4px solid #0969da; padding: .4rem .8rem; }
.rank { color: var(--muted); font-size: .75rem; font-weight: normal; }
.mark { display: inline-block; min-width: 1.1em; text-align: center; font-size: .75rem; font-weight: 600; border: 1px solid var(--line); border-radius: 3px; padding: 0 .15rem; line-height: 1.3; color: #0550ae; background: #fff; }
.dir { color: var(--muted); }
.note { color: var(--muted); font-size: .8rem; }
.bad { color: #cf222e; font-weight: 600; }
.strategy, .nowrap { white-space: nowrap; }
.swatch { display: inline-block; width: .7em; height: .7em; border-radius: 2px; margin-right: .35em; vertical-align: baseline; }
.badge { display: inline-block; border-radius: .7em; padding: .05rem .6rem; font-size: .8rem; font-weight: 600; border: 1px solid; }
#claims .badge { white-space: nowrap; }
.badge.ok { color: #116329; background: #dafbe1; border-color: #4ac26b; }
.badge.bad { color: #a40e26; background: #ffebe9; border-color: #ff8182; }
.badge.partly { color: #7d4e00; background: #fff8c5; border-color: #d4a72c; }
.badge.untested { color: #59636e; background: #f6f8fa; border-color: #d1d9e0; }
.claims td:first-child { min-width: 14rem; }
.source { font-size: .8rem; color: var(--muted); }
figure { margin: 1.5rem 0; }
.chart svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: .88rem; color: var(--muted); max-width: 47.5rem; margin-top: .3rem; }
figcaption strong { color: var(--fg); }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  nav { display: none; }
  a { color: inherit; text-decoration: none; }
  h2, h3 { break-after: avoid; }
  figure, tr, .numbers div { break-inside: avoid; }
  .table-wrap { overflow: visible; }
  .badge, .swatch, td.best, tr.fails td, tr.fails th, thead th { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}`;

/**
 * The report's charts: one set per platform and kernel when the run has several (a scope's records
 * are never mixed with another's). The chart libraries (@observablehq/plot, linkedom: about 0.2 s to
 * load) are imported here, when a report is rendered, so that no other use of l2bench pays for them.
 */
async function chartsOf(records: readonly FullRecord[]): Promise<ReportChart[]> {
  const { reportCharts } = await import('./charts/index.ts');
  const scopes = scopesOf(records);
  if (scopes.length <= 1) return reportCharts(records);
  return scopes.flatMap((scope) =>
    reportCharts(records.filter((r) => scopeKeyOf(r) === scope.key)).map((c) => ({
      ...c,
      title: `${c.title} (${scope.title})`,
    })),
  );
}

/** report.html: the design-decision report with its charts, one self-contained file. */
export const htmlExporter: Exporter = {
  format: 'html',
  file: FORMAT_FILES.html,
  render: async (run, options) => renderHtml(analyse(run, options), await chartsOf(costedRecords(run, options))),
};
