import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The checkout, and its command. */
export const ROOT = new URL('..', import.meta.url).pathname;
export const BIN = join(ROOT, 'bin/l2bench.js');

/** How a command ended. */
export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `l2bench ARGS…` in a child process (in the checkout, unless `cwd`), without colour or debug
 * output, `env` added to the environment; resolves to its exit code and output, whatever the code.
 * `bin`: another entry than bin/l2bench.js (the compiled CLI's own modules, dist/cli/main.js).
 */
export async function l2bench(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; bin?: string } = {},
): Promise<Outcome> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [options.bin ?? BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', L2BENCH_DEBUG: '', ...options.env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
