import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { escapeHtml, htmlExporter, provenanceLine, renderHtml } from '../../results/html.ts';
import { renderMarkdown } from '../../results/markdown.ts';
import type { CellRanking, KernelAnswer, Recommendation, ReportModel } from '../../results/report/model.ts';
import { SECTIONS } from '../../results/report/model.ts';
import { OBJECTIVES } from '../../results/report/objective.ts';
import { factsOf } from '../../results/report/scope.ts';

const EVIL = '<script>alert("x")</script> & <img src=x onerror=1>';

const RANKINGS: CellRanking[] = [
  {
    workload: `churn:live=64 ${EVIL}`,
    cpus: 4,
    kernel: '5.1',
    seed: 1,
    strategies: [
      { strategy: 'slab-dma32', allocs: 100, alloc_failures: 0, placement_violations: 0, excluded: null },
      {
        strategy: 'slab-normal',
        allocs: 100,
        alloc_failures: 0,
        placement_violations: 100,
        excluded: `100 tables above 4 GiB ${EVIL}`,
      },
    ],
    metrics: [
      {
        metric: 'peak_footprint_bytes',
        label: 'peak footprint',
        better: 'lower',
        rows: [
          { strategy: 'slab-dma32', value: 1024, text: '1 KiB', rank: 1, tie: false },
          { strategy: 'slab-normal', value: 1024, text: '1 KiB', rank: null, tie: false },
        ],
      },
      {
        metric: 'reuse_rate',
        label: `reuse ${EVIL}`,
        better: 'higher',
        rows: [
          { strategy: 'slab-dma32', value: 0.5, text: `50 % ${EVIL}`, rank: 1, tie: false },
          { strategy: 'slab-normal', value: 0.6, text: '60 %', rank: null, tie: false },
        ],
      },
    ],
  },
];

/** The answer for one kernel, with hostile text in every free-text field. */
function recommendation(over: Partial<Recommendation> = {}): Recommendation {
  const row = (strategy: string, sum: number) => ({
    strategy,
    geomean: sum / 1000,
    sum,
    worst: sum,
    worstWorkload: `w ${EVIL}`,
    won: sum === 1000 ? 1 : 0,
    pages_sum: sum,
    at_typical: sum,
    at_max: null,
  });
  return {
    strategy: 'slab-dma32',
    agreed: true,
    tied: [],
    rule: `the rule ${EVIL}`,
    headline: `slab-dma32 holds the least ${EVIL}`,
    numbers: [
      { label: 'peak held', value: '2 MiB' },
      { label: `label ${EVIL}`, value: `value ${EVIL}` },
    ],
    table: [row('slab-dma32', 1000), row('full-page', 4000)],
    counts: { typical: { wanted: 100, measured: 128 }, max: { wanted: 4096, measured: null } },
    units: 1,
    winners: { geomean: ['slab-dma32'], sum: ['slab-dma32'], worst: ['slab-dma32'], won: ['slab-dma32'] },
    disagreements: [],
    groups: [
      { label: 'real traces', workloads: 1, sums: { 'slab-dma32': 16384, 'full-page': 8192 } },
      { label: 'synthetic patterns', workloads: 2, sums: { 'slab-dma32': 32768, 'full-page': 65536 } },
    ],
    givenBack: [
      { strategy: 'slab-dma32', workloads: 1, at_peak: 2048, at_end: 1024, returned: 1024, when: `later ${EVIL}` },
    ],
    unavailable: [{ strategy: 'slab-normal', kind: 'excluded', why: `128 tables above 4 GiB ${EVIL}` }],
    flips: [`Below 16 tables full-page is smaller ${EVIL}`],
    setting: '',
    ...over,
  };
}

function answer(over: Partial<KernelAnswer> = {}): KernelAnswer {
  return {
    kernel: '5.1',
    platform: null,
    title: 'Linux 5.1',
    facts: factsOf('mt8173', '5.1'),
    recommendation: recommendation(),
    constraints: [
      {
        strategy: 'slab-dma32',
        applicable: true,
        not_applicable: null,
        placement: 'dma32',
        placement_violations: 0,
        limit: '4 GiB',
        alloc_failures: 0,
        broken_in: [],
        verdict: 'ok',
        qualifies: true,
        qualify: [],
      },
      {
        strategy: 'slab-normal',
        applicable: true,
        not_applicable: null,
        placement: 'any',
        placement_violations: 128,
        limit: '4 GiB',
        alloc_failures: 0,
        broken_in: ['hold:tables=1', 'hold:tables=2', 'hold:tables=4', 'hold:tables=8', `w${EVIL}`],
        verdict: `128 tables above 4 GiB ${EVIL}`,
        qualifies: false,
        qualify: [`only DMA32 placement would qualify it ${EVIL}`],
      },
    ],
    crossovers: [
      {
        below: 'full-page',
        above: 'slab-dma32',
        from: 8,
        to: 16,
        cpus: 4,
        changes: 1,
        sentence: `full-page wins below 8 ${EVIL}`,
      },
    ],
    claims: [
      { claim: `genalloc wastes ${EVIL}`, source: `lkml ${EVIL}`, evidence: 'holds 4 MiB', verdict: 'confirmed' },
      { claim: 'page_frag strands memory', source: 'review', evidence: 'strands 6.5 MiB', verdict: 'refuted' },
      { claim: 'slab is fast', source: 'commit', evidence: 'slower than genalloc', verdict: 'partly' },
      { claim: 'dma_pool', source: '—', evidence: '—', verdict: 'not tested' },
    ],
    cost: {
      strategies: [
        { strategy: 'slab-dma32', ns_per_op: 20, low: 10, high: 60 },
        { strategy: 'full-page', ns_per_op: 50, low: 20, high: 150 },
      ],
      uncosted: [`mine ${EVIL}`],
      units: [
        {
          unit: 'slub_alloc_fast',
          ns: 8,
          low: 4.9,
          high: 30,
          measured_on: `x86 ${EVIL}`,
          source: `[S1] perf ${EVIL}`,
        },
      ],
      sensitivity: `No unit changes the order ${EVIL}`,
      contention: `contended ${EVIL}`,
      walker: null,
    },
    ...over,
  };
}

/** A small report with every part filled in, and hostile text in every free-text field. */
function model(over: Partial<ReportModel> = {}): ReportModel {
  return {
    title: `L2 tables ${EVIL}`,
    question: `Which allocator? ${EVIL}`,
    answers: [answer()],
    platforms: [
      {
        name: `mt8173 ${EVIL}`,
        description: `MediaTek ${EVIL}`,
        driver: `mtk_iommu ${EVIL}`,
        board: `elm ${EVIL}`,
        rows: [{ fact: 'CPUs', kernel: null, value: '4', source: `mt8173.dtsi ${EVIL}` }],
      },
    ],
    since: { base: null, note: `one kernel ${EVIL}`, kernels: [] },
    objective: { ...OBJECTIVES.peak, why: `the memory the system must have ${EVIL}` },
    rankings: RANKINGS,
    speed: { rows: [{ strategy: 'slab-dma32', text: `1.2 M events/s ${EVIL}` }] },
    workloads: [{ workload: `trace:file=${EVIL}`, kind: 'real trace', provenance: `sha256 ${EVIL}` }],
    threats: [`simulated machine ${EVIL}`],
    reproduce: `npx l2bench run --workload 'hold:tables=1..4096' ${EVIL}`,
    provenance: {
      l2bench_version: '0.1.0',
      git_commit: '0ee033c9ad77051c6b34fab75df29f41cc4e5e06',
      node_version: 'v20.20.2',
      v8_version: '11.3',
      cpu_model: `Xeon ${EVIL}`,
      platform: 'linux-x64',
      started_at: '2026-11-25T10:09:18.378Z',
      command_line: ['run'],
      machine: { dramBase: 1073741824, dramBytes: 4294967296, fragmentDma32: 0 },
      suite: '/work/main/harness/suites/default.yaml',
      throughput_time_ms: 100,
    },
    interrupted: false,
    ...over,
  };
}

const SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="760" height="100" viewBox="0 0 760 100"><title>c</title><rect width="10" height="10"/></svg>';
const CHARTS = [
  { title: `Footprint over time: churn ${EVIL}`, svg: SVG, caption: `how to read ${EVIL}` },
  { title: 'Empty chart', svg: '' },
  { title: 'Hold sweep', svg: SVG },
];

const doc = (html: string) => parseHTML(html).document;

describe('renderHtml', () => {
  const html = renderHtml(model(), CHARTS);

  it('is one HTML page with the sections in order', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    const ids = [...doc(html).querySelectorAll('main > section')].map((s) => s.getAttribute('id'));
    expect(ids).toEqual(SECTIONS.map(([id]) => id));
    const headings = [...doc(html).querySelectorAll('main > section > h2')].map((h) => h.textContent);
    expect(headings).toEqual([
      'The answer',
      'What the real captures change',
      'Platforms',
      'Since v5.1',
      'Hard constraints',
      'Claims of the v5.1 decision, checked',
      'Crossovers along the hold sweep',
      'Modelled kernel cost',
      'Charts',
      'Rankings per workload',
      'Workloads',
      'Harness speed',
      'Threats to validity',
      'Reproduce',
    ]);
    // The Markdown report gives the same sections in the same order.
    const md = renderMarkdown(model());
    expect([...md.matchAll(/^## (.+)$/gm)].map((x) => x[1])).toEqual(headings);
    // Title and provenance come first, before any section.
    expect(html.indexOf('<h1>')).toBeLessThan(html.indexOf('class="provenance"'));
    expect(html.indexOf('class="provenance"')).toBeLessThan(html.indexOf('<section'));
  });

  it('escapes every text from the model', () => {
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('onerror=1>');
    expect(html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#60;img src=x onerror=1&#62;');
    const d = doc(html);
    expect(d.querySelector('title')?.textContent).toBe(`L2 tables ${EVIL}`);
    expect(d.querySelector('h1')?.textContent).toBe(`L2 tables ${EVIL}`);
    expect(d.querySelector('#reproduce pre')?.textContent).toBe(model().reproduce);
  });

  it('is self-contained: no script, no external resource, no link out', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/@import|url\(/i);
    const withoutXmlns = html.replace(/\sxmlns(:\w+)?="http:\/\/www\.w3\.org\/[^"]*"/g, '');
    expect(withoutXmlns).not.toMatch(/https?:\/\//);
    expect(html).toContain('<style>');
    expect(html).toMatch(/font:[^;]*system-ui/);
  });

  it('puts each chart in a figure with its svg and caption, leaving out empty ones', () => {
    const figures = [...doc(html).querySelectorAll('#charts figure')];
    expect(figures.length).toBe(2);
    for (const f of figures) {
      expect(f.querySelector('svg')).not.toBeNull();
      expect(f.querySelector('figcaption')?.textContent).toBeTruthy();
    }
    expect(figures[0]?.querySelector('figcaption')?.textContent).toBe(
      `Footprint over time: churn ${EVIL}. how to read ${EVIL}`,
    );
    expect(renderHtml(model(), [])).toContain('No charts');
  });

  it('shows the answer with its rule, numbers, aggregations and flips, or that none may be the answer', () => {
    const section = doc(html).querySelector('#answer');
    expect(section?.querySelector('.verdict-line')?.textContent).toBe('Winner: slab-dma32');
    expect(section?.querySelector('.basis')?.textContent).toBe(`Decision rule. the rule ${EVIL}`);
    expect(section?.querySelectorAll('.numbers dt').length).toBe(2);
    // The strategy never the answer, and the flip.
    expect(section?.querySelectorAll('li').length).toBe(2);
    // Every aggregation's best is marked, and only in the winner's row.
    const rows = [...(section?.querySelectorAll('tbody tr') ?? [])].slice(0, 2);
    expect(rows.map((r) => r.querySelectorAll('td.best').length)).toEqual([5, 0]);
    // By kind of workload: full-page holds less on the real trace (8 KiB), slab-dma32 on the synthetic (32 KiB).
    const kinds = [...(section?.querySelectorAll('tbody tr') ?? [])].slice(2, 4);
    expect(kinds.map((r) => [...r.querySelectorAll('td')].map((td) => td.classList.contains('best')))).toEqual([
      [false, true],
      [true, false],
    ]);
    const split = renderHtml(
      model({ answers: [answer({ recommendation: recommendation({ agreed: false }) })] }),
      CHARTS,
    );
    expect(doc(split).querySelector('#answer .verdict-line')?.textContent).toBe('By the decision rule: slab-dma32');
    const none = renderHtml(
      model({
        answers: [answer({ recommendation: recommendation({ strategy: null, headline: 'none may be', table: [] }) })],
      }),
      CHARTS,
    );
    expect(doc(none).querySelector('#answer .verdict-line')?.textContent).toBe('none may be');
  });

  it('shows DMA32 violations of slab-normal as the pre-patch bug', () => {
    const rows = [...doc(html).querySelectorAll('#constraints tbody tr')];
    expect(rows.length).toBe(2);
    expect(rows[0]?.textContent).not.toContain('pre-patch');
    expect(rows[1]?.className).toBe('fails');
    expect(rows[1]?.textContent).toContain('The pre-patch bug');
    expect(rows[1]?.textContent).toContain('128');
    expect(rows[1]?.textContent).toContain('and 2 more');
  });

  it('ranks per workload, one column per metric, marking best; an excluded strategy is never best', () => {
    const tables = doc(html).querySelectorAll('#rankings table');
    expect(tables.length).toBe(1);
    const heads = [...(tables[0]?.querySelectorAll('thead th') ?? [])].map((t) => t.textContent);
    expect(heads).toEqual(['Strategy', 'Failed allocations', 'peak footprint ↓', `reuse ${EVIL} ↑`]);
    const rows = [...(tables[0]?.querySelectorAll('tbody tr') ?? [])];
    const cells = rows.map((tr) =>
      [...tr.querySelectorAll('td')].map((td) => ({ text: td.textContent, best: td.classList.contains('best') })),
    );
    expect(cells[0]?.[0]).toEqual({ text: '0', best: false });
    expect(cells[0]?.[1]).toEqual({ text: '1 KiB #1', best: true });
    expect(cells[0]?.[2]).toEqual({ text: `50 % ${EVIL} #1`, best: true });
    // slab-normal reuses more and is as small, but excluded: shown, not ranked, never best.
    expect(rows[1]?.classList.contains('excluded')).toBe(true);
    expect(cells[1]?.[0]?.text).toBe(`not ranked 100 tables above 4 GiB ${EVIL}`);
    expect(cells[1]?.[1]).toEqual({ text: '1 KiB', best: false });
    expect(cells[1]?.[2]).toEqual({ text: '60 %', best: false });
  });

  it('gives each claim a verdict badge coloured by verdict', () => {
    const badges = [...doc(html).querySelectorAll('#claims .badge')].map((b) => [b.className, b.textContent]);
    expect(badges).toEqual([
      ['badge ok', 'confirmed'],
      ['badge bad', 'refuted'],
      ['badge partly', 'partly'],
      ['badge untested', 'not tested'],
    ]);
  });

  it('lists crossovers, workloads, threats and the command', () => {
    const d = doc(html);
    expect(d.querySelector('#crossovers li')?.textContent).toBe(`full-page wins below 8 ${EVIL}`);
    expect(d.querySelector('#workloads tbody tr')?.textContent).toContain('real trace');
    expect(d.querySelector('#threats li')?.textContent).toBe(`simulated machine ${EVIL}`);
    expect(renderHtml(model({ answers: [answer({ crossovers: [] })] }), [])).toContain(
      'No two of them change order along the hold sweep',
    );
  });

  it('warns when the run was interrupted', () => {
    expect(html).not.toContain('Interrupted run');
    expect(renderHtml(model({ interrupted: true }), [])).toContain('Interrupted run');
  });
});

describe('provenanceLine', () => {
  it('names version, commit, runtime, machine, suite and throughput budget', () => {
    const line = provenanceLine(model().provenance);
    expect(line).toContain('l2bench 0.1.0');
    expect(line).toContain('commit 0ee033c9ad77');
    expect(line).toContain('Node v20.20.2');
    expect(line).toContain('dramBase=1 GiB, dramBytes=4 GiB, fragmentDma32=0');
    expect(line).toContain('suite default.yaml');
    expect(line).toContain('throughput 100 ms per cell');
    const flags = provenanceLine({ ...model().provenance, git_commit: null, suite: '', throughput_time_ms: null });
    expect(flags).toContain('no git commit');
    expect(flags).toContain('workloads from flags');
    expect(flags).toContain('no throughput');
  });
});

describe('escapeHtml', () => {
  it('escapes the five characters that matter in text and attributes', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });
});

describe('htmlExporter', () => {
  it('writes report.html in the html format', () => {
    expect(htmlExporter.format).toBe('html');
    expect(htmlExporter.file).toBe('report.html');
  });
});
