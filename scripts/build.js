// `npm run build`, and `npm install` through the `prepare` script: compile the sources into dist/
// with tsc (tsconfig.build.json) and the shipped cost table into dist/results/costs/default.json
// (a run reads it instead of parsing the YAML), bundle the worker thread's code (bundle-worker.js)
// and the CLI's (bundle-cli.js), then stamp the build with the time it started. With --if-stale
// (`npm start`), only when no build is as new as the sources. bin/l2bench.js runs
// dist/ only while no source is newer than the stamp, so a source edited since, even during the
// build, never runs from a stale dist/.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { staleBuild } from '../bin/stale-build.js';

const root = new URL('../', import.meta.url);
if (process.argv.includes('--if-stale') && staleBuild() === null) process.exit(0);
const stamp = new URL('dist/.built', root);
rmSync(stamp, { force: true });
const started = new Date();
let tsc;
try {
  tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin/tsc');
} catch {
  // An install without dev dependencies (npm install --omit=dev in a checkout): no compiler, but
  // the command still works, running the sources through tsx (a dependency).
  process.stderr.write(
    'l2bench: typescript is not installed (dev dependencies omitted?): no build; l2bench runs the sources\n',
  );
  process.exit(0);
}
try {
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
} catch {
  process.stderr.write('l2bench: the build failed (tsc -p tsconfig.build.json): dist/ is not stamped\n');
  process.exit(1);
}
try {
  const { compileDefaultCosts } = await import(new URL('dist/results/costs.js', root).href);
  mkdirSync(new URL('dist/results/costs/', root), { recursive: true });
  writeFileSync(new URL('dist/results/costs/default.json', root), compileDefaultCosts());
} catch (e) {
  process.stderr.write(`l2bench: the build failed (the cost table): ${e.message}: dist/ is not stamped\n`);
  process.exit(1);
}
for (const [what, bundle] of [
  ["the worker's bundle", async () => (await import('./bundle-worker.js')).bundleWorker(root)],
  ["the CLI's bundle", async () => (await import('./bundle-cli.js')).bundleCli(root)],
]) {
  try {
    await bundle();
  } catch (e) {
    process.stderr.write(`l2bench: the build failed (${what}): ${e.message}: dist/ is not stamped\n`);
    process.exit(1);
  }
}
writeFileSync(stamp, `${started.toISOString()}\n`);
utimesSync(stamp, started, started);
