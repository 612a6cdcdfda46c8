import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { LabError } from './errors.ts';
import { which } from './host.ts';

/** Every QEMU this process started and has not seen exit: killed when the process exits, however it exits. */
const live = new Set<ChildProcessByStdio<null, Readable, Readable>>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' runs on a normal end, process.exit() and an uncaught exception; a signal that kills the
  // process skips it, which is what setpriv --pdeathsig covers (below).
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** How a QEMU run ended. */
export interface QemuEnd {
  /** exited: on its own (the guest powered off, or QEMU failed); timeout and aborted: we stopped it. */
  readonly how: 'exited' | 'timeout' | 'aborted';
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** QEMU's own error output (its complaints about options, files, devices). */
  readonly stderr: string;
}

/**
 * One QEMU process: the guest's serial console comes out on its stdout, a line at a time, to
 * consoleLog and onConsole. Started under `setpriv --pdeathsig KILL` when setpriv is there, so that
 * QEMU dies with this process even when it is killed outright (SIGKILL, a crash).
 */
export class QemuProcess {
  readonly #child: ChildProcessByStdio<null, Readable, Readable>;
  readonly #ended: Promise<QemuEnd>;
  #stderr = '';
  #partial = '';
  #stopping: 'timeout' | 'aborted' | undefined;

  constructor(
    readonly binary: string,
    readonly args: readonly string[],
    o: { consoleLog: string; onConsole?: ((line: string) => void) | undefined },
  ) {
    installExitHook();
    const setpriv = which('setpriv');
    const [cmd, argv] = setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', binary, ...args]] : [binary, [...args]];
    this.#child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this.#child);
    this.#child.stdout.setEncoding('utf8');
    this.#child.stdout.on('data', (text: string) => {
      appendFileSync(o.consoleLog, text);
      const lines = (this.#partial + text).split('\n');
      this.#partial = lines.pop() ?? '';
      for (const line of lines) o.onConsole?.(line.replace(/\r$/, ''));
    });
    this.#child.stderr.setEncoding('utf8');
    this.#child.stderr.on('data', (text: string) => {
      this.#stderr += text;
    });
    this.#ended = new Promise((resolve, reject) => {
      this.#child.on('error', (e) => {
        live.delete(this.#child);
        reject(new LabError(`cannot start ${binary}: ${e.message}`));
      });
      this.#child.on('close', (code, signal) => {
        live.delete(this.#child);
        resolve({ how: this.#stopping ?? 'exited', code, signal, stderr: this.#stderr });
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /**
   * Wait for QEMU to exit; stop it when timeoutMs passes or signal aborts. Resolves once the process
   * is gone, whichever way.
   */
  async wait(timeoutMs: number, signal?: AbortSignal): Promise<QemuEnd> {
    const timer = setTimeout(() => this.stop('timeout'), timeoutMs);
    const onAbort = () => this.stop('aborted');
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.#ended;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** SIGTERM (QEMU quits at once), SIGKILL 3 s later if it has not. */
  stop(why: 'timeout' | 'aborted'): void {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#stopping ??= why;
    this.#child.kill('SIGTERM');
    setTimeout(() => {
      if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    }, 3000).unref();
  }

  /** Stop it and wait until it is gone (for finally blocks). */
  async kill(): Promise<void> {
    this.stop('aborted');
    await this.#ended.catch(() => undefined);
  }
}
