#!/usr/bin/env -S node --expose-gc
// The l2bench command: the compiled CLI in dist/, built by `npm install` (the `prepare` script) or
// `npm run build`. In a checkout with no build, or one older than a TypeScript source (an edit
// since `npm run build`), it runs the sources through tsx instead, and says so on stderr: an edit
// never runs from a stale build, and a fresh build starts without a TypeScript loader.
import { existsSync, readdirSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const compiled = new URL('dist/harness/cli/main.js', root);
const source = new URL('harness/cli/main.ts', root);

/** Why dist/ cannot be run, or null. Without the sources (an installed package), dist/ is all there is. */
function staleBuild() {
  if (!existsSync(source)) return null;
  let built;
  try {
    built = statSync(new URL('dist/.built', root)).mtimeMs;
  } catch {
    return 'no build: npm run build makes one';
  }
  for (const dir of ['strategies', 'workloads', 'harness', 'results']) {
    for (const file of readdirSync(new URL(dir, root), { recursive: true })) {
      if (file.endsWith('.ts') && statSync(new URL(`${dir}/${file}`, root)).mtimeMs > built) {
        return `${dir}/${file} is newer than the build: npm run build updates it`;
      }
    }
  }
  if (statSync(new URL('index.ts', root)).mtimeMs > built)
    return 'index.ts is newer than the build: npm run build updates it';
  return null;
}

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
