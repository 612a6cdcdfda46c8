import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../cli.ts';
import { tempDir } from '../tmp.ts';

const execFileAsync = promisify(execFile);

/** Σ_{t=1..T} ⌈t/k⌉ for k dividing T: each value 1..T/k taken k times. */
const sumCeil = (T: number, k: number) => (k * (T / k) * (T / k + 1)) / 2;

describe('a results file of 10^6 cells', () => {
  // 10^6 records of about 1 KB: a file of about 1.1 GB, its records several times that as objects.
  it(
    'is written and read back in a 64 MiB heap, every record once, each strategy’s footprints summing to their closed form',
    async () => {
      const cells = 1_000_000;
      const file = join(tempDir('l2b-large-'), 'results.json');
      const { stdout } = await execFileAsync(
        process.execPath,
        ['--max-old-space-size=64', '--import', 'tsx', join(ROOT, 'test/large-run.ts'), file, String(cells)],
        { cwd: ROOT, maxBuffer: 1 << 20 },
      );
      // Four strategies a hold:tables=t workload, t = 1..T; footprints in pages (test/large-run.ts).
      const T = cells / 4;
      const page = 4096;
      expect(JSON.parse(stdout)).toEqual({
        complete: true,
        records: cells,
        missing: 0,
        peak: {
          // A 16 KiB slab of 16 tables: 4 pages for every 16 tables or part.
          'slab-dma32': page * 4 * sumCeil(T, 16),
          // A 4 MiB pool whatever the tables.
          genalloc: page * 1024 * T,
          // Four tables a page.
          'page-frag': page * sumCeil(T, 4),
          // A page a table.
          'full-page': (page * T * (T + 1)) / 2,
        },
      });
    },
    10 * 60_000,
  );
});
