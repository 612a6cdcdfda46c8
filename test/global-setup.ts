import { execFileSync } from 'node:child_process';

/**
 * Build the package (dist/) from the sources under test, once, before any test: the CLI tests run
 * bin/l2bench.js, which runs the compiled CLI, and test/package.test.ts imports it with no loader.
 * A build left by `npm install` may be older than the sources.
 */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.js'], { cwd: new URL('..', import.meta.url), stdio: 'inherit' });
}
