import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];

// Every folder a test file made is removed when the file's tests are done.
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new temporary folder, removed after the test file. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Writes each text to a new numbered file in dir (t0.trace, t1.trace, …) and returns its path. */
export function traceWriter(dir: string): (text: string) => string {
  let n = 0;
  return (text) => {
    const file = join(dir, `t${n++}.trace`);
    writeFileSync(file, text);
    return file;
  };
}
