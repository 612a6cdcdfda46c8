import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BIN, l2bench } from '../cli.ts';
import { tempDir } from '../tmp.ts';

/**
 * The fault battery, inputs (issue 20, item 5): suite numbers, timer limits, corrupt gzip, and
 * errors that name the flag given (or the default), each with the outcome known in advance.
 */
const dir = tempDir('l2bench-faults-inputs-');

describe('fault battery: inputs', () => {
  it('refuses a kernel version written as a number (YAML reads 5.10 as 5.1), naming the field', async () => {
    const file = join(dir, 'numbers.yaml');
    writeFileSync(file, "name: n\nkernel: [5.10]\ngroups:\n  - name: g\n    workloads: ['hold:tables=1']\n");
    const r = await l2bench(['run', '--suite', file, '-s', 'full-page', '--no-throughput']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `l2bench: ${file}: kernel.0: 5.1 is a number: write kernel versions as text, quoted ('5.1'), since YAML reads 5.10 as 5.1\n`,
    );
  });

  it('--cell-timeout stays within the timer: 2147484 s is refused, 2147483 s runs (no cell times out at once)', async () => {
    const one = ['run', '-w', 'hold:tables=1', '-s', 'full-page', '--no-throughput'];
    const over = await l2bench([...one, '--cell-timeout', '2147484']);
    expect(over.code).toBe(2);
    expect(over.stderr).toBe(
      "l2bench: --cell-timeout 2147484: out of range (allowed 0.001 to 2147483.647 seconds, the timer's limit)\n",
    );
    const out = join(dir, 'long-timeout');
    const at = await l2bench([...one, '--format', 'csv', '--cell-timeout', '2147483', '-o', out]);
    expect(at.code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'))).toMatchObject({ complete: true, cells: 1 });
  });

  it('names a gzip file corrupt in the middle as corrupt, in trace stats and in run, not by its garbage', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 50_000; i++) lines.push(`alloc,${i},0`, `free,${i},0`);
    const gz = Buffer.from(gzipSync(`${lines.join('\n')}\n`));
    for (let k = 0; k < 64; k++) gz.writeUInt8(gz.readUInt8((gz.length >> 1) + k) ^ 0x5a, (gz.length >> 1) + k);
    const file = join(dir, 'corrupt.trace.gz');
    writeFileSync(file, gz);
    const corrupt = new RegExp(`^l2bench: ${file}: gzip data is corrupt or cut short \\(`);
    const stats = await l2bench(['trace', 'stats', file]);
    expect(stats.code).toBe(2);
    expect(stats.stderr).toMatch(corrupt);
    const run = await l2bench(['run', '-w', `trace:file=${file}`, '-s', 'full-page', '--no-throughput']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(corrupt);
  });

  it('names the default output folder, not a flag never given, when the working directory is read-only', async () => {
    const ro = join(dir, 'read-only');
    mkdirSync(ro);
    chmodSync(dir, 0o755);
    chmodSync(ro, 0o555);
    // Root writes anywhere, whatever the mode: as root the folder is made read-only by a bind mount in
    // a mount namespace of the command's own (running it as another user would need the checkout to
    // be readable by that user, which a checkout under a private folder is not).
    const asRoot = process.getuid?.() === 0;
    const run = [BIN, 'run', '-w', 'hold:tables=1', '-s', 'full-page', '--no-throughput'];
    const readOnly = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && cd "$1" && shift && exec "$@"';
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const env = { ...process.env, NO_COLOR: '1', L2BENCH_DEBUG: '', HOME: ro };
      const child = asRoot
        ? spawn('unshare', ['-m', 'sh', '-c', readOnly, 'sh', ro, process.execPath, ...run], { env })
        : spawn(process.execPath, run, { cwd: ro, env });
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.on('exit', (code) => resolve({ code, stderr }));
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^l2bench: no --out given, and the default runs\/[0-9TZ-]+: cannot create the folder, as its parent runs cannot be created \((EACCES|EROFS)\); give --out DIR\n$/,
    );
  });
});
