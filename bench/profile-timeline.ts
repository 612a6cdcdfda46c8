/**
 * `node --import tsx bench/profile-timeline.ts DIR [--step MS]`: where a whole process's wall time
 * went, thread by thread, from the CPU profiles `node --cpu-prof --cpu-prof-dir=DIR` writes (one per
 * thread: the main thread, then each worker in the order it started). For each thread, its start and
 * end, and for each window of MS milliseconds (100 by default) from the process's first sample, how
 * busy it was (samples not idle) and the three functions with the most self time in it. The clock
 * is the profiles' own, shared by the threads of one process, so the windows line up across threads:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --cpu-prof-interval 200 bin/l2bench.js run …
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const dir = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--step');
const stepAt = args.indexOf('--step');
const stepMs = stepAt >= 0 ? Number(args[stepAt + 1]) : 100;
if (!dir || !(stepMs > 0)) {
  process.stderr.write('usage: profile-timeline.ts DIR [--step MS]\n');
  process.exit(2);
}
const profiles = readdirSync(dir)
  .filter((f) => f.endsWith('.cpuprofile'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Profile);
const t0 = Math.min(...profiles.map((p) => p.startTime));
const ms = (us: number) => Math.round((us - t0) / 1000);

/** Self time (µs) by function in each window of one thread; a sample lasts until the next one. */
function windows(p: Profile): Map<number, Map<string, number>> {
  const frames = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const out = new Map<number, Map<string, number>>();
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] as number;
    const f = frames.get(p.samples[i] as number);
    if (!f) continue;
    const file = f.url.split('/').pop() ?? '';
    const name = f.functionName.startsWith('(') ? f.functionName : `${f.functionName || '(anonymous)'} ${file}`;
    const w = Math.floor((t - t0) / 1000 / stepMs);
    const m = out.get(w) ?? new Map<string, number>();
    out.set(w, m);
    m.set(name, (m.get(name) ?? 0) + ((p.timeDeltas[i + 1] ?? 0) as number));
  }
  return out;
}

profiles.forEach((p, k) => {
  console.log(`thread ${k}${k === 0 ? ' (main)' : ''}: ${ms(p.startTime)}..${ms(p.endTime)} ms`);
  for (const [w, m] of [...windows(p)].sort((a, b) => a[0] - b[0])) {
    const total = [...m.values()].reduce((a, b) => a + b, 0);
    if (total === 0) continue;
    const idle = m.get('(idle)') ?? 0;
    const top = [...m]
      .filter(([name]) => name !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([name, us]) => `${name} ${Math.round((100 * us) / total)}%`);
    const busy = Math.round((100 * (total - idle)) / total);
    console.log(`  ${String(w * stepMs).padStart(6)} ms  busy ${String(busy).padStart(3)}%  ${top.join(', ')}`);
  }
});
