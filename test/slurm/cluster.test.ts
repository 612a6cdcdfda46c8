import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../cli.ts';
import { processesIn, slurmAvailability, slurmTitle, startCluster } from './cluster.ts';

const available = slurmAvailability();
const LONG = 300_000;

/** Poll until the namespace has no process and the folder is gone; what is left after `ms` otherwise. */
async function gone(c: { dir: string; namespace: string }, ms: number) {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = { processes: processesIn(c.namespace).length, folder: existsSync(c.dir) };
    if ((left.processes === 0 && !left.folder) || Date.now() > deadline) return left;
    await sleep(100);
  }
}

/**
 * How many processes the namespace holds once it holds at least `n`, or after `ms`: a job is RUNNING
 * in Slurm before its script has forked its last child, and a loaded machine widens that gap.
 */
async function atLeast(namespace: string, n: number, ms: number) {
  const deadline = Date.now() + ms;
  for (;;) {
    const count = processesIn(namespace).length;
    if (count >= n || Date.now() > deadline) return count;
    await sleep(100);
  }
}

describe.skipIf(!available.usable)(slurmTitle('a private Slurm cluster leaves nothing behind', available), () => {
  it(
    'stop() ends the daemons and a running job, and removes the configuration, sockets, state and spool',
    async () => {
      const cluster = await startCluster();
      try {
        const r = await cluster.command('sbatch', [
          '--parsable',
          `--output=${cluster.work}/%j.log`,
          '--wrap',
          'sleep 600',
        ]);
        await cluster.waitRunning(r.stdout.trim());
        // The supervisor, munged, slurmctld, slurmd, the job's slurmstepd, its script and its sleep at least.
        expect(await atLeast(cluster.namespace, 7, 60_000)).toBeGreaterThanOrEqual(7);
        expect(existsSync(join(cluster.dir, 'run/munge.socket'))).toBe(true);
      } finally {
        await cluster.stop();
      }
      expect(await gone(cluster, 0)).toEqual({ processes: 0, folder: false });
    },
    LONG,
  );

  it(
    'a test process killed outright (SIGKILL) leaves no daemon, job, socket or spool either',
    async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/slurm/orphan-child.ts')], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const started = await new Promise<{ dir: string; namespace: string }>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(JSON.parse(out));
        });
        child.once('exit', (code) => reject(new Error(`the child exited (${code}) before its cluster ran a job`)));
      });
      expect(await atLeast(started.namespace, 7, 60_000)).toBeGreaterThanOrEqual(7);
      child.kill('SIGKILL');
      await exited;
      // The supervisor sees its input close and takes everything down.
      expect(await gone(started, 60_000)).toEqual({ processes: 0, folder: false });
    },
    LONG,
  );
});
