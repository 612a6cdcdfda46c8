/**
 * The programmatic API: run a benchmark from a script, write its results, print a summary.
 *
 *   npx tsx examples/api.ts
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBenchmark, writeResults } from '../index.ts';

const run = await runBenchmark({
  strategies: ['slab-dma32', 'genalloc', 'page-frag', 'full-page'],
  workloads: ['hold:tables=1..64'], // 1, 2, 4, …, 64 tables: 7 workloads
  cpus: [4],
  throughput: false,
});

const dir = mkdtempSync(join(tmpdir(), 'l2bench-api-'));
const files = await writeResults(dir, run, ['csv', 'json']);

console.log(`${run.records.length} of ${run.cells} cells, l2bench ${run.provenance.l2bench_version}`);
console.log('peak footprint in KiB, by live tables:');
const strategies = [...new Set(run.records.map((r) => r.strategy))];
console.log(['tables', ...strategies].map((s) => s.padStart(12)).join(''));
for (const tables of [...new Set(run.records.map((r) => r.peak_live_tables))]) {
  const row = strategies.map((s) => {
    const r = run.records.find((x) => x.strategy === s && x.peak_live_tables === tables);
    return String(r ? r.peak_footprint_bytes / 1024 : '-').padStart(12);
  });
  console.log(`${String(tables).padStart(12)}${row.join('')}`);
}
console.log(`written: ${files.join(', ')}`);
