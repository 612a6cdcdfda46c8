import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { l2bench, ROOT } from '../cli.ts';
import { tempDir } from '../tmp.ts';

/**
 * The built-in full-page strategy wrapped in a user module named `wrapped`: every alloc() also
 * spins `spin` rounds of a busy loop. 2000 made replays some 70 times slower than 0 on a quiet
 * machine (110, a few times slower, once left the confidence interval short of 10 % on a loaded
 * one: -81 % to -0.6 %); the verdict comes from the data, but the gap must stay far beyond the
 * gate's 10 % for any load the test meets.
 */
function wrapped(dir: string, file: string, spin: number): string {
  const path = join(dir, file);
  writeFileSync(
    path,
    `import { fullPage } from ${JSON.stringify(join(ROOT, 'strategies/full-page.ts'))};
let sink = 0;
export default {
  ...fullPage,
  name: 'wrapped',
  create(ctx) {
    const inner = fullPage.create(ctx);
    return {
      work: inner.work,
      metadataBytes: () => inner.metadataBytes(),
      strandedBytes: () => inner.strandedBytes(),
      alloc(cpu) {
        const addr = inner.alloc(cpu);
        for (let i = 0; i < ${spin}; i++) sink = (sink * 31 + i) | 0;
        return addr;
      },
      free: (addr, cpu) => inner.free(addr, cpu),
    };
  },
};
export const spun = () => sink;
`,
  );
  return path;
}

// One run after another, as CI would run a base and a change; each step is a test of its own, so
// that each has the whole test timeout (these only catch hangs: no test asserts on wall time).
describe('compare on real runs', () => {
  const dir = tempDir('l2bench-compare-e2e-');
  const run = async (spin: number, out: string) => {
    const r = await l2bench([
      'run',
      '-s',
      wrapped(dir, `${out}.mjs`, spin),
      '-w',
      'churn:live=64,ops=5000',
      '--time',
      '80',
      '-o',
      join(dir, out),
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  };

  it('fails --fail-on-regression 10 on a strategy made slower in alloc(), under the same name', async () => {
    await run(0, 'base');
    await run(2000, 'slow');
    const regressed = await l2bench(['compare', join(dir, 'base'), join(dir, 'slow'), '--fail-on-regression', '10']);
    expect(regressed.stdout).toMatch(
      /churn:live=64,ops=5000\s+wrapped\s+ops_per_sec .* regressed \(p[<=]0\.0\d+, Holm; -\d+\.\d+% to -\d+\.\d+%\)/,
    );
    expect(regressed.stdout).toMatch(/regressions beyond 10% \(1\): churn:live=64,ops=5000 wrapped .*ops_per_sec -\d/);
    // Only the throughput changed: the exact metrics are the same code's.
    expect(regressed.stdout).toMatch(/summary: exact metrics: 0 changed/);
    expect(regressed.code).toBe(1);
  });

  it('never fails it on two runs of the same code', async () => {
    // Run side by side, so that both meet the same load: the other test files vitest runs at the
    // same time come and go, and compare assumes runs made under the same load (README).
    await Promise.all([run(0, 'same1'), run(0, 'same2')]);
    const same = await l2bench(['compare', join(dir, 'same1'), join(dir, 'same2'), '--fail-on-regression', '10']);
    expect(same.stdout).toMatch(/no regression beyond 10%\n$/);
    expect(same.code).toBe(0);
  });
});
