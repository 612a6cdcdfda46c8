// The worker thread's compiled code (dist/harness/worker/measure.js and the ~90 modules it imports)
// bundled into one file, dist/harness/worker/measure.bundle.cjs, for scripts/build.js. A worker
// thread loads its modules one by one (each resolved, opened, compiled and linked): one file
// instead makes it ready 30-50 ms sooner, which a short run (a second run on a cached trace) waits
// for; and as CommonJS, which a thread starts without the ES module loader, about 6 ms sooner
// again. Packages stay imports of their own (one copy of each, as before). harness/spare-worker.ts
// starts the bundle for workers that load no strategy module: a user's module importing l2bench
// must share the worker's classes (InputError), which only the unbundled modules give it.
import { readFileSync } from 'node:fs';
import { dirname, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Bundle dist/harness/worker/measure.js into measure.bundle.cjs beside it (the tree compiled first). */
export async function bundleWorker(root) {
  const entry = fileURLToPath(new URL('dist/harness/worker/measure.js', root));
  const outfile = fileURLToPath(new URL('dist/harness/worker/measure.bundle.cjs', root));
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    plugins: [moduleUrls(dirname(outfile), COMMONJS_URL)],
  });
}

/** A CommonJS file's own URL, import.meta.url's counterpart. */
const COMMONJS_URL = 'require("node:url").pathToFileURL(__filename).href';

/**
 * import.meta.url as each module had it, not the bundle's: a module finds files beside it through
 * it (the trace's scanning thread, scan-thread.js; a package through createRequire). `outdir` is
 * where every file of the bundle is written (a split bundle's chunks beside its entries); `own`,
 * how a file of the bundle names its own URL.
 */
export function moduleUrls(outdir, own = 'import.meta.url') {
  return {
    name: 'module-urls',
    setup(b) {
      b.onLoad({ filter: /\.js$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const from = relative(outdir, args.path).split(sep).join('/');
        const url = `new URL(${JSON.stringify(from)}, ${own}).href`;
        return { contents: text.replaceAll('import.meta.url', url), loader: 'js' };
      });
    },
  };
}
