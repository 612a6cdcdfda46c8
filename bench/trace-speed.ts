/**
 * Speed of the trace workload on a long native trace, parsing included: generate N lines
 * `alloc,ID,CPU` / `free,ID,CPU` churning around ~2000 live tables (short decimal IDs, never reused,
 * trace CPUs 0..7), then replay the file through the trace workload into a strategy (slab-dma32 by
 * default) with the harness meter on, as `l2bench run` does. Prints one JSON object.
 *
 *   node --import tsx bench/trace-speed.ts [--lines N] [--trace FILE] [--strategy NAME] [--parse-only]
 *
 * --trace FILE keeps the trace there (generated when missing, reused otherwise: 10^8 lines are ~1.6 GB);
 * without it the trace goes to a temporary directory, removed at the end. --parse-only drains the
 * chunks without replaying them. events_per_sec is for the measured pass: reading, parsing and
 * replaying; create_seconds is trace.create()'s own pass (sha256 and checks).
 */
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cell, instantiate } from '../harness/cell.ts';
import { findStrategy } from '../strategies/index.ts';
import { DEFAULT_MACHINE } from '../strategies/machine/machine.ts';
import { parseParams } from '../strategies/params.ts';
import { trace } from '../workloads/trace/index.ts';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const LINES = Number(arg('--lines') ?? 10_000_000);
const LIVE = 2000;
const TRACE_CPUS = 8;
const CPUS = DEFAULT_MACHINE.cpus;
const strategyName = arg('--strategy') ?? 'slab-dma32';
const parseOnly = args.includes('--parse-only');
if (!Number.isSafeInteger(LINES) || LINES < 1) throw new Error(`--lines ${arg('--lines')}: a positive whole number`);

/**
 * Write the trace through a 4 MiB buffer, digits written as bytes (no string per line): ~10^8 lines a
 * minute. A xorshift generator picks the CPU and which live table a free takes; the live count
 * wanders between LIVE - 100 and LIVE + 100.
 */
function writeTrace(file: string): void {
  const SIZE = 4 << 20;
  const buf = Buffer.allocUnsafe(SIZE);
  const fd = openSync(file, 'w');
  let n = 0;
  let state = 0x9e3779b9;
  const rand = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  const live = new Int32Array(LIVE + 200);
  let count = 0;
  let next = 0;
  const digits = new Uint8Array(16);
  const put = (v: number) => {
    let k = 0;
    do {
      digits[k++] = 48 + (v % 10);
      v = Math.floor(v / 10);
    } while (v > 0);
    while (k > 0) buf[n++] = digits[--k] as number;
  };
  for (let i = 0; i < LINES; i++) {
    if (n > SIZE - 64) {
      writeSync(fd, buf, 0, n);
      n = 0;
    }
    const r = rand();
    const cpu = r & (TRACE_CPUS - 1);
    let id: number;
    if (count < LIVE - 100 || (count <= LIVE + 100 && (r & 8) === 0)) {
      id = next++;
      live[count++] = id;
      n += buf.write('alloc,', n, 'latin1');
    } else {
      const k = rand() % count;
      id = live[k] as number;
      live[k] = live[--count] as number;
      n += buf.write('free,', n, 'latin1');
    }
    put(id);
    buf[n++] = 44;
    buf[n++] = 48 + cpu;
    buf[n++] = 10;
  }
  writeSync(fd, buf, 0, n);
  closeSync(fd);
}

const mib = (bytes: number) => +(bytes / (1 << 20)).toFixed(1);
const round = (s: number) => +s.toFixed(2);

const given = arg('--trace');
const dir = given ? undefined : mkdtempSync(join(tmpdir(), 'l2bench-trace-speed-'));
const file = given ?? join(dir as string, 'native.trace');
try {
  let generateSeconds = 0;
  if (!existsSync(file)) {
    const t = performance.now();
    writeTrace(file);
    generateSeconds = (performance.now() - t) / 1000;
  }
  const strategy = findStrategy(strategyName);
  if (!strategy) throw new Error(`no strategy ${strategyName}`);
  const t0 = performance.now();
  const workload = trace.create(parseParams('trace', trace.params, { file }), { seed: 1, cpus: CPUS });
  const t1 = performance.now();
  const cell: Cell = {
    strategy,
    strategyParams: parseParams(strategy.name, strategy.params, {}),
    strategyLabel: strategy.name,
    workload,
    machine: { ...DEFAULT_MACHINE, cpus: CPUS },
    kernel: '5.1',
    seed: 1,
    check: false,
    timed: true,
  };
  const { meter } = instantiate(cell);
  const rssBefore = process.memoryUsage().rss;
  let rss = rssBefore;
  let events = 0;
  let chunks = 0;
  const t2 = performance.now();
  for (const chunk of workload.chunks()) {
    if (!parseOnly) meter.replay(chunk);
    events += chunk.length;
    if (++chunks % 1024 === 0) rss = Math.max(rss, process.memoryUsage().rss);
  }
  const seconds = (performance.now() - t2) / 1000;
  if (!parseOnly && meter.events !== events) throw new Error('the meter lost events');
  console.log(
    JSON.stringify({
      lines: LINES,
      trace_bytes: statSync(file).size,
      strategy: parseOnly ? null : strategy.name,
      events,
      seconds: round(seconds),
      events_per_sec: Math.round(events / seconds),
      generate_seconds: round(generateSeconds),
      create_seconds: round((t1 - t0) / 1000),
      create_lines_per_sec: Math.round(LINES / ((t1 - t0) / 1000)),
      peak_live_tables: parseOnly ? null : meter.peakLive,
      rss_before_replay_mib: mib(rssBefore),
      peak_rss_during_replay_mib: mib(rss),
      peak_rss_mib: mib(process.resourceUsage().maxRSS * 1024),
    }),
  );
} finally {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
