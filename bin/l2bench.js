#!/usr/bin/env -S node --expose-gc
// The l2bench command: the compiled CLI in dist/, built by `npm install` (the `prepare` script) or
// `npm run build`. In a checkout with no build, or one older than a TypeScript source (an edit
// since `npm run build`), it runs the sources through tsx instead, and says so on stderr: an edit
// never runs from a stale build, and a fresh build starts without a TypeScript loader.
import { staleBuild } from './stale-build.js';

const root = new URL('../', import.meta.url);
const compiled = new URL('dist/cli/main.js', root);
const source = new URL('cli/main.ts', root);

const stale = staleBuild();
if (stale === null) {
  await import(compiled.href);
} else {
  process.stderr.write(`l2bench: running from source (${stale})\n`);
  // Both loaders, so that a user's strategy module in .ts loads whether or not its folder is an
  // ES-module package.
  const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
  esm.register();
  cjs.register();
  await import(source.href);
}
