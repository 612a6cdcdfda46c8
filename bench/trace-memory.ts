/**
 * Memory and speed of the trace workload on a long native trace: 10^7 lines churning around ~2000
 * live tables. Peak RSS should stay near that of a small trace: the reader streams the file and only
 * live pointers are kept. Run with `npx tsx bench/trace-memory.ts [LINES] [--stats] [--trace FILE]`;
 * prints one JSON object. --stats measures `trace stats` (traceStats: counts and lifetime quantiles)
 * instead of the workload's replay; --trace FILE keeps the trace there (reused when it exists).
 */
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseParams } from '../core/params.ts';
import { seeded } from '../workloads/random.ts';
import { trace } from '../workloads/trace/index.ts';
import { traceStats } from '../workloads/trace/stats.ts';

const args = process.argv.slice(2);
const traceArg = args.indexOf('--trace') >= 0 ? args[args.indexOf('--trace') + 1] : undefined;
const LINES = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--trace') ?? 10_000_000);
const STATS = args.includes('--stats');
const LIVE = 2000;
const CPUS = 8;

/** Write the trace in ~1 MiB pieces; IDs look like kernel pointers (16 hex digits) and are never reused. */
function writeTrace(file: string): void {
  const rng = seeded(42);
  const live: number[] = [];
  let next = 0;
  let out = '';
  const fd = openSync(file, 'w');
  const ptr = (n: number) => `ffff8880${n.toString(16).padStart(8, '0')}`;
  for (let i = 0; i < LINES; i++) {
    const cpu = rng.int(0, CPUS - 1);
    const grow = live.length < LIVE - 100 || (live.length <= LIVE + 100 && rng.int(0, 1) === 0);
    if (grow) {
      live.push(next);
      out += `alloc,${ptr(next++)},${cpu}\n`;
    } else {
      const k = rng.int(0, live.length - 1);
      const id = live[k] as number;
      live[k] = live[live.length - 1] as number;
      live.pop();
      out += `free,${ptr(id)},${cpu}\n`;
    }
    if (out.length > 1 << 20) {
      writeSync(fd, out);
      out = '';
    }
  }
  writeSync(fd, out);
  closeSync(fd);
}

const mib = (bytes: number) => +(bytes / (1 << 20)).toFixed(1);

const dir = traceArg ? undefined : mkdtempSync(join(tmpdir(), 'l2bench-trace-'));
try {
  const file = traceArg ?? join(dir as string, 'churn.trace');
  if (!existsSync(file)) writeTrace(file);
  if (STATS) {
    const rssBefore = process.memoryUsage().rss;
    const t = performance.now();
    const s = traceStats(file);
    const seconds = (performance.now() - t) / 1000;
    console.log(
      JSON.stringify({
        mode: 'trace stats',
        lines: LINES,
        events: s.events,
        freed_tables: s.lifetime.count,
        lifetime: s.lifetime,
        seconds: +seconds.toFixed(2),
        rss_before_mib: mib(rssBefore),
        peak_rss_mib: mib(process.resourceUsage().maxRSS * 1024),
      }),
    );
  } else replayMemory(file);
} finally {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

function replayMemory(file: string): void {
  const t0 = performance.now();
  const w = trace.create(parseParams('trace', trace.params, { file }), { seed: 1, cpus: 4 });
  const t1 = performance.now();
  const rssBefore = process.memoryUsage().rss;
  let replayRss = rssBefore;
  let events = 0;
  let chunks = 0;
  let maxId = 0;
  for (const c of w.chunks()) {
    events += c.length;
    for (let i = 0; i < c.length; i++) if ((c.id[i] as number) > maxId) maxId = c.id[i] as number;
    if (++chunks % 256 === 0) replayRss = Math.max(replayRss, process.memoryUsage().rss);
  }
  const seconds = (performance.now() - t1) / 1000;
  console.log(
    JSON.stringify({
      lines: LINES,
      events,
      create_seconds: +((t1 - t0) / 1000).toFixed(2),
      seconds: +seconds.toFixed(2),
      events_per_second: Math.round(events / seconds),
      max_table_id: maxId,
      rss_before_replay_mib: mib(rssBefore),
      peak_rss_during_replay_mib: mib(replayRss),
      peak_rss_mib: mib(process.resourceUsage().maxRSS * 1024),
    }),
  );
}
