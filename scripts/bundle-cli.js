// The compiled CLI (dist/cli/main.js and what it imports) bundled for scripts/build.js into
// dist/cli/bundle/: main.js, and a chunk for each part a command imports when it runs (the run's
// session, the reports, the tables...), so that what loads late still loads late. A command loads
// its modules one by one, each resolved, opened, compiled and linked: a second run on a cached
// trace loads about 110 before it hands its cell to the worker, and fewer, larger files are
// loaded sooner. Packages stay imports of their own. bin/l2bench.js runs the bundle for a `run`
// that names no strategy module and no suite file (cli/bundled-run.ts): a user's module importing
// l2bench must share the CLI's classes (InputError), which only the unbundled modules give it.
// The spare worker's module stays out of it: bin/l2bench.js starts the worker before the bundle loads.
// modules.json says which of dist/'s modules each file of the bundle holds (a test reads it).
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { moduleUrls } from './bundle-worker.js';

/** Bundle dist/cli/main.js into dist/cli/bundle/ (the tree compiled first; the folder made anew). */
export async function bundleCli(root) {
  const outdir = fileURLToPath(new URL('dist/cli/bundle', root));
  rmSync(outdir, { recursive: true, force: true });
  const { metafile } = await build({
    entryPoints: [fileURLToPath(new URL('dist/cli/main.js', root))],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    metafile: true,
    plugins: [moduleUrls(outdir), otherCommands(), sharedModules(outdir)],
  });
  const dist = fileURLToPath(new URL('dist/', root));
  const name = (path) =>
    relative(dist, fileURLToPath(new URL(path, root)))
      .split(sep)
      .join('/');
  const modules = Object.fromEntries(
    Object.entries(metafile.outputs).map(([file, out]) => [name(file), Object.keys(out.inputs).map(name)]),
  );
  writeFileSync(`${outdir}/modules.json`, `${JSON.stringify(modules, null, 1)}\n`);
}

/**
 * The commands other than `run` stay the unbundled modules (imported from dist/cli/commands/ if ever
 * called): only a `run` starts from the bundle, and their code would split the run's into more chunks.
 */
function otherCommands() {
  return {
    name: 'other-commands',
    setup(b) {
      b.onResolve({ filter: /^\.\/commands\/[^/]+\.js$/ }, (args) =>
        args.importer.endsWith(`${sep}cli${sep}main.js`) && args.path !== './commands/run.js'
          ? { path: `.${args.path}`, external: true }
          : undefined,
      );
    },
  };
}

/** Modules of dist/ the bundle imports instead of holding: bin/l2bench.js imports them first, and both must hold one copy. */
const SHARED = ['harness/spare-worker.js'];

/** Imports of SHARED modules stay imports, of the compiled module beside the bundle. */
function sharedModules(outdir) {
  const dist = resolve(outdir, '../..');
  return {
    name: 'shared-modules',
    setup(b) {
      b.onResolve({ filter: /\.js$/ }, (args) => {
        const path = resolve(dirname(args.importer), args.path);
        if (!SHARED.some((m) => path === join(dist, m))) return undefined;
        return { path: relative(outdir, path).split(sep).join('/'), external: true };
      });
    },
  };
}
