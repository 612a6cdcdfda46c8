import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { l2bench } from '../cli.ts';
import { tempDir } from '../tmp.ts';

/**
 * The fault battery, a lossy recording (issue 20, item 6): a trace whose `l2bench record` header
 * says events were lost is replayed, and the run says so, from the file or from the event cache.
 */
const dir = tempDir('l2bench-faults-lossy-');

const EVENTS = 'alloc,1,0\nalloc,2,1\nfree,1,0\n';
const HEADER = '# l2bench record 1: kmem events as native lines\n';

describe('fault battery: a lossy recording', () => {
  for (const cache of ['off', 'on']) {
    it(`run notes the events its trace lost, and nothing for a whole one (event cache ${cache})`, async () => {
      const lossy = join(dir, `lossy-${cache}.trace`);
      writeFileSync(
        lossy,
        `${HEADER}# lost_events: 110355 (overrun 110355, commit overrun 0, dropped 0, reported 110355)\n${EVENTS}`,
      );
      const whole = join(dir, `whole-${cache}.trace`);
      writeFileSync(whole, `${HEADER}# lost_events: 0 (overrun 0, commit overrun 0, dropped 0, reported 0)\n${EVENTS}`);
      const env = { L2BENCH_CACHE_DIR: cache === 'off' ? 'off' : join(dir, 'cache') };
      const run = (file: string) =>
        l2bench(
          [
            'run',
            '-w',
            `trace:file=${file}`,
            '-s',
            'full-page',
            '--no-throughput',
            '-o',
            join(dir, `out-${Math.random()}`),
          ],
          {
            env,
          },
        );
      // Twice with the cache on: once converting into it, once from it.
      for (let i = 0; i < (cache === 'on' ? 2 : 1); i++) {
        const r = await run(lossy);
        expect(r.code).toBe(0);
        expect(r.stderr).toContain(
          `l2bench: note: ${lossy}: the kernel lost 110355 events while recording it (its header says so, and '# LOST' lines where): results replay an incomplete trace\n`,
        );
      }
      const w = await run(whole);
      expect(w.code).toBe(0);
      expect(w.stderr).not.toMatch(/lost/);
    });
  }
});
