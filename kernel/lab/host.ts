import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { LabError, LabInterrupted } from './errors.ts';

/** How a host command ended, with its output. */
export interface Ran {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The path of an executable on PATH (or the path itself when it has a slash), or undefined. */
export function which(cmd: string, path = process.env.PATH ?? ''): string | undefined {
  const candidates = cmd.includes('/') ? [cmd] : path.split(delimiter).map((d) => join(d || '.', cmd));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/** A quick query (dpkg-query, apt-cache, --version): its output, or undefined when it cannot run. */
export function query(cmd: string, args: readonly string[]): Ran | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, LC_ALL: 'C' } });
  if (r.error) return undefined;
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Run a command to its end with its output captured; when signal aborts, the command gets SIGTERM
 * (SIGKILL 5 s later) and the promise rejects with LabInterrupted once it has exited.
 */
function run(
  cmd: string,
  args: readonly string[],
  o: { cwd?: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal | undefined } = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(new LabInterrupted(cmd));
    const child = spawn(cmd, args, {
      cwd: o.cwd,
      env: { ...process.env, LC_ALL: 'C', ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let killer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      child.kill('SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      o.signal?.removeEventListener('abort', onAbort);
      reject(new LabError(`cannot run ${cmd}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      o.signal?.removeEventListener('abort', onAbort);
      if (killer) clearTimeout(killer);
      if (o.signal?.aborted) return reject(new LabInterrupted(cmd));
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** A command's failure as one line: what was being done, how it ended, its last line of error output. */
function failed(what: string, r: Ran): LabError {
  const last = (r.stderr.trim() || r.stdout.trim()).split('\n').pop()?.trim() ?? '';
  const how = r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
  return new LabError(`${what} failed (${how})${last ? `: ${last}` : ''}`);
}

/** Run, and throw the failure's one line unless it exits 0. */
export async function runOk(
  what: string,
  cmd: string,
  args: readonly string[],
  o: { cwd?: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal | undefined } = {},
): Promise<Ran> {
  const r = await run(cmd, args, o);
  if (r.code !== 0) throw failed(what, r);
  return r;
}
