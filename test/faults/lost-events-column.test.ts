import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { l2bench } from '../cli.ts';
import { tempDir } from '../tmp.ts';

/**
 * The fault battery, a lossy recording replayed (issue 20, item 6): each cell records the events
 * its trace's recording lost (`lost_events`, from the header `l2bench record` writes), in the CSV and
 * the JSON, and the report names every workload that lost any under its threats, and says nothing
 * when none did.
 */
const dir = tempDir('l2bench-faults-lost-column-');

const HEADER = '# l2bench record 1: kmem events as native lines\n';
/**
 * Seven events lost, as `l2bench record` writes it: the total in the header, and a `# LOST` line
 * where each CPU's ring buffer overran (4 on CPU 0, 3 on CPU 1: the header's 7, not counted again).
 */
const LOSSY = `${HEADER}# lost_events: 7 (overrun 7, commit overrun 0, dropped 0, reported 7)
alloc,1,0
# LOST 4 events on CPU 0 here
alloc,2,1
# LOST 3 events on CPU 1 here
free,1,0
`;
const WHOLE = `${HEADER}# lost_events: 0 (overrun 0, commit overrun 0, dropped 0, reported 0)\nalloc,1,0\nalloc,2,1\nfree,1,0\n`;

const hex = (n: number) => `0x${n.toString(16).padStart(16, '0')}`;
/** A recorded iommu trace that lost 5 events: one 4 KiB map into the 1 MiB slot (one L2 table). */
const IOMMU_LOSSY = `# l2bench record 1: iommu:map and iommu:unmap events as tracefs prints them
# lost_events: 5 (overrun 5, commit overrun 0, dropped 0, reported 5)
# LOST 5 events on CPU 0 here
     kworker/0:1-42      [000] .....    12.345678: map: IOMMU: iova=${hex(0x100000)} - ${hex(0x101000)} paddr=${hex(0x80000000)} size=4096
`;

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The values of a CSV column by the row's workload. */
function columnByWorkload(csv: string, column: string): Record<string, string> {
  const [head, ...rows] = csv.trim().split('\n');
  const names = (head as string).split(',');
  const w = names.indexOf('workload');
  const c = names.indexOf(column);
  expect(c).toBeGreaterThan(-1);
  // The workload specs here hold no comma inside a quoted field but their own: take the quoted spec whole.
  return Object.fromEntries(
    rows.map((row) => {
      const cells = row.match(/("[^"]*"|[^,]*)(,|$)/g)?.map((s) => s.replace(/,$/, '').replace(/^"|"$/g, '')) ?? [];
      return [cells[w] as string, cells[c] as string];
    }),
  );
}

async function run(out: string, workloads: string[]): Promise<void> {
  const r = await l2bench(
    [
      'run',
      ...workloads.flatMap((w) => ['-w', w]),
      '-s',
      'full-page',
      '--no-throughput',
      '--format',
      'csv,json,md',
      '-o',
      out,
    ],
    { env: { L2BENCH_CACHE_DIR: 'off' } },
  );
  expect(r.stderr).not.toMatch(/error/i);
  expect(r.code).toBe(0);
}

describe('fault battery: the events a replayed recording lost, per cell', () => {
  it('are a column of the CSV and JSON (7 and 5 from the headers, 0 for a whole trace and a generated workload) and a threat of the report', async () => {
    const lossy = file('lossy.trace', LOSSY);
    const whole = file('whole.trace', WHOLE);
    const iommu = file('iommu-lossy.txt', IOMMU_LOSSY);
    const out = join(dir, 'lossy-run');
    await run(out, [`trace:file=${lossy}`, `trace:file=${whole}`, 'hold:tables=3', `iommu:trace=${iommu}`]);

    const byWorkload = columnByWorkload(readFileSync(join(out, 'results.csv'), 'utf8'), 'lost_events');
    const spec = (prefix: string) => Object.keys(byWorkload).find((w) => w.startsWith(prefix)) as string;
    expect(byWorkload[spec(`trace:file=${lossy}`)]).toBe('7');
    expect(byWorkload[spec(`trace:file=${whole}`)]).toBe('0');
    expect(byWorkload[spec('hold:')]).toBe('0');
    expect(byWorkload[spec(`iommu:trace=${iommu}`)]).toBe('5');
    expect(Object.keys(byWorkload)).toHaveLength(4);

    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as {
      records: { workload: string; lost_events: number }[];
    };
    expect(Object.fromEntries(json.records.map((r) => [r.workload, r.lost_events]))).toEqual({
      [spec(`trace:file=${lossy}`)]: 7,
      [spec(`trace:file=${whole}`)]: 0,
      [spec('hold:')]: 0,
      [spec(`iommu:trace=${iommu}`)]: 5,
    });

    const report = readFileSync(join(out, 'report.md'), 'utf8');
    const threats = report.slice(report.indexOf('Threats to validity'));
    expect(threats).toContain(`The recording replayed by ${spec(`trace:file=${lossy}`)} lost 7 events`);
    expect(threats).toContain(`The recording replayed by ${spec(`iommu:trace=${iommu}`)} lost 5 events`);
    expect(threats.match(/The recording replayed by/g)).toHaveLength(2);
  });

  it('leave the report silent when no cell lost any', async () => {
    const whole = file('whole-only.trace', WHOLE);
    const out = join(dir, 'whole-run');
    await run(out, [`trace:file=${whole}`, 'hold:tables=3']);
    const csv = columnByWorkload(readFileSync(join(out, 'results.csv'), 'utf8'), 'lost_events');
    expect(Object.values(csv)).toEqual(['0', '0']);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).not.toMatch(/lost \d|The recording replayed/);
  });
});
