import { closeSync, openSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { FullRecord } from '../core/record.ts';
import { jsonExporter } from '../results/json.ts';
import { blankRecord, completeRun } from './records.ts';

/** The strategies of a large run: four v5.1 candidates, each with a footprint of its own shape. */
const STRATEGIES = ['slab-dma32', 'genalloc', 'page-frag', 'full-page'] as const;

/**
 * Cell i of a hold sweep of `strategies` strategies: tables = i / strategies + 1, each strategy's
 * footprint a closed form of the tables held (a slab of 16 tables a slab, a 4 MiB pool, 4 tables a
 * page, a page a table), so that the run's answer is known without reading it.
 */
export function sweepRecord(i: number): FullRecord {
  const tables = Math.floor(i / STRATEGIES.length) + 1;
  const strategy = STRATEGIES[i % STRATEGIES.length] as (typeof STRATEGIES)[number];
  const pages = {
    'slab-dma32': 4 * Math.ceil(tables / 16),
    genalloc: 1024,
    'page-frag': Math.ceil(tables / 4),
    'full-page': tables,
  }[strategy];
  const bytes = pages * 4096;
  const r = blankRecord(
    { workload: `hold:tables=${tables}`, strategy, cpus: 4, seed: 1 },
    {
      events: tables,
      allocs: tables,
      peak_live_tables: tables,
      peak_footprint_bytes: bytes,
      mean_footprint_bytes: bytes,
      final_footprint_bytes: bytes,
      total_peak_footprint_bytes: bytes,
      total_mean_footprint_bytes: bytes,
      total_final_footprint_bytes: bytes,
    },
  );
  return { ...r, detail: { ...r.detail, cell: i, placement: 'dma32', workload_category: 'synthetic' } };
}

/**
 * Write a complete run of `cells` cells (sweepRecord) as l2bench writes results.json, a record a
 * line, without holding them: the header and tail of a run of no records around the records.
 */
function writeLargeRun(file: string, cells: number): void {
  const shell = jsonExporter.render({
    ...completeRun([], { plan: { cells, sha256: 'large', shard: null } }),
    cells,
  }) as string;
  const at = shell.indexOf('"records": []') + '"records": '.length;
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, shell.slice(0, at));
    let chunk = '[';
    for (let i = 0; i < cells; i++) {
      chunk += `${i ? ',' : ''}\n    ${JSON.stringify(sweepRecord(i))}`;
      if (chunk.length > 1 << 20) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    writeSync(fd, `${chunk}\n  ]${shell.slice(at + 2)}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Run as a script (`node --max-old-space-size=MB --import tsx test/large-run.ts FILE CELLS`): write
 * the run, then read it as l2bench's readers do (checked through once, then streamed), and print
 * what was read as one JSON line: the record and missing counts, and each strategy's sum of peak
 * footprints. Under a small heap, it finishes only if neither the writing nor the reading holds the run.
 */
async function main(file: string, cells: number): Promise<void> {
  const { openRun } = await import('../results/read-run.ts');
  writeLargeRun(file, cells);
  const run = openRun(file);
  let records = 0;
  const peak: Record<string, number> = {};
  for (const r of run.records()) {
    records++;
    peak[r.strategy] = (peak[r.strategy] ?? 0) + r.peak_footprint_bytes;
  }
  const missing = [...run.missing()].length;
  process.stdout.write(`${JSON.stringify({ complete: run.header.complete, records, missing, peak })}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv[2] as string, Number(process.argv[3]));
}
