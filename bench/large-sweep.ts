/**
 * Memory of a run against the cells it has finished: `npx tsx bench/large-sweep.ts [CELLS…]` runs
 * the CLI on sweeps of tiny churn workloads (4 strategies × live 1..L × ops 1..P, one CPU, no
 * throughput, results.csv and results.json) and prints, per size, one JSON line: cells, wall and CPU
 * seconds, the peak RSS of the whole process (main thread and workers), and the size of the results.
 * Records wait in a spool file, not in memory, so the peak RSS should not grow with the cells.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STRATEGIES = 'full-page,slab-dma32,page-frag,genalloc';
const sizes = process.argv.slice(2).map(Number);

for (const cells of sizes.length ? sizes : [1_000, 10_000, 100_000]) {
  // live 1..L × ops 1..P × 4 strategies, L·P = cells / 4, P = 100 (or fewer for small runs).
  const ops = Math.min(100, cells / 4);
  const live = Math.round(cells / 4 / ops);
  const dir = mkdtempSync(join(tmpdir(), 'l2bench-large-'));
  const out = join(dir, 'run');
  // The child reports its own peak RSS (workers included: threads share the process) as it exits.
  const report = [
    "process.on('exit', () => {",
    '  const u = process.resourceUsage();',
    "  process.stderr.write('maxrss ' + u.maxRSS * 1024 + ' cpu ' + (u.userCPUTime + u.systemCPUTime) / 1e6 + '\\n');",
    '});',
  ].join('\n');
  const started = process.hrtime.bigint();
  const child = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      `data:text/javascript,${encodeURIComponent(report)}`,
      join(ROOT, 'bin/l2bench.js'),
      'run',
      '-s',
      STRATEGIES,
      '-w',
      `churn:live=1..${live}+1,ops=1..${ops}+1`,
      '--cpus',
      '1',
      '--no-throughput',
      '--format',
      'csv,json',
      '-o',
      out,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 28 },
  );
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const usage = /maxrss (\d+) cpu ([\d.]+)/.exec(child.stderr);
  if (child.status !== 0 || !usage) throw new Error(`l2bench exited ${child.status}: ${child.stderr.slice(-500)}`);
  const [rss, cpu] = [Number(usage[1]), Number(usage[2])];
  console.log(
    JSON.stringify({
      cells: live * ops * 4,
      wall_s: Number(wall.toFixed(1)),
      cpu_s: Number(cpu.toFixed(1)),
      peak_rss_mib: Number((rss / 2 ** 20).toFixed(1)),
      results_json_mib: Number((statSync(join(out, 'results.json')).size / 2 ** 20).toFixed(1)),
    }),
  );
  rmSync(dir, { recursive: true, force: true });
}
