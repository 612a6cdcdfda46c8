/**
 * How long a large run takes to stop: `npx tsx bench/stop-speed.ts [SECONDS…] [--tries N]
 * [--signal SIGINT|SIGTERM|SIGHUP] [--cpu-prof DIR]` starts the CLI on a plan of 10^6 tiny churn
 * cells (4 strategies × live 1..2500 × ops 1..100, one CPU, no throughput), sends the signal that
 * many seconds in (default 10, 20 and 40, taken in turn, 5 tries each), and prints one JSON line a
 * try: seconds from the signal to the process's exit, and the CPU seconds the process spent in them
 * (every thread; what the load of other processes changes least), the cells it kept (its last line
 * says), the exit code and the load average. With --cpu-prof each stop's CPU profile is written
 * into DIR.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    tries: { type: 'string', default: '5' },
    signal: { type: 'string', default: 'SIGINT' },
    'cpu-prof': { type: 'string' },
  },
});
const delays = positionals.length ? positionals.map(Number) : [10, 20, 40];
const signal = values.signal as NodeJS.Signals;

/** The child reports its CPU time (every thread's) as it exits. */
const REPORT = [
  "process.on('exit', () => {",
  '  const u = process.resourceUsage();',
  "  process.stderr.write('cpu ' + (u.userCPUTime + u.systemCPUTime) / 1e6 + '\\n');",
  '});',
].join('\n');

/** CPU seconds process `pid` has used so far (/proc/PID/stat: utime and stime, in clock ticks of 1/100 s). */
function cpuSoFar(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** One run stopped `delay` seconds in. */
async function stopOnce(delay: number): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'l2bench-stop-'));
  const profile = values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : [];
  const args = [
    ...profile,
    '--import',
    `data:text/javascript,${encodeURIComponent(REPORT)}`,
    join(ROOT, 'bin/l2bench.js'),
    'run',
    '-s',
    'full-page,slab-dma32,page-frag,genalloc',
    '-w',
    'churn:live=1..2500+1,ops=1..100+1',
    '--cpus',
    '1',
    '--no-throughput',
    '-o',
    join(dir, 'run'),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise((resolve) => setTimeout(resolve, delay * 1000));
  const load = loadavg()[0];
  const cpuBefore = child.pid === undefined ? Number.NaN : cpuSoFar(child.pid);
  const sent = process.hrtime.bigint();
  child.kill(signal);
  const code = await exited;
  const seconds = Number(process.hrtime.bigint() - sent) / 1e9;
  rmSync(dir, { recursive: true, force: true });
  const kept = /kept (\d+) of/.exec(stderr)?.[1];
  const cpu = Number(/^cpu ([\d.]+)$/m.exec(stderr)?.[1]);
  return {
    delay_s: delay,
    signal,
    stop_s: Number(seconds.toFixed(2)),
    stop_cpu_s: Number((cpu - cpuBefore).toFixed(2)),
    kept: kept === undefined ? null : Number(kept),
    code,
    load1: Number(load?.toFixed(2)),
    ...(kept === undefined ? { stderr: stderr.trim().split('\n').slice(-2).join(' | ') } : {}),
  };
}

for (let t = 0; t < Number(values.tries); t++)
  for (const delay of delays) console.log(JSON.stringify(await stopOnce(delay)));
