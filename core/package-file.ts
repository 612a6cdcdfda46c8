import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The folder of l2bench's package.json, found upward from this module: the same whether l2bench
 * runs from its TypeScript source (core/) or from the compiled package (dist/core/).
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'l2bench') {
      root = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('l2bench: cannot find its own package.json');
    dir = up;
  }
}

/** A file shipped with l2bench (suites, the cost table, traces), by its path in the package: `results/costs/default.yaml`. */
export function packageFile(path: string): string {
  return join(packageRoot(), path);
}
