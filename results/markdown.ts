import { formatBytes, formatPercent, plural } from './number-text.ts';
import { analyse } from './report/analyse.ts';
import {
  type CellRanking,
  type KernelAnswer,
  type ReportModel,
  SECTIONS,
  type SectionId,
  type SinceKernel,
} from './report/model.ts';
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
    s.excluded === null ? String(s.alloc_failures) : `**excluded**: ${s.excluded}`,
    ...cell.metrics.map((g) => {
      const v = g.rows.find((r) => r.strategy === s.strategy);
      if (!v) return '–';
      if (v.rank === null) return v.text;
      const mark = v.rank === 1 ? '**' : '';
      const notes = `${v.tie ? ' =' : ''}${v.within_noise ? ' ~' : ''}`;
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
    since: since(m),
    constraints: perKernel(m, constraints),
    claims: perKernel(m, (a) => [
      mdTable(
        ['claim', 'source', 'evidence from this run', 'verdict'],
        a.claims.map((c) => [c.claim, c.source, c.evidence, VERDICT_MARK[c.verdict] ?? c.verdict]),
      ),
    ]),
    crossovers: [
      `Between strategies that met the hard constraints, by ${m.objective.label}.`,
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

/**
 * A section computed per kernel: as it is for a run of one kernel; once, said to hold for every
 * kernel, when all kernels give the same; else one subsection per kernel.
 */
function perKernel(m: ReportModel, body: (a: KernelAnswer, m: ReportModel) => string[]): string[] {
  const [first] = m.answers;
  if (m.answers.length === 1 && first) return body(first, m);
  const bodies = m.answers.map((a) => body(a, m));
  const same = bodies.every((b) => b.join('\n') === bodies[0]?.join('\n'));
  if (same) return [`The same under every kernel of this run (Linux ${kernelList(m)}).`, '', ...(bodies[0] ?? [])];
  return m.answers.flatMap((a, i) => [`### Linux ${a.kernel}`, '', ...(bodies[i] ?? []), '']);
}

const kernelList = (m: ReportModel) => m.answers.map((a) => a.kernel).join(', ');

/** The answer: per kernel when the run has several, after one line with each kernel's. */
function answerSection(m: ReportModel): string[] {
  const [first] = m.answers;
  if (m.answers.length === 1 && first) return answer(first, m);
  return [
    `This run models ${plural(m.answers.length, 'kernel')}; each is answered from its own records: ${m.answers
      .map((a) => `Linux ${a.kernel}: ${a.recommendation.strategy ? `\`${a.recommendation.strategy}\`` : 'none'}`)
      .join('; ')}.`,
    '',
    ...m.answers.flatMap((a) => [`### Linux ${a.kernel}`, '', ...answer(a, m), '']),
  ];
}

function answer(a: KernelAnswer, m: ReportModel): string[] {
  const r = a.recommendation;
  const out = [
    r.strategy ? `**Recommended: \`${r.strategy}\`.** ${r.summary}` : `**No recommendation.** ${r.summary}`,
    '',
    `**Basis:** ranked by ${m.objective.label}, ${m.objective.why}.`,
    '',
  ];
  if (r.numbers.length) {
    out.push(
      mdTable(
        ['figure', 'value'],
        r.numbers.map((n) => [n.label, n.value]),
        ['l', 'r'],
      ),
      '',
    );
  }
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
    `Linux ${k.kernel} against ${s.base}, cell by cell: the same workload, CPUs and seed under both kernels.`,
    '',
    ...k.findings.map((f) => `- ${f}`),
    '',
    mdTable(
      [
        'strategy',
        'cells',
        'footprint differs in',
        `peak footprint, ${k.kernel} ÷ ${s.base}`,
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
        `${r.peak_ratio.toFixed(3)}×`,
        pair(r.failures, (n) => n.toLocaleString('en-US')),
        pair(r.density, (n) => n.toFixed(2)),
        pair(r.reuse, (n) => formatPercent(n)),
        pair(r.metadata, formatBytes),
        pair(r.cost, (n) => n.toFixed(1)),
      ]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  ];
  const [only] = s.kernels;
  if (s.kernels.length === 1 && only) return one(only);
  return s.kernels.flatMap((k) => [`### Linux ${k.kernel}`, '', ...one(k), '']);
}

function costSection(a: KernelAnswer): string[] {
  const c = a.cost;
  const out = [
    'Modelled, not measured: the exact operation counts of each cell (allocations, frees, slow paths, page-allocator calls by order, bitmap words, list nodes) times a per-unit cost, per event; the geometric mean over the workloads.',
    '',
  ];
  if (c.strategies.length) {
    const cheapest = (c.strategies[0] as { ns_per_op: number }).ns_per_op;
    out.push(
      mdTable(
        ['strategy', 'kernel ns per event', 'relative'],
        c.strategies.map((s) => [s.strategy, s.ns_per_op.toFixed(1), `${(s.ns_per_op / cheapest).toFixed(2)}×`]),
        ['l', 'r', 'r'],
      ),
      '',
      `**Sensitivity:** ${c.sensitivity}`,
      '',
    );
  }
  if (c.uncosted.length) {
    out.push(
      `No entry in the cost table for ${c.uncosted.join(', ')}: ${c.uncosted.length === 1 ? 'its' : 'their'} modelled kernel cost is empty (–). Add one to results/costs/default.yaml, or pass --costs FILE.`,
      '',
    );
  }
  out.push(
    mdTable(
      ['unit', 'ns', 'range', 'source'],
      c.units.map((u) => [u.unit, String(u.ns), `${u.low}–${u.high}`, u.source]),
      ['l', 'r', 'r', 'l'],
    ),
  );
  return out;
}

function constraints(a: KernelAnswer): string[] {
  return [
    'Every table below 4 GiB, and every allocation served. A strategy that breaks either is not ranked first.',
    '',
    mdTable(
      ['strategy', 'promises', 'tables ≥ 4 GiB', 'failed allocations', 'verdict'],
      a.constraints.map((c) => [
        c.strategy,
        c.placement === 'dma32' ? 'DMA32' : c.placement,
        String(c.dma32_violations),
        String(c.alloc_failures),
        c.qualifies ? 'ok' : `**${c.verdict}**${c.qualify.length ? `. ${c.qualify.join('; ')}.` : ''}`,
      ]),
      ['l', 'l', 'r', 'r', 'l'],
    ),
  ];
}

function rankings(m: ReportModel): string[] {
  const out = [
    'Rank in parentheses (1 = best) among the strategies that met the hard constraints in the workload; `=` a tie; `~` throughput within the 95 % margins of the next better one. A strategy that failed allocations or placed tables above 4 GiB there is **excluded**: its figures are shown, never ranked.',
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
  file: 'report.md',
  render: (run, options) => renderMarkdown(analyse(run, options)),
};
