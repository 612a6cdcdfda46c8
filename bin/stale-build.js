// Whether dist/ is older than the sources it was built from: bin/l2bench.js runs the sources
// instead, and `npm start` (scripts/build.js --if-stale) builds again only then.
import { existsSync, readdirSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

/** The folders of TypeScript sources the build compiles (tsconfig.build.json includes the same, and index.ts). */
export const SOURCE_DIRS = ['core', 'os', 'strategies', 'workloads', 'harness', 'kernel', 'cli', 'results'];

/** Why dist/ cannot be run, or null. Without the sources (an installed package), dist/ is all there is. */
export function staleBuild() {
  if (!existsSync(new URL('cli/main.ts', root))) return null;
  let built;
  try {
    built = statSync(new URL('dist/.built', root)).mtimeMs;
  } catch {
    return 'no build: npm run build makes one';
  }
  for (const dir of SOURCE_DIRS) {
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
