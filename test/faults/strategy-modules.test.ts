import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { l2bench, type Outcome } from '../cli.ts';
import { tempDir } from '../tmp.ts';

/**
 * The fault battery, user strategy modules (issue 20, item 4): without --check, each bad module
 * fails its cell with one line naming the module and what is wrong (exit 3), or is refused at load
 * (exit 2); never a stack trace, never a run that passes.
 */
const dir = tempDir('l2bench-faults-modules-');

/** A module whose strategy's alloc runs `alloc` (pages and a first page `base` in scope). */
function module(name: string, alloc: string): string {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(
    file,
    `export default { name: '${name}', description: '', placement: 'dma32', params: {},
  create: ({ pages }) => { let base = 0; return {
    work: {}, metadataBytes: () => 0, strandedBytes: () => 0,
    alloc: () => { ${alloc} },
    free: () => {},
  }; },
};
`,
  );
  return file;
}

const run = (file: string, ...more: string[]) =>
  l2bench([
    'run',
    '-s',
    file,
    '-w',
    'hold:tables=2',
    '--no-throughput',
    '--format',
    'csv',
    ...more,
    '-o',
    join(dir, `out-${Math.random()}`),
  ]);

/** One failed cell, its line naming the strategy, the module and `why`, then the summary; exit 3. */
function expectCellFailed(r: Outcome, name: string, file: string, why: string): void {
  expect(r.stderr).not.toMatch(/\bat .*:\d+:\d+|internal error/);
  const lines = r.stderr.split('\n').filter((l) => l && !l.includes('running from source'));
  expect(lines).toHaveLength(2);
  expect(lines[0]).toBe(
    `l2bench: cell ${why.startsWith('stopped') ? 'timed out' : 'failed'}: ${name} on hold:tables=2 (cpus=4, seed=1), module ${file}: ${why}`,
  );
  expect(lines[1]).toMatch(/^l2bench: 1 of 1 cell failed; the others are in /);
  expect(r.code).toBe(3);
}

describe.concurrent('fault battery: user strategy modules are checked by default', () => {
  it('a NaN or a string for an address', async () => {
    const nan = module('ret-nan', 'return NaN;');
    expectCellFailed(await run(nan), 'ret-nan', nan, 'invariant broken: ret-nan: alloc returned NaN, not an address');
    const text = module('ret-string', "return 'x';");
    expectCellFailed(
      await run(text),
      'ret-string',
      text,
      'invariant broken: ret-string: alloc returned the string "x", not an address',
    );
  });

  it('an address it does not own, one not 1 KiB-aligned, one address for every table', async () => {
    // The strategy allocated no page at all, so it holds none: any address is outside its pages.
    const wild = module('unowned', 'return 0x40000000;');
    expectCellFailed(
      await run(wild),
      'unowned',
      wild,
      'invariant broken: unowned: table 0x040000000 lies outside the pages it holds',
    );
    const odd = module('misaligned', 'return pages.allocPages(0x4, 0) + 512;');
    const o = await run(odd);
    expect(o.stderr).toMatch(/invariant broken: misaligned: table 0x[0-9a-f]+ is not 1 KiB-aligned\n/);
    expect(o.code).toBe(3);
    const same = module('same', 'if (!base) base = pages.allocPages(0x4, 0); return base;');
    const s = await run(same);
    expect(s.stderr).toMatch(/invariant broken: same: table 0x[0-9a-f]+ overlaps a live table\n/);
    expect(s.code).toBe(3);
  });

  it('a table above 4 GiB from a strategy that promises DMA32 (pages without __GFP_DMA32 from 8 GiB of DRAM)', async () => {
    const high = module('high', 'return pages.allocPages(0, 0);');
    const r = await run(high, '--machine', 'dram=8G,base=0');
    expect(r.stderr).toMatch(
      /invariant broken: high: table 0x1[0-9a-f]{8} lies above 4 GiB although the strategy promises DMA32\n/,
    );
    expect(r.code).toBe(3);
  });

  it('one that throws, and one that never returns (stopped by --cell-timeout, whatever the speed)', async () => {
    const throws = module('throws', "throw new Error('out of ideas');");
    expectCellFailed(await run(throws), 'throws', throws, 'out of ideas');
    const hangs = module('hangs', 'for (;;) {}');
    expectCellFailed(await run(hangs, '--cell-timeout', '1'), 'hangs', hangs, 'stopped after 1 s (cell timeout)');
  });

  it('--no-check turns the checker off: the misaligned module then runs to the end (exit 0)', async () => {
    const odd = module('unchecked', 'return pages.allocPages(0x4, 0) + 512;');
    const r = await run(odd, '--no-check');
    expect(r.code).toBe(0);
  });

  it('a module that exits, or never settles, at import: refused in one line, exit 2', async () => {
    const exits = join(dir, 'exits.mjs');
    writeFileSync(exits, 'process.exit(0);\n');
    const e = await run(exits);
    expect([e.code, e.stderr.replace(/^.*running from source.*\n/, '')]).toEqual([
      2,
      `l2bench: --strategy ${exits}: cannot load (it calls process.exit(0) while loading)\n`,
    ]);
    const never = join(dir, 'never.mjs');
    writeFileSync(never, 'export default await new Promise(() => {});\n');
    const n = await run(never);
    expect([n.code, n.stderr.replace(/^.*running from source.*\n/, '')]).toEqual([
      2,
      `l2bench: --strategy ${never}: cannot load (its top-level code never settles (an await on nothing that can finish))\n`,
    ]);
  });

  it('a default export that arrives wrapped once more, as from CommonJS, is the strategy', async () => {
    const cjs = join(dir, 'wrapped.cjs');
    writeFileSync(
      cjs,
      `exports.default = { name: 'wrapped', description: '', placement: 'dma32', params: {},
  create: ({ pages }) => ({ work: {}, metadataBytes: () => 0, strandedBytes: () => 0,
    alloc: () => pages.allocPages(0x4, 0), free: (a) => pages.freePages(a, 0) }) };
`,
    );
    const r = await run(cjs);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^│ wrapped +│/m);
  });
});
