import { createServer } from 'node:net';

/** A TCP port nothing listens on now (a Slurm already running keeps its own), from 20000–29999. */
export async function freePort(taken: readonly number[]): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    if (taken.includes(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** One node (this host, 2 CPUs) in one partition, every file in `dir`. */
export function slurmConf(dir: string, host: string, ports: { ctld: number; d: number }): string {
  return `${[
    'ClusterName=l2bench-test',
    `SlurmctldHost=${host}(127.0.0.1)`,
    `SlurmctldPort=${ports.ctld}`,
    `SlurmdPort=${ports.d}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/munge',
    'CredType=cred/munge',
    // Our munged's socket; a requeued job waits cred_expire seconds (default 120, at least 5) before it runs again.
    `AuthInfo=socket=${dir}/run/munge.socket,cred_expire=5`,
    'MpiDefault=none',
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_CPU',
    'SchedulerType=sched/builtin',
    // Pending jobs are looked at every 2 s (default 60): a requeued job starts soon after cred_expire.
    'SchedulerParameters=sched_interval=2',
    'SlurmdParameters=config_overrides',
    'ReturnToService=2',
    // Finished jobs stay visible to scontrol for the test's life; scancel's SIGKILL comes KillWait after SIGTERM.
    'MinJobAge=3600',
    'KillWait=30',
    `StateSaveLocation=${dir}/state`,
    `SlurmdSpoolDir=${dir}/spool`,
    `SlurmctldPidFile=${dir}/run/slurmctld.pid`,
    `SlurmdPidFile=${dir}/run/slurmd.pid`,
    `SlurmctldLogFile=${dir}/log/slurmctld.log`,
    `SlurmdLogFile=${dir}/log/slurmd.log`,
    `NodeName=${host} NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN`,
    `PartitionName=l2bench Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
  ].join('\n')}\n`;
}
