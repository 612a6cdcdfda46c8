import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { l2bench } from '../cli.ts';
import { tempDir } from '../tmp.ts';

/**
 * The fault battery, FIFOs (issue 20, item 5): `trace stats` streams one, read once; a run, which
 * reads a trace or suite more than once, refuses one in one line before opening it.
 */
const dir = tempDir('l2bench-faults-fifo-');

/** A FIFO at `path`. */
function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

/** Open the FIFO for writing (which waits for a reader) and write `text` into it. */
function fifoWrite(path: string, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = createWriteStream(path);
    w.on('error', reject);
    w.end(text, () => resolve());
  });
}

/** Three events: 2 allocations, 1 free; peak 2 live. */
const TRACE = '# made by hand\nalloc,1,0\nalloc,2,1\nfree,1,0\n';

describe('fault battery: FIFOs', () => {
  it('trace stats streams a FIFO once, as it reads the same file', async () => {
    const file = join(dir, 't.trace');
    writeFileSync(file, `# lost_events: 5 (overrun 5, commit overrun 0, dropped 0, reported 5)\n${TRACE}`);
    const regular = await l2bench(['trace', 'stats', file]);
    const fifo = join(dir, 'f1');
    mkfifo(fifo);
    const writing = fifoWrite(fifo, readFileSync(file, 'utf8'));
    const streamed = await l2bench(['trace', 'stats', fifo]);
    await writing;
    expect(streamed.code).toBe(0);
    expect(streamed.stdout).toBe(regular.stdout.replace(`file            ${file}`, `file            ${fifo}`));
    expect(streamed.stdout).toMatch(/^events {10}3$/m);
    expect(streamed.stdout).toMatch(/^LOST events {5}5: /m);
  });

  it('run refuses a FIFO as a trace in one line, without opening it (a run reads a trace more than once)', async () => {
    const fifo = join(dir, 'f2');
    mkfifo(fifo);
    const out = join(dir, 'fifo-run');
    const r = await l2bench(['run', '-w', `trace:file=${fifo}`, '-s', 'full-page', '--no-throughput', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `l2bench: ${fifo}: a FIFO, not a regular file: a run reads its trace more than once (to check and hash it, then once per replay); save it to a file first (trace stats reads one once)\n`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('run refuses a FIFO as an IOMMU trace, and as a suite, the same way', async () => {
    const fifo = join(dir, 'f3');
    mkfifo(fifo);
    const iommu = await l2bench(['run', '-w', `iommu:trace=${fifo}`, '-s', 'full-page', '--no-throughput']);
    expect(iommu.code).toBe(2);
    expect(iommu.stderr).toMatch(new RegExp(`^l2bench: ${fifo}: a FIFO, not a regular file: a run reads its trace`));
    const suite = await l2bench(['run', '--suite', fifo, '--no-throughput']);
    expect(suite.code).toBe(2);
    expect(suite.stderr).toBe(
      `l2bench: --suite ${fifo}: a FIFO, not a regular file: a suite is read twice (to plan, then to hash it); save it to a file first\n`,
    );
  });
});
