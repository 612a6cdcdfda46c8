import { analyse } from './report/analyse.ts';
import { type Ranking, type ReportModel, SECTIONS, type SectionId } from './report/model.ts';
import type { Exporter } from './run.ts';

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

/** Rankings of one cell as one table: strategies down, metrics across, each value with its rank. */
function rankingTable(group: readonly Ranking[]): string {
  const strategies = (group[0] as Ranking).rows.map((r) => r.strategy);
  const head = ['strategy', ...group.map((g) => `${g.label} (${g.better === 'lower' ? '↓' : '↑'})`)];
  const rows = strategies.map((s) => [
    s,
    ...group.map((g) => {
      const v = g.rows.find((r) => r.strategy === s);
      if (!v) return '–';
      const mark = v.rank === 1 ? '**' : '';
      const notes = `${v.tie ? ' =' : ''}${v.within_noise ? ' ~' : ''}`;
      return `${mark}${v.text}${mark} (${v.rank})${notes}`;
    }),
  ]);
  return mdTable(head, rows, ['l', ...group.map(() => 'r' as const)]);
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
    answer: answer(m),
    constraints: constraints(m),
    claims: [
      mdTable(
        ['claim', 'source', 'evidence from this run', 'verdict'],
        m.claims.map((c) => [c.claim, c.source, c.evidence, VERDICT_MARK[c.verdict] ?? c.verdict]),
      ),
    ],
    crossovers:
      m.crossovers.length === 0
        ? [
            'No pair of strategies changes order in footprint along the hold sweep of this run (or the run has no hold sweep).',
          ]
        : m.crossovers.map((c) => `- ${c.sentence}`),
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

function answer(m: ReportModel): string[] {
  const r = m.recommendation;
  const out = [
    r.strategy ? `**Recommended: \`${r.strategy}\`.** ${r.summary}` : `**No recommendation.** ${r.summary}`,
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

function constraints(m: ReportModel): string[] {
  return [
    'Every table below 4 GiB, and every allocation served. A strategy that breaks either is not ranked first.',
    '',
    mdTable(
      ['strategy', 'promises', 'tables ≥ 4 GiB', 'failed allocations', 'verdict'],
      m.constraints.map((c) => [
        c.strategy,
        c.placement === 'dma32' ? 'DMA32' : c.placement,
        String(c.dma32_violations),
        String(c.alloc_failures),
        c.qualifies ? 'ok' : `**${c.verdict}**`,
      ]),
      ['l', 'l', 'r', 'r', 'l'],
    ),
  ];
}

function rankings(m: ReportModel): string[] {
  const out = [
    'Rank in parentheses (1 = best); `=` a tie; `~` throughput within the 95 % margins of the next better one.',
    '',
  ];
  const byCell = new Map<string, Ranking[]>();
  for (const g of m.rankings) {
    const k = `${g.workload} (cpus=${g.cpus}, seed=${g.seed})`;
    byCell.set(k, [...(byCell.get(k) ?? []), g]);
  }
  for (const [k, group] of byCell) out.push(`### ${k}`, '', rankingTable(group), '');
  return out;
}

export const markdownExporter: Exporter = {
  format: 'md',
  file: 'report.md',
  render: (run) => renderMarkdown(analyse(run)),
};
