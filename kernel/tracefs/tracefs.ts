import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { environment, errnoOf } from './errors.ts';

/** Where tracefs lives on current kernels, and where record mounts it when it is not mounted. */
const TRACEFS = '/sys/kernel/tracing';

/** The tracefs mount point: found in /proc/mounts, or mounted at /sys/kernel/tracing. */
export function ensureTracefs(): string {
  const mounted = tracefsMounts();
  if (mounted.length > 0) return mounted.includes(TRACEFS) ? TRACEFS : (mounted[0] as string);
  if (!existsSync(TRACEFS)) {
    throw environment(`no tracefs: ${TRACEFS} does not exist (a kernel without CONFIG_TRACING?)`);
  }
  const r = spawnSync('mount', ['-t', 'tracefs', 'nodev', TRACEFS], { encoding: 'utf8' });
  if (r.status !== 0) {
    const why = (r.stderr ?? '').trim().split('\n')[0] || (r.error ? errnoOf(r.error) : `exit ${r.status}`);
    throw environment(`no tracefs: cannot mount it at ${TRACEFS} (${why})`);
  }
  return TRACEFS;
}

/** Mount points of tracefs, from /proc/mounts (octal escapes decoded). */
function tracefsMounts(): string[] {
  let text: string;
  try {
    text = readFileSync('/proc/mounts', 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[2] === 'tracefs' && f[1] !== undefined)
    .map((f) =>
      (f[1] as string).replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))),
    );
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Instances this process made and has not removed yet: removed on exit, whatever the exit. */
const live = new Set<Instance>();
let exitHook = false;

/**
 * A tracing instance of our own (instances/l2bench-PID-RANDOM): its own buffer, events and filters,
 * leaving the global buffer and other tracers' instances alone. remove() takes it away; a process
 * 'exit' hook removes any left (an exception, process.exit), and the record command turns SIGINT
 * and SIGTERM into a clean stop that removes it too.
 */
export class Instance {
  readonly name: string;
  readonly path: string;
  readonly #fds = new Set<number>();
  #removed = false;

  constructor(readonly root: string) {
    this.name = `l2bench-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.path = join(root, 'instances', this.name);
    try {
      mkdirSync(this.path);
    } catch (e) {
      throw environment(`cannot make a tracing instance ${this.path} (${errnoOf(e)})`);
    }
    live.add(this);
    if (!exitHook) {
      exitHook = true;
      process.on('exit', () => {
        for (const i of live) i.remove();
      });
    }
  }

  /** Write a control file of the instance (events/kmem/kmalloc/filter, buffer_size_kb, …). */
  write(file: string, text: string): void {
    try {
      writeFileSync(join(this.path, file), text);
    } catch (e) {
      // The kernel explains a refused filter in error_log.
      const log = this.#lastError();
      throw environment(`cannot write ${JSON.stringify(text)} to ${file} (${errnoOf(e)}${log ? `: ${log}` : ''})`);
    }
  }

  read(file: string): string {
    return readFileSync(join(this.path, file), 'utf8');
  }

  /** Open a file of the instance; the fd is closed by remove() if not before. */
  open(file: string, flags: number): number {
    const fd = openSync(join(this.path, file), flags);
    this.#fds.add(fd);
    return fd;
  }

  close(fd: number): void {
    if (this.#fds.delete(fd)) closeSync(fd);
  }

  /** Stop tracing, close what is open and remove the instance (rmdir); safe to call twice. */
  remove(): void {
    if (this.#removed) return;
    try {
      writeFileSync(join(this.path, 'tracing_on'), '0');
    } catch {
      // Gone already, or never fully made: rmdir says.
    }
    for (const fd of this.#fds) closeSync(fd);
    this.#fds.clear();
    for (let tries = 0; ; tries++) {
      try {
        rmdirSync(this.path);
        break;
      } catch (e) {
        const code = errnoOf(e);
        if (code === 'ENOENT') break;
        // EBUSY while a reader of ours is still closing; give it a moment.
        if (code !== 'EBUSY' || tries === 50) {
          live.delete(this);
          this.#removed = true;
          throw environment(`cannot remove the tracing instance ${this.path} (${code}): remove it with rmdir`);
        }
        sleepSync(20);
      }
    }
    this.#removed = true;
    live.delete(this);
  }

  /** The last line of the kernel's explanation in error_log, if any. */
  #lastError(): string {
    try {
      const lines = readFileSync(join(this.path, 'error_log'), 'utf8').trimEnd().split('\n');
      const last = lines.filter((l) => l.includes('error:')).pop();
      return last === undefined ? '' : last.replace(/^\[[^\]]*\]\s*/, '').trim();
    } catch {
      return '';
    }
  }
}
