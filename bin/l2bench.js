#!/usr/bin/env -S node --expose-gc
// The l2bench command: the compiled CLI in dist/, built by `npm install` (the `prepare` script) or
// `npm run build`. In a checkout with no build, or one older than a TypeScript source (an edit
// since `npm run build`), it runs the sources through tsx instead, and says so on stderr: an edit
// never runs from a stale build, and a fresh build starts without a TypeScript loader.
import { existsSync } from 'node:fs';
import { staleBuild } from './stale-build.js';

const root = new URL('../', import.meta.url);
const compiled = new URL('dist/cli/main.js', root);
const source = new URL('cli/main.ts', root);
/** The same CLI bundled (scripts/bundle-cli.js): a `run` that loads no module of the user's starts from it. */
const bundled = new URL('dist/cli/bundle/main.js', root);

/** Whether this command runs from the bundle (cli/bundled-run.ts, loaded only for a `run`). */
async function fromBundle() {
  if (process.argv[2] !== 'run' || !existsSync(bundled)) return false;
  const { runsBundled } = await import(new URL('dist/cli/bundled-run.js', root).href);
  return runsBundled(process.argv.slice(2));
}

const stale = staleBuild();
if (stale === null) {
  // A run's worker thread starts loading its code now, while this thread loads the CLI's (a run on a
  // cached trace waits for it): harness/spare-worker.ts, which the run takes it from.
  const help = process.argv.includes('--help') || process.argv.includes('-h');
  if (process.argv[2] === 'run' && !help)
    (await import(new URL('dist/harness/spare-worker.js', root).href)).startSpareWorker([]);
  await import(((await fromBundle()) ? bundled : compiled).href);
} else {
  process.stderr.write(`l2bench: running from source (${stale})\n`);
  // Both loaders, so that a user's strategy module in .ts loads whether or not its folder is an
  // ES-module package.
  const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
  esm.register();
  cjs.register();
  await import(source.href);
}
