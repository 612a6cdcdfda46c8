import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Outcome } from '../cli.ts';
import { freePort, slurmConf } from './conf.ts';

const execFileAsync = promisify(execFile);

/** The supervisor: PID 1 of the cluster's PID namespace, which it takes down when told or orphaned. */
const SUPERVISOR = new URL('cluster.sh', import.meta.url).pathname;

/** What a private cluster runs; sbatch and the others are what the tests call. */
const PROGRAMS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'scancel', 'sinfo', 'unshare'];
const INSTALL = 'apt-get install --no-install-recommends slurmctld slurmd slurm-client munge';

/** PATH with the system folders the daemons live in (root's PATH has them; others' may not). */
const PATH = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin']
  .filter((d, i, all) => d && all.indexOf(d) === i)
  .join(delimiter);

const onPath = (program: string) => PATH.split(delimiter).some((d) => existsSync(join(d, program)));

/** Whether this machine can run a private cluster, decided when a test file is collected; why not. */
export function slurmAvailability(): { usable: boolean; reason: string } {
  if (process.platform !== 'linux') return { usable: false, reason: 'Slurm runs on Linux' };
  const missing = PROGRAMS.filter((p) => !onPath(p));
  if (missing.length) return { usable: false, reason: `${missing.join(', ')} not installed (Debian: ${INSTALL})` };
  if (process.getuid?.() !== 0) return { usable: false, reason: 'the daemons of a private cluster run as root' };
  try {
    execFileSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { env: { PATH }, stdio: 'pipe' });
  } catch (e) {
    const err = (e as { stderr?: Buffer }).stderr?.toString().trim();
    return { usable: false, reason: `cannot make a PID namespace for the daemons (${err || (e as Error).message})` };
  }
  return { usable: true, reason: '' };
}

/** The title of a Slurm describe block: says why it is skipped when it is. */
export function slurmTitle(title: string, a: { usable: boolean; reason: string }): string {
  return a.usable ? title : `${title} (skipped: no private Slurm cluster here: ${a.reason})`;
}

/** The state of one task of an array job, as scontrol shows it. */
export interface TaskState {
  task: number;
  state: string;
  exitCode: string;
  restarts: number;
  start: string;
  end: string;
}

/** States a task does not leave by itself. */
const FINAL = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'NODE_FAIL',
  'PREEMPTED',
  'OUT_OF_MEMORY',
  'BOOT_FAIL',
  'DEADLINE',
]);

export const isFinal = (t: TaskState): boolean => FINAL.has(t.state);

/** The processes of this machine in a PID namespace (`pid:[inode]`, as /proc/PID/ns/pid reads). */
export function processesIn(namespace: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) === namespace) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** A private one-node cluster: its folder, and commands pointed at it. */
export interface SlurmCluster {
  /** The cluster's folder: configuration, key, state, spool, logs, sockets; removed when it stops. */
  readonly dir: string;
  /** The PID namespace every process of the cluster runs in (`pid:[inode]`). */
  readonly namespace: string;
  /** A folder for the test's own files (job scripts' output), removed with the cluster. */
  readonly work: string;
  /** The environment of commands pointed at this cluster (SLURM_CONF), without any job's variables. */
  readonly env: Record<string, string>;
  /** Run a Slurm command (sbatch, scancel, …) against this cluster; `env` added. */
  command(program: string, args: readonly string[], options?: { env?: Record<string, string> }): Promise<Outcome>;
  /** The tasks of an array job, from scontrol. */
  tasks(job: string): Promise<TaskState[]>;
  /** Poll the tasks of a job until `done` says so (every listed task final, by default), or fail after `ms`. */
  waitFor(
    job: string,
    tasks: readonly number[],
    options?: { done?: (t: TaskState[]) => boolean; ms?: number },
  ): Promise<TaskState[]>;
  /** Poll until a job (every task of it there is) runs, or fail after `ms`. */
  waitRunning(job: string, ms?: number): Promise<void>;
  /** Stop every daemon and process of the cluster and remove its folder (again: nothing happens). */
  stop(): Promise<void>;
}

/** Variables that would make a task or a run think it is part of another array job. */
const foreign = (name: string) => /^(SLURM_|AWS_BATCH_|JOB_COMPLETION_INDEX$|L2BENCH_SHARD_COUNT$)/.test(name);

/** Last lines of the cluster's logs, for an error that says why it did not start. */
function logTails(dir: string): string {
  return ['munged.out', 'slurmctld.log', 'slurmd.log', 'slurmctld.out', 'slurmd.out']
    .map((f) => join(dir, 'log', f))
    .filter(existsSync)
    .map((f) => `${f}:\n${readFileSync(f, 'utf8').trim().split('\n').slice(-5).join('\n')}`)
    .join('\n');
}

/**
 * Start a private one-node Slurm cluster in a new temporary folder: its own slurm.conf, munge key
 * and socket, state, spool and log folders, and ports nothing listens on; resolves once `sinfo` shows
 * the node idle. Its daemons run in a PID namespace of their own under test/slurm/cluster.sh, which
 * kills them all and removes the folder on `stop()`, or as soon as this process ends in any way.
 */
export async function startCluster(options: { startMs?: number } = {}): Promise<SlurmCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'l2bench-slurm-'));
  // munged wants its socket's folders searchable by all, its key's folder private.
  chmodSync(dir, 0o755);
  for (const sub of ['etc', 'run', 'log', 'state', 'spool', 'work']) mkdirSync(join(dir, sub));
  mkdirSync(join(dir, 'munge'), { mode: 0o700 });
  writeFileSync(join(dir, 'munge/munge.key'), randomBytes(1024), { mode: 0o400 });
  const host = hostname().split('.')[0] as string;
  const ctld = await freePort([]);
  const d = await freePort([ctld]);
  const conf = join(dir, 'etc/slurm.conf');
  writeFileSync(conf, slurmConf(dir, host, { ctld, d }));
  const env: Record<string, string> = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !foreign(k))),
    PATH,
    SLURM_CONF: conf,
    NO_COLOR: '1',
  } as Record<string, string>;

  const supervisor: ChildProcess = spawn(
    'unshare',
    ['--pid', '--fork', '--mount-proc', '--kill-child', 'bash', SUPERVISOR, dir],
    // Its own session: a Ctrl-C at the terminal reaches the test, which closes the pipe; not the daemons.
    { env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => supervisor.once('exit', () => resolve()));
  let complaints = '';
  supervisor.stderr?.on('data', (chunk: Buffer) => {
    complaints = (complaints + chunk.toString()).slice(-2000);
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (supervisor.exitCode === null && supervisor.signalCode === null) {
      supervisor.stdin?.end('stop\n');
      const late = await Promise.race([exited.then(() => false), sleep(60_000).then(() => true)]);
      // Killing unshare kills the namespace's first process (--kill-child), and with it every other.
      if (late) supervisor.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const command = async (program: string, args: readonly string[], o: { env?: Record<string, string> } = {}) => {
    try {
      const { stdout, stderr } = await execFileAsync(program, args, { env: { ...env, ...o.env } });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code: number | string; stdout?: string; stderr?: string; message: string };
      return {
        code: typeof err.code === 'number' ? err.code : -1,
        stdout: err.stdout ?? '',
        stderr: err.stderr ?? err.message,
      };
    }
  };
  const tasks = async (job: string): Promise<TaskState[]> => {
    const r = await command('scontrol', ['show', 'job', '-o', job]);
    if (r.code !== 0) throw new Error(`scontrol show job ${job}: ${r.stderr.trim()}`);
    const field = (line: string, key: string) => new RegExp(`(?:^| )${key}=(\\S*)`).exec(line)?.[1] ?? '';
    return r.stdout
      .trim()
      .split('\n')
      .filter((line) => /^\d+$/.test(field(line, 'ArrayTaskId')))
      .map((line) => ({
        task: Number(field(line, 'ArrayTaskId')),
        state: field(line, 'JobState'),
        exitCode: field(line, 'ExitCode'),
        restarts: Number(field(line, 'Restarts')),
        start: field(line, 'StartTime'),
        end: field(line, 'EndTime'),
      }))
      .sort((a, b) => a.task - b.task);
  };
  const waitFor: SlurmCluster['waitFor'] = async (job, ids, o = {}) => {
    const done = o.done ?? ((ts: TaskState[]) => ids.every((id) => ts.some((t) => t.task === id && isFinal(t))));
    const deadline = Date.now() + (o.ms ?? 300_000);
    for (;;) {
      const now = await tasks(job);
      if (done(now)) return now;
      if (Date.now() > deadline)
        throw new Error(`job ${job}: still ${JSON.stringify(now)} after ${o.ms ?? 300_000} ms`);
      await sleep(200);
    }
  };

  const waitRunning = async (job: string, ms = 300_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const r = await command('squeue', ['-h', '-j', job, '-o', '%T']);
      const states = r.stdout.trim().split('\n');
      if (r.code === 0 && states.every((s) => s === 'RUNNING')) return;
      if (Date.now() > deadline) throw new Error(`job ${job}: not running after ${ms} ms (${r.stdout.trim()})`);
      await sleep(200);
    }
  };
  let namespace = '';
  try {
    const said = await new Promise<string>((resolve) => {
      let out = '';
      supervisor.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
      supervisor.once('exit', () => resolve(out.trim() || `the supervisor exited: ${complaints.trim()}`));
    });
    if (said !== 'ready') throw new Error(said);
    // The supervisor, unshare's one child, is the namespace's first process.
    const first = readFileSync(`/proc/${supervisor.pid}/task/${supervisor.pid}/children`, 'utf8').trim();
    namespace = readlinkSync(`/proc/${first}/ns/pid`);
    // The node idle: slurmctld up, slurmd registered with it.
    const deadline = Date.now() + (options.startMs ?? 60_000);
    for (;;) {
      const r = await command('sinfo', ['-h', '-o', '%T']);
      if (r.code === 0 && r.stdout.trim() === 'idle') break;
      if (Date.now() > deadline) throw new Error(`the node is not idle (sinfo: ${(r.stdout + r.stderr).trim()})`);
      await sleep(200);
    }
  } catch (e) {
    const why = `private Slurm cluster did not start: ${(e as Error).message}\n${logTails(dir)}`;
    await stop();
    throw new Error(why);
  }
  return { dir, namespace, work: join(dir, 'work'), env, command, tasks, waitFor, waitRunning, stop };
}
