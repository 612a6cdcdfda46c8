import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** Every `path` a document names in backticks that looks like a file or folder of this repository. */
function namedPaths(doc: string): string[] {
  const text = readFileSync(new URL(`../${doc}`, import.meta.url), 'utf8');
  const paths = [...text.matchAll(/`([\w.-]+\/[\w./-]*|[\w-]+\.(?:ts|json|cjs|mjs|md|yaml))`/g)].map(
    (m) => m[1] as string,
  );
  return [...new Set(paths)];
}

describe('CONTRIBUTING.md', () => {
  const paths = namedPaths('CONTRIBUTING.md');

  it('names the folders and files a contributor touches', () => {
    expect(paths.length).toBeGreaterThan(30);
  });

  it.each(paths)('names %s, which exists', (path) => {
    expect(existsSync(new URL(`../${path}`, import.meta.url))).toBe(true);
  });
});
