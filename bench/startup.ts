/**
 * How long the l2bench command takes to start: `list strategies`, `--help` and `run --help`, each
 * run ROUNDS times, interleaved, as a fresh `node bin/l2bench.js` (the compiled package when dist/
 * is fresh: `npm run startup` builds it first). Prints the median wall time and the median CPU
 * time of the child (user + system, to 10 ms, from /proc), and the load average, which wall time
 * depends on. Never run by `npm test`: no test asserts a time.
 *
 *   npm run startup [-- --rounds 20] [-- --bin path/to/l2bench.js]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { median } from '../results/statistics.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '10' },
    bin: { type: 'string', default: new URL('../bin/l2bench.js', import.meta.url).pathname },
  },
});
const rounds = Number(values.rounds);
const COMMANDS = [['list', 'strategies'], ['--help'], ['run', '--help']];

/** CPU time of this process's waited-for children so far, in ms (cutime + cstime of /proc/self/stat). */
function childCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  // After the ") ", field 3 (state) is index 0: cutime and cstime are fields 16 and 17.
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
}

const wall = COMMANDS.map((): number[] => []);
const cpu = COMMANDS.map((): number[] => []);
const before = loadavg();
for (let r = 0; r < rounds; r++) {
  COMMANDS.forEach((args, i) => {
    const cpu0 = childCpuMs();
    const t0 = process.hrtime.bigint();
    const child = spawnSync(process.execPath, [values.bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (child.status !== 0 || child.stderr.length > 0) {
      process.stderr.write(`startup: l2bench ${args.join(' ')} failed: ${child.stderr.toString().trim()}\n`);
      process.exit(1);
    }
    wall[i]?.push(ms);
    cpu[i]?.push(childCpuMs() - cpu0);
  });
}
const after = loadavg();
const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
console.log(`l2bench startup, ${values.bin}: median of ${rounds} runs, interleaved`);
console.log(`load average before ${load(before)}, after ${load(after)}`);
COMMANDS.forEach((args, i) => {
  const w = wall[i] as number[];
  console.log(
    `${`l2bench ${args.join(' ')}`.padEnd(26)} wall ${median(w).toFixed(0).padStart(5)} ms` +
      ` (min ${Math.min(...w).toFixed(0)}, max ${Math.max(...w).toFixed(0)})` +
      `   cpu ${median(cpu[i] as number[])
        .toFixed(0)
        .padStart(5)} ms`,
  );
});
