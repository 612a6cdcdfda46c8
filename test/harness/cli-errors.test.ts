import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STRATEGIES } from '../../strategies/index.ts';
import { l2bench, type Outcome } from '../cli.ts';
import { tempDir } from '../tmp.ts';

const SUITES = 'test/fixtures/suites';

/** Run the CLI from the repository root (so relative paths in the arguments resolve there). */

const tmp = () => tempDir('l2bench-errors-');

/** Bad input: exit 2, nothing on stdout, and exactly one line on stderr that names the culprit. */
function expectRefused(r: Outcome, message: RegExp | string): void {
  expect(r.stderr).toMatch(/^l2bench: [^\n]*\n$/);
  expect(r.stderr).not.toMatch(/\bat .*:\d+:\d+|internal error/);
  expect(r.stderr).toMatch(message);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
}

// Every case refuses its input before any work or any output folder; the cases run in parallel.
describe.concurrent('l2bench refuses bad input with one line naming the culprit', () => {
  const out = () => join(tmp(), 'out');
  const quick = ['--no-throughput', '-o'];

  it('an unknown strategy', async () => {
    expectRefused(
      await l2bench(['run', '-s', 'full-page,slab-dma33', '-w', 'hold', ...quick, out()]),
      `l2bench: unknown strategy 'slab-dma33' (allowed: ${STRATEGIES.map((s) => s.name).join(', ')})`,
    );
  });

  it('an unknown workload', async () => {
    expectRefused(
      await l2bench(['run', '-w', 'hold', '-w', 'churny:live=4', ...quick, out()]),
      /^l2bench: unknown workload 'churny' \(allowed: hold, churn, /,
    );
  });

  it('an unknown key', async () => {
    expectRefused(
      await l2bench(['run', '-w', 'churn:lives=4', ...quick, out()]),
      /^l2bench: workload churn: unknown parameter 'lives' \(allowed: live, ops, order, cpus\)/,
    );
    expectRefused(
      await l2bench(['run', '-s', 'full-page:order=1', '-w', 'hold', ...quick, out()]),
      /^l2bench: strategy full-page: unknown parameter 'order' \(it takes none\)/,
    );
  });

  it("an unknown option, commander's suggestion on the same line", async () => {
    expectRefused(
      await l2bench(['run', '--seeds', '1', ...quick, out()]),
      "l2bench: unknown option '--seeds' (Did you mean --seed?) (see --help)",
    );
  });

  it('a non-numeric value', async () => {
    expectRefused(
      await l2bench(['run', '-w', 'churn:live=many', ...quick, out()]),
      /^l2bench: workload churn: live=many is not a whole number \(allowed 1\.\.1048576\)/,
    );
    expectRefused(await l2bench(['run', '--seed', '1,x', ...quick, out()]), /^l2bench: --seed 1,x: 'x' is not a whole/);
  });

  it('an out-of-range value', async () => {
    expectRefused(
      await l2bench(['run', '-s', 'slab-dma32:max_order=11', '-w', 'hold', ...quick, out()]),
      /^l2bench: strategy slab-dma32: max_order=11 is out of range \(allowed 0\.\.10\)/,
    );
    expectRefused(
      await l2bench(['run', '--cpus', '0', ...quick, out()]),
      /^l2bench: --cpus 0: 0 is out of range \(allowed 1\.\.4096\)/,
    );
  });

  it('a kernel it does not model', async () => {
    expectRefused(
      await l2bench(['run', '--kernel', '5.1,6.2', '-w', 'hold', ...quick, out()]),
      /^l2bench: --kernel 6\.2: not a kernel l2bench models \(allowed: 5\.1, 6\.1, 6\.18\)$/m,
    );
  });

  it('a bad sweep', async () => {
    expectRefused(
      await l2bench(['run', '-w', 'hold:tables=8..1', ...quick, out()]),
      /^l2bench: workload 'hold:tables=8\.\.1': tables=8\.\.1 runs backwards/,
    );
  });

  it('a missing trace file', async () => {
    expectRefused(
      await l2bench(['run', '-w', 'trace:file=/nonexistent/l2bench-trace.txt', ...quick, out()]),
      /^l2bench: \/nonexistent\/l2bench-trace\.txt: cannot read \(ENOENT\)/,
    );
  });

  it('a malformed trace line, as FILE:LINE:', async () => {
    const file = join(tmp(), 'bad.trace');
    writeFileSync(file, '# a native trace\nalloc,1\nalloc,2,1\nfrob,3\nfree,1\n');
    expectRefused(
      await l2bench(['run', '-w', `trace:file=${file}`, ...quick, out()]),
      new RegExp(`^l2bench: ${file}:4: unknown event "frob" \\(expected alloc or free\\)`),
    );
    const twice = join(tmp(), 'twice.trace');
    writeFileSync(twice, 'alloc,7\nfree,7\nfree,7\n');
    expectRefused(
      await l2bench(['run', '-w', `trace:file=${twice}`, ...quick, out()]),
      new RegExp(`^l2bench: ${twice}:3: free of ID "7", which is not live`),
    );
  });

  it('a suite file that is not valid YAML', async () => {
    expectRefused(
      await l2bench(['run', '--suite', `${SUITES}/invalid-yaml.yaml`, ...quick, out()]),
      /^l2bench: test\/fixtures\/suites\/invalid-yaml\.yaml: not valid YAML: /,
    );
  });

  it('a suite file that breaks the schema, naming the field path', async () => {
    expectRefused(
      await l2bench(['run', '--suite', `${SUITES}/bad-schema.yaml`, ...quick, out()]),
      /^l2bench: test\/fixtures\/suites\/bad-schema\.yaml: groups\.1\.workloads: /,
    );
  });

  it('a suite with a bad workload spec', async () => {
    expectRefused(
      await l2bench(['run', '--suite', `${SUITES}/bad-workload.yaml`, ...quick, out()]),
      /^l2bench: test\/fixtures\/suites\/bad-workload\.yaml: groups\.0 \(g\): workload churn: live=many is not a whole number/,
    );
  });

  it("a suite whose trace file is missing (relative to the suite's folder)", async () => {
    expectRefused(
      await l2bench(['run', '--suite', `${SUITES}/missing-trace.yaml`, ...quick, out()]),
      /^l2bench: test\/fixtures\/suites\/no-such-trace\.txt: cannot read \(ENOENT\)/,
    );
  });

  it('an unknown suite', async () => {
    expectRefused(
      await l2bench(['run', '--suite', 'no-such-suite', ...quick, out()]),
      /^l2bench: --suite no-such-suite: cannot read \(ENOENT\)/,
    );
  });

  it('--suite together with --workload', async () => {
    expectRefused(
      await l2bench(['run', '--suite', 'default', '-w', 'hold', ...quick, out()]),
      /^l2bench: --suite and --workload cannot be used together/,
    );
  });

  it("an empty workload spec, and a shard count past the API's range: no output folder", async () => {
    const dir = out();
    expectRefused(
      await l2bench(['run', '-s', 'full-page', '-w', 'hold', '-w', '', ...quick, dir]),
      /^l2bench: --workload "": an empty spec/,
    );
    expectRefused(
      await l2bench(['run', '-s', 'full-page', '-w', 'hold', '--shard', '1/2147483648', ...quick, dir]),
      /^l2bench: --shard 1\/2147483648: 2147483648 shards is out of range/,
    );
    expect(existsSync(dir)).toBe(false);
  });

  it('an output folder that cannot be created', async () => {
    expectRefused(
      await l2bench(['run', '-s', 'full-page', '-w', 'hold', ...quick, '/proc/l2bench/out']),
      /^l2bench: --out \/proc\/l2bench\/out: cannot create the folder, as its parent \/proc\/l2bench cannot be created \(ENOENT\)/,
    );
  });

  it('an output path that is a file', async () => {
    const file = join(tmp(), 'file');
    writeFileSync(file, 'x');
    expectRefused(
      await l2bench(['run', '-s', 'full-page', '-w', 'hold', ...quick, file]),
      new RegExp(`^l2bench: --out ${file}: ENOTDIR`),
    );
  });

  it('a strategy module that does not exist', async () => {
    expectRefused(
      await l2bench(['run', '-s', './examples/no-such-strategy.ts', '-w', 'hold', ...quick, out()]),
      /^l2bench: --strategy \.\/examples\/no-such-strategy\.ts: cannot load \(no such module\)/,
    );
  });

  it('a module that is not a strategy', async () => {
    expectRefused(
      await l2bench(['run', '-s', './core/spec-ranges.ts', '-w', 'hold', ...quick, out()]),
      /^l2bench: --strategy \.\/core\/spec-ranges\.ts: not a strategy \(no default export or `strategy` export\)/,
    );
    const file = join(tmp(), 'half.mjs');
    writeFileSync(file, "export default { name: 'half', placement: 'dma64' };\n");
    expectRefused(
      await l2bench(['run', '-s', file, '-w', 'hold', ...quick, out()]),
      /: not a strategy \(create is not a function; placement is not 'dma32' or 'any'; params is not an object\)/,
    );
  });

  it('a strategy module that throws while loading, with its first line only', async () => {
    const file = join(tmp(), 'throws.mjs');
    writeFileSync(file, "throw new Error('boom\\nsecond line');\n");
    expectRefused(
      await l2bench(['run', '-s', file, '-w', 'hold', ...quick, out()]),
      /^l2bench: --strategy .*throws\.mjs: cannot load \(boom\)\n$/,
    );
  });

  it('a strategy module named like a built-in strategy', async () => {
    const file = join(tmp(), 'clash.mjs');
    writeFileSync(
      file,
      "export default { name: 'full-page', description: '', placement: 'dma32', params: {}, create() {} };\n",
    );
    expectRefused(
      await l2bench(['run', '-s', file, '-w', 'hold', ...quick, out()]),
      /: its name 'full-page' is a built-in strategy's/,
    );
  });

  it('a strategy that breaks an invariant under --check: its cells fail, one line each, exit 3', async () => {
    const file = join(tmp(), 'misaligned.mjs');
    writeFileSync(
      file,
      `export default {
  name: 'misaligned', description: 'hands out a table 512 bytes into its page', placement: 'dma32', params: {},
  create: ({ pages }) => ({
    work: {}, metadataBytes: () => 0, strandedBytes: () => 0,
    alloc: () => pages.allocPages(0x4, 0) + 512,
    free: () => {},
  }),
};
`,
    );
    const r = await l2bench(['run', '-s', `${file},full-page`, '-w', 'hold:tables=2', '--check', ...quick, out()]);
    expect(r.stderr).toMatch(
      new RegExp(
        `^l2bench: cell failed: misaligned on hold:tables=2 \\(cpus=4, seed=1\\), module ${file}: invariant broken: misaligned: table 0x[0-9a-f]+ is not 1 KiB-aligned\n` +
          'l2bench: 1 of 2 cells failed; the others are in .*results\\.json\n$',
      ),
    );
    expect(r.code).toBe(3);
  });

  it('trace stats on a missing file', async () => {
    expectRefused(
      await l2bench(['trace', 'stats', '/nonexistent/l2bench-trace.txt']),
      /^l2bench: \/nonexistent\/l2bench-trace\.txt: cannot read \(ENOENT\)/,
    );
  });

  it('trace stats on a malformed trace', async () => {
    const file = join(tmp(), 'bad.trace');
    writeFileSync(file, 'alloc,1\nalloc,1\n');
    expectRefused(
      await l2bench(['trace', 'stats', file]),
      new RegExp(`^l2bench: ${file}:2: alloc of ID "1", which is live`),
    );
  });
});
