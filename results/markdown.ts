import { formatBytes, formatCount, formatPercent, plural } from './number-text.ts';
import { FORMAT_FILES } from './output-formats.ts';
import { type AggregationName, aggregateText } from './report/aggregations.ts';
import { analyse } from './report/analyse.ts';
import { unavailableGroups } from './report/answer-table.ts';
import { formatNs, sig2 } from './report/cost.ts';
import {
  type AggregateRow,
  type CellRanking,
  type KernelAnswer,
  type ReportModel,
  SECTIONS,
  type SectionId,
  type SinceKernel,
} from './report/model.ts';
import { NO_CAPTURES, realCapturesTable } from './report/real-captures.ts';
import type { GroupSums } from './report/workload-groups.ts';
import type { Exporter } from './run-schema.ts';

/** A Markdown table; pipes in cells are escaped. */
function mdTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  align?: readonly ('l' | 'r')[],
): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rule = head.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  return [head, rule, ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n');
}

const VERDICT_MARK: Record<string, string> = {
  confirmed: '✅ confirmed',
  refuted: '❌ refuted',
  partly: '◐ partly',
  'not tested': '– not tested',
};

/** Rankings of one cell as one table: strategies down, the constraints then the metrics across. */
function rankingTable(cell: CellRanking): string {
  const head = [
    'strategy',
    'failed allocations',
    ...cell.metrics.map((g) => `${g.label} (${g.better === 'lower' ? '↓' : '↑'})`),
  ];
  const rows = cell.strategies.map((s) => [
    s.strategy,
    s.excluded === null ? String(s.alloc_failures) : `not ranked: ${s.excluded}`,
    ...cell.metrics.map((g) => {
      const v = g.rows.find((r) => r.strategy === s.strategy);
      if (!v) return '–';
      if (v.rank === null) return v.text;
      const mark = v.rank === 1 ? '**' : '';
      const notes = v.tie ? ' =' : '';
      return `${mark}${v.text}${mark} (${v.rank})${notes}`;
    }),
  ]);
  return mdTable(head, rows, ['l', 'l', ...cell.metrics.map(() => 'r' as const)]);
}

/** report.md: the design-decision report, readable on a code-review site, in the sections' one order. */
export function renderMarkdown(m: ReportModel, charts: readonly { title: string; file: string }[] = []): string {
  const p = m.provenance;
  const head = [
    `# ${m.title}`,
    '',
    `l2bench ${p.l2bench_version}${p.git_commit ? ` (${p.git_commit.slice(0, 12)})` : ''}, Node ${p.node_version}, ${p.cpu_model}, ${p.started_at}.`,
    '',
  ];
  if (m.incomplete) head.push(`> **${m.incomplete}**`, '');
  else if (m.interrupted)
    head.push('> **This run was interrupted**: the report covers only the cells that finished.', '');
  head.push(m.question, '');
  const body: Record<SectionId, string[]> = {
    answer: answerSection(m),
    captures: perKernel(m, capturesSection),
    platforms: platformsSection(m),
    since: since(m),
    constraints: perKernel(m, constraints),
    claims: perKernel(m, (a) => [
      mdTable(
        ['claim', 'source', 'evidence from this run', 'verdict'],
        a.claims.map((c) => [c.claim, c.source, c.evidence, VERDICT_MARK[c.verdict] ?? c.verdict]),
      ),
    ]),
    crossovers: [
      `Between strategies that may be the answer, by ${m.objective.label}.`,
      '',
      ...perKernel(m, (a) =>
        a.crossovers.length === 0
          ? ['No two of them change order along the hold sweep of this run (or the run has no hold sweep).']
          : a.crossovers.map((c) => `- ${c.sentence}`),
      ),
    ],
    cost: perKernel(m, costSection),
    speed: [
      'Events per second of this JavaScript simulator (replays timed in rounds, each in a fresh isolate): the speed of the model, not of the kernel, and not used for the answer.',
      '',
      ...(m.speed.rows.length
        ? [
            mdTable(
              ['strategy', 'simulator throughput'],
              m.speed.rows.map((r) => [r.strategy, r.text]),
              ['l', 'r'],
            ),
          ]
        : ['Throughput was not measured in this run.']),
    ],
    charts: charts.length
      ? charts.map((c) => `![${c.title}](${c.file})`)
      : ['The charts are in report.html (`l2bench report results.json --format html`).'],
    rankings: rankings(m),
    workloads: [
      mdTable(
        ['workload', 'kind', 'provenance'],
        m.workloads.map((w) => [w.workload, w.kind, w.provenance]),
      ),
    ],
    threats: m.threats.map((t) => `- ${t}`),
    reproduce: ['```sh', m.reproduce, '```'],
  };
  const sections = SECTIONS.flatMap(([id, heading]) => [`## ${heading}`, '', ...body[id], '']);
  return [...head, ...sections].join('\n');
}

/** The sum of bytes by kind of workload, the least of each kind in bold. */
function groupsTable(r: KernelAnswer['recommendation']): string[] {
  const least = (g: GroupSums, s: string) => g.sums[s] === Math.min(...Object.values(g.sums));
  return [
    'Summed by kind of workload (each workload once, the hold sweep as one), the least of each in bold:',
    '',
    mdTable(
      ['strategy', ...r.groups.map((g) => `${g.label} (${plural(g.workloads, 'workload')})`)],
      r.table.map((x) => [
        x.strategy,
        ...r.groups.map((g) => {
          const v = g.sums[x.strategy];
          return v === undefined ? '–' : bold(formatBytes(v), least(g, x.strategy));
        }),
      ]),
      ['l', ...r.groups.map(() => 'r' as const)],
    ),
  ];
}

/** What the real IOMMU captures change in a scope's answer: the sentences, then the figures behind them. */
function capturesSection(a: KernelAnswer): string[] {
  if (!a.real) return [NO_CAPTURES];
  const t = realCapturesTable(a.real);
  return [
    a.real.sentences.join(' '),
    '',
    mdTable(
      t.head,
      t.rows.map((row) => row.map((c) => (c.pick ? `**${c.text}**` : c.text))),
      t.head.map((_, i) => (i === 0 ? 'l' : 'r')),
    ),
  ];
}

/** Each platform's facts with their sources; a run without the platform axis says so. */
function platformsSection(m: ReportModel): string[] {
  if (m.platforms.length === 0) return ['This run has no platform axis: its records name no platform.'];
  return m.platforms.flatMap((p) => [
    `### ${p.name}`,
    '',
    `${p.description}. Driver: ${p.driver}; board: ${p.board}.`,
    '',
    mdTable(
      ['fact', 'kernel', 'value', 'source'],
      p.rows.map((r) => [r.fact, r.kernel ?? 'any', r.value, r.source]),
    ),
    '',
  ]);
}

/**
 * A section computed per kernel: as it is for a run of one kernel; once, said to hold for every
 * kernel, when all kernels give the same; else one subsection per kernel.
 */
function perKernel(m: ReportModel, body: (a: KernelAnswer, m: ReportModel) => string[]): string[] {
  const [first] = m.answers;
  if (m.answers.length === 1 && first) return body(first, m);
  const bodies = m.answers.map((a) => body(a, m));
  const same = bodies.every((b) => b.join('\n') === bodies[0]?.join('\n'));
  if (same) return [`The same for every platform and kernel of this run (${kernelList(m)}).`, '', ...(bodies[0] ?? [])];
  return m.answers.flatMap((a, i) => [`### ${a.title}`, '', ...(bodies[i] ?? []), '']);
}

const kernelList = (m: ReportModel) => m.answers.map((a) => a.title).join('; ');

/** The answer: per platform and kernel when the run has several, after one line with each one's. */
function answerSection(m: ReportModel): string[] {
  const [first] = m.answers;
  if (m.answers.length === 1 && first) return answer(first, m);
  return [
    `This run has ${plural(m.answers.length, 'platform and kernel', 'platforms and kernels')}; each is answered from its own records: ${m.answers
      .map(
        (a) =>
          `${a.title}: ${a.recommendation.strategy ? `\`${a.recommendation.strategy}\`${a.recommendation.agreed ? '' : ' (by the decision rule; the aggregations disagree)'}` : 'none'}`,
      )
      .join('; ')}.`,
    '',
    ...m.answers.flatMap((a) => [`### ${a.title}`, '', ...answer(a, m), '']),
  ];
}

/** A value in bold when it is the best of its column. */
const bold = (text: string, best: boolean) => (best ? `**${text}**` : text);

/** The answer's strategies under each aggregation, the best of each column in bold. */
function aggregationTable(a: KernelAnswer): string[] {
  const r = a.recommendation;
  const best = (name: AggregationName, s: string) => r.winners[name].includes(s);
  const least = (pick: (x: AggregateRow) => number | null, v: number | null) =>
    v !== null && v === Math.min(...r.table.map(pick).filter((x): x is number => x !== null));
  return [
    `Under each aggregation, over ${plural(r.units, 'workload')} (the hold sweep counted once), among the strategies that may be the answer; the best of each column in bold:`,
    '',
    mdTable(
      [
        'strategy',
        'geometric mean of ratios',
        'sum of bytes',
        'worst case',
        'workloads won',
        `at ${formatCount(r.counts.typical.measured ?? a.facts.typicalTables)} tables`,
        `at ${formatCount(r.counts.max.measured ?? a.facts.maxTables)} tables`,
        'sum, pages alone',
      ],
      r.table.map((x) => [
        x.strategy,
        bold(aggregateText(x, 'geomean', r.units), best('geomean', x.strategy)),
        bold(aggregateText(x, 'sum', r.units), best('sum', x.strategy)),
        bold(`${aggregateText(x, 'worst', r.units)} (${x.worstWorkload})`, best('worst', x.strategy)),
        bold(aggregateText(x, 'won', r.units), best('won', x.strategy)),
        x.at_typical === null
          ? '–'
          : bold(
              formatBytes(x.at_typical),
              least((y) => y.at_typical, x.at_typical),
            ),
        x.at_max === null
          ? '–'
          : bold(
              formatBytes(x.at_max),
              least((y) => y.at_max, x.at_max),
            ),
        formatBytes(x.pages_sum),
      ]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
  ];
}

/** Memory given back after the peak, per strategy, as a table. */
function givenBackTable(r: KernelAnswer['recommendation']): string[] {
  return [
    'Memory given back after the peak, over the workloads that free tables (pages and metadata, summed):',
    '',
    mdTable(
      ['strategy', 'workloads', 'held at the peaks', 'given back after them, at most', 'held at the ends', 'when'],
      r.givenBack.map((g) => [
        g.strategy,
        String(g.workloads),
        formatBytes(g.at_peak),
        formatBytes(g.returned),
        formatBytes(g.at_end),
        g.when,
      ]),
      ['l', 'r', 'r', 'r', 'r', 'l'],
    ),
    '',
  ];
}

function answer(a: KernelAnswer, m: ReportModel): string[] {
  const r = a.recommendation;
  const out = [`**Decision rule.** ${r.rule}`, ''];
  if (r.strategy === null) out.push(`**No answer.** ${r.headline}`, '');
  else {
    out.push(`**${r.agreed ? 'Winner' : 'By the decision rule'}: \`${r.strategy}\`.** ${r.headline}`, '');
    if (r.setting) out.push(`Its setting: ${r.setting}.`, '');
    if (a.facts.upstream)
      out.push(
        `Upstream allocates these tables as \`${a.facts.upstream}\` models here: ${a.facts.upstreamSource}.`,
        '',
      );
  }
  out.push(`**Basis:** ${m.objective.label}, ${m.objective.why}; the pages alone beside it.`, '');
  if (r.numbers.length) {
    out.push(
      mdTable(
        ['where an engineer decides', 'value'],
        r.numbers.map((n) => [n.label, n.value]),
        ['l', 'r'],
      ),
      '',
      `Typical count: ${a.facts.typicalSource}. Largest: ${a.facts.maxSource}.`,
      '',
    );
  }
  if (r.table.length) out.push(...aggregationTable(a));
  if (r.disagreements.length)
    out.push('Where the aggregations disagree:', '', ...r.disagreements.map((d) => `- ${d}`), '');
  if (r.groups.length > 1) out.push(...groupsTable(r), '');
  if (r.givenBack.length) out.push(...givenBackTable(r));
  if (r.unavailable.length)
    out.push(
      'Never the answer here:',
      '',
      ...unavailableGroups(r.unavailable).map((u) => `- ${u.strategies.join(', ')}: ${u.kind}: ${u.why}.`),
      '',
    );
  if (r.flips.length) out.push('When the answer changes:', '', ...r.flips.map((f) => `- ${f}`));
  return out;
}

const pair = (x: [number, number] | null, f: (n: number) => string) =>
  x === null ? '–' : x[0] === x[1] ? `${f(x[0])} (same)` : `${f(x[0])} → ${f(x[1])}`;

/** Since v5.1: per newer kernel, the findings in words, then each strategy's figures under both. */
function since(m: ReportModel): string[] {
  const s = m.since;
  if (s.base === null) return [s.note];
  const one = (k: SinceKernel) => [
    `Linux ${k.kernel} against ${k.base}, cell by cell: the same workload, platform, CPUs and seed under both kernels.`,
    '',
    ...k.findings.map((f) => `- ${f}`),
    '',
    mdTable(
      [
        'strategy',
        'cells',
        'pages differ in',
        `peak held, ${k.kernel} ÷ ${k.base}`,
        'failed allocations',
        'tables per page (largest hold)',
        'mean reuse',
        'metadata (largest)',
        'kernel ns per event',
      ],
      k.rows.map((r) => [
        r.strategy,
        String(r.cells),
        String(r.footprint_differs),
        `${r.peak_ratio.toFixed(2)}×`,
        pair(r.failures, formatCount),
        pair(r.density, (n) => n.toFixed(2)),
        pair(r.reuse, (n) => formatPercent(n)),
        pair(r.metadata, formatBytes),
        pair(r.cost, sig2),
      ]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  ];
  const [only] = s.kernels;
  if (s.kernels.length === 1 && only) return one(only);
  return s.kernels.flatMap((k) => [`### ${k.title}`, '', ...one(k), '']);
}

function costSection(a: KernelAnswer): string[] {
  const c = a.cost;
  const out = [
    `Modelled, not measured: the exact operation counts of each cell (allocations, frees, slow paths, page-allocator calls by order, bitmap words, list nodes) times a per-unit cost, per event; per workload (the hold sweep counted once), then the geometric mean over the workloads. Two significant digits: the units carry ranges of 3 to 10 times, given in brackets (every unit at its low end, at its high end). The units come from x86 cores, hot and uncontended, or are estimates; none was measured on the Cortex-A53, A72, A55 or A76 of these boards (the "measured on" column).`,
    '',
  ];
  if (c.strategies.length) {
    const cheapest = (c.strategies[0] as { ns_per_op: number }).ns_per_op;
    const walker = new Map(c.walker?.with_walker.map((w) => [w.strategy, w.ns_per_op]) ?? []);
    const head = ['strategy', 'kernel ns per event (range)', 'relative'];
    if (walker.size) head.push("with the walker's cache maintenance");
    out.push(
      mdTable(
        head,
        c.strategies.map((s) => [
          s.strategy,
          formatNs(s),
          `${sig2(s.ns_per_op / cheapest)}×`,
          ...(walker.size ? [`${sig2(walker.get(s.strategy) as number)} ns`] : []),
        ]),
        head.map((_, i) => (i === 0 ? 'l' : 'r')),
      ),
      '',
      `**Sensitivity:** ${c.sensitivity}`,
      '',
      `**Contention:** ${c.contention}`,
      '',
    );
  }
  if (c.uncosted.length) {
    out.push(
      `No entry in the cost table for ${c.uncosted.join(', ')}: ${c.uncosted.length === 1 ? 'its' : 'their'} modelled kernel cost is empty (–). Add one to results/costs/default.yaml, or pass --costs FILE.`,
      '',
    );
  }
  if (c.walker) out.push(...walkerLines(c.walker), '');
  out.push(
    mdTable(
      ['unit', 'ns', 'range', 'measured on', 'contended', 'source'],
      c.units.map((u) => [
        u.unit,
        String(u.ns),
        `${u.low}–${u.high}`,
        u.measured_on ?? 'not stated',
        u.contended ? `${u.contended.ns} ns with ${u.contended.cpus} CPUs (${u.contended.source})` : '–',
        u.source,
      ]),
      ['l', 'r', 'r', 'l', 'l', 'l'],
    ),
  );
  return out;
}

/** The walker's cache maintenance: whether the platform pays it, and what each operation costs. */
function walkerLines(w: NonNullable<KernelAnswer['cost']['walker']>): string[] {
  return [
    w.coherent
      ? `**Cache maintenance:** none: this platform's IOMMU walks its tables coherently (${w.source}).`
      : `**Cache maintenance:** this platform's IOMMU does not walk its tables coherently (${w.source}), so io-pgtable-arm-v7s cleans each table write to memory, the same for every strategy: an estimate (no published timing of DC CVAC or DSB SY on these cores), counts from the kernel source.`,
    '',
    mdTable(
      ['operation', 'units', 'ns (range)'],
      w.ops.map((o) => [o.op, o.counts, formatNs({ ns_per_op: o.ns, low: o.low, high: o.high })]),
      ['l', 'l', 'r'],
    ),
  ];
}

function constraints(a: KernelAnswer): string[] {
  return [
    'A strategy the platform can use, every table where its walker can reach it, and every allocation served. A strategy that is not applicable, or breaks either in any cell, is never the answer and never ranked.',
    '',
    mdTable(
      ['strategy', 'promises', `tables ≥ ${a.constraints[0]?.limit ?? '4 GiB'}`, 'failed allocations', 'verdict'],
      a.constraints.map((c) => [
        c.strategy,
        c.placement === 'dma32' ? 'DMA32' : c.placement,
        String(c.placement_violations),
        String(c.alloc_failures),
        verdictText(c),
      ]),
      ['l', 'l', 'r', 'r', 'l'],
    ),
  ];
}

/** A constraint row's verdict, plain: the excluded are named so, never set in bold. */
function verdictText(c: KernelAnswer['constraints'][number]): string {
  if (!c.applicable) return `not applicable: ${c.not_applicable}`;
  if (c.qualifies) return 'ok';
  return `excluded: ${c.verdict}${c.qualify.length ? `. ${c.qualify.join('; ')}.` : ''}`;
}

function rankings(m: ReportModel): string[] {
  const out = [
    "Rank in parentheses (1 = best) among the strategies that may be the answer; `=` a tie. A strategy that is not applicable on the platform, or that failed allocations or placed tables above 4 GiB anywhere in its platform's and kernel's records, is **not ranked**: its figures are shown, never ranked or marked best. The simulator's throughput is not a kernel figure and is not ranked here (see Harness speed).",
    '',
  ];
  const kernels = m.answers.length > 1;
  for (const cell of m.rankings) {
    const where = `cpus=${cell.cpus}, ${kernels ? `kernel=${cell.kernel}, ` : ''}seed=${cell.seed}`;
    out.push(`### ${cell.workload} (${where})`, '', rankingTable(cell), '');
  }
  return out;
}

export const markdownExporter: Exporter = {
  format: 'md',
  file: FORMAT_FILES.md,
  render: (run, options) => renderMarkdown(analyse(run, options)),
};
