import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Build the package (dist/) from the sources under test, once, before any test: the CLI tests run
 * bin/l2bench.js, which runs the compiled CLI, and test/package.test.ts imports it with no loader.
 * A build left by `npm install` may be older than the sources.
 */
export default function setup(): () => void {
  execFileSync(process.execPath, ['scripts/build.js'], { cwd: new URL('..', import.meta.url), stdio: 'inherit' });
  // The tests' converted traces go to a folder of their own, removed at the end: never the user's cache.
  const cache = mkdtempSync(join(tmpdir(), 'l2bench-test-cache-'));
  process.env.L2BENCH_CACHE_DIR = cache;
  return () => rmSync(cache, { recursive: true, force: true });
}
