/**
 * Speed of the trace workload on a long trace. Prints one JSON object.
 *
 * By default (`npm run trace-speed`), whole processes, as a user runs them, on a 3 M-line ftrace
 * kmem file (generated, below): in each of R interleaved rounds (default 3), the mawk script
 * (awkScript below), then `l2bench run -s full-page -w trace:file=F --cpus 2 --no-throughput` with
 * an empty event cache (the first run: it reads, hashes and converts the trace) and the same command
 * again (the second run: it replays the cached conversion). Wall and CPU time of each process (bash's
 * `times`), and the two ratios issue 21 asks for, each the median over rounds of the round's pair:
 * awk's wall time over the first run's (goal ≥ 1: at least as fast as mawk) and the first run's
 * over the second's (goal ≥ 3). The cache is a temporary folder, never the user's.
 *
 *   node --import tsx bench/trace-speed.ts [--lines N] [--trace FILE] [--strategy NAME] [--rounds R] [--awk PATH]
 *
 * With --in-process, inside this process instead: generate N lines, then replay the file through
 * the trace workload into a strategy (slab-dma32 by default) with the harness meter on, as `l2bench
 * run` does:
 *
 *   node --import tsx bench/trace-speed.ts --in-process [--format native|ftrace] [--lines N] [--trace FILE]
 *     [--strategy NAME] [--parse-only] [--rounds R] [--awk PATH]
 *
 * --format native (the default): `alloc,ID,CPU` / `free,ID,CPU` churning around ~2000 live tables
 * (short decimal IDs, never reused, trace CPUs 0..7).
 *
 * --format ftrace: tracefs text of the kmem events as Linux 6.18 prints them (kmalloc,
 * kmem_cache_alloc, kfree, kmem_cache_free; ~40% of allocations are 1 KiB tables, the rest other
 * sizes, frees of both; ~2000 live tables), and beside l2bench's replay a minimal awk script that
 * tracks the same live pointers (awkScript below), timed in R interleaved rounds (default 3): the
 * medians of both rates and their ratio, and the load average, since the machine may be shared.
 *
 * --trace FILE keeps the trace there (generated when missing, reused otherwise: 10^8 lines are ~1.6 GB);
 * without it the trace goes to a temporary directory, removed at the end. --parse-only drains the
 * chunks without replaying them. events_per_sec is for the measured pass: reading, parsing and
 * replaying; create_seconds is trace.create()'s own pass (sha256 and checks).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_KERNEL } from '../core/kernel.ts';
import { parseParams } from '../core/params.ts';
import { type Cell, instantiate } from '../harness/cell.ts';
import { median } from '../results/statistics.ts';
import { findStrategy } from '../strategies/index.ts';
import { DEFAULT_MACHINE } from '../strategies/machine/machine.ts';
import { trace } from '../workloads/trace/index.ts';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const WHOLE = !args.includes('--in-process');
const LINES = Number(arg('--lines') ?? (WHOLE ? 3_000_000 : 10_000_000));
const LIVE = 2000;
const TRACE_CPUS = 8;
const CPUS = DEFAULT_MACHINE.cpus;
const strategyName = arg('--strategy') ?? (WHOLE ? 'full-page' : 'slab-dma32');
const parseOnly = args.includes('--parse-only');
const FORMAT = arg('--format') ?? (WHOLE ? 'ftrace' : 'native');
if (WHOLE && FORMAT !== 'ftrace')
  throw new Error('whole-process rounds compare with awk on ftrace: --in-process for native');
const ROUNDS = Number(arg('--rounds') ?? 3);
const AWK = arg('--awk') ?? 'awk';
if (FORMAT !== 'native' && FORMAT !== 'ftrace') throw new Error(`--format ${FORMAT}: native or ftrace`);
if (!Number.isSafeInteger(ROUNDS) || ROUNDS < 1)
  throw new Error(`--rounds ${arg('--rounds')}: a positive whole number`);
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

/**
 * Write an ftrace-format trace of LINES lines, bytes written straight into a 4 MiB buffer: half
 * allocations (40% of them 1 KiB, as kmalloc or kmem_cache_alloc; the rest 64 to 4096 bytes), half
 * frees of live pointers of either kind (kfree or kmem_cache_free), around LIVE live of each.
 * Pointers are 16 hex digits as %p prints them, never reused.
 */
function writeFtrace(file: string): void {
  const SIZE = 4 << 20;
  const buf = Buffer.allocUnsafe(SIZE);
  const fd = openSync(file, 'w');
  let n = 0;
  let state = 0x2545f491;
  const rand = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  const live = [new Float64Array(LIVE + 200), new Float64Array(LIVE + 200)]; // tables, others
  const count = new Int32Array(2);
  let next = 0x1000;
  let usec = 0;
  const HEX = Buffer.from('0123456789abcdef');
  const putHex16 = (v: number) => {
    for (let k = 15; k >= 0; k--) {
      buf[n + k] = HEX[v % 16] as number;
      v = Math.floor(v / 16);
    }
    n += 16;
  };
  const put = (s: string) => {
    n += buf.write(s, n, 'latin1');
  };
  const SIZES = ['64', '128', '512', '4096'];
  for (let i = 0; i < LINES; i++) {
    if (n > SIZE - 512) {
      writeSync(fd, buf, 0, n);
      n = 0;
    }
    const r = rand();
    const cpu = r & (TRACE_CPUS - 1);
    usec += 1 + (r >>> 28);
    const table = (r & 0x70) < 0x30 ? 0 : 1; // 3 in 8 events are about tables
    const k = count[table] as number;
    const grow = k < LIVE - 100 || (k <= LIVE + 100 && (r & 8) === 0);
    put(cpu & 1 ? '            bash-2976    [00' : '         timeout-2979    [00');
    put(`${cpu}] .....   ${Math.floor(usec / 1e6)}.${String(usec % 1e6).padStart(6, '0')}: `);
    if (grow) {
      const ptr = next++;
      (live[table] as Float64Array)[k] = ptr;
      count[table] = k + 1;
      const cache = (r & 0x100) !== 0;
      put(
        cache
          ? 'kmem_cache_alloc: call_site=mempool_alloc_noprof+0x52/0x1c0 ptr='
          : 'kmalloc: call_site=load_elf_phdrs+0x49/0xc0 ptr=',
      );
      putHex16(ptr);
      const bytes = table === 0 ? '1024' : (SIZES[(r >>> 9) & 3] as string);
      put(cache ? ` name=cache-${bytes} bytes_req=${bytes}` : ' bytes_req=728');
      put(` bytes_alloc=${bytes} gfp_flags=GFP_KERNEL node=-1 accounted=false\n`);
    } else {
      const at = rand() % k;
      const arr = live[table] as Float64Array;
      const ptr = arr[at] as number;
      count[table] = k - 1;
      arr[at] = arr[k - 1] as number;
      const cache = (r & 0x100) !== 0;
      put(
        cache
          ? 'kmem_cache_free: call_site=__sg_free_table+0x5b/0xd0 ptr='
          : 'kfree: call_site=load_elf_binary+0xd5a/0x18a0 ptr=',
      );
      putHex16(ptr);
      put(cache ? ` name=cache\n` : '\n');
    }
  }
  writeSync(fd, buf, 0, n);
  closeSync(fd);
}

/**
 * The awk baseline: the least a script does to replay the same trace, tracking live pointers as
 * l2bench does (allocations of bytes_alloc=1024 kept, a pointer allocated again frees its table,
 * frees of other pointers skipped). Events are told by field 5, not by a regex over the line, which
 * would also match call sites such as kmalloc_reserve. It prints its counts, checked against l2bench's.
 */
const awkScript = [
  '$5 == "kmalloc:" || $5 == "kmem_cache_alloc:" {',
  '  p = substr($7, 5); if (p in live) { delete live[p]; r++ }',
  '  if (index($0, " bytes_alloc=1024 ")) { live[p] = 1; a++ }',
  '  next',
  '}',
  '$5 == "kfree:" || $5 == "kmem_cache_free:" { p = substr($7, 5); if (p in live) { delete live[p]; f++ } else s++ }',
  'END { print a + 0, f + 0, s + 0, r + 0 }',
].join('\n');

/** `1m2.500s` (bash's times) in seconds. */
const minutesSeconds = (t: string) => {
  const m = /^(\d+)m([\d.]+)s$/.exec(t);
  return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
};

const mib = (bytes: number) => +(bytes / (1 << 20)).toFixed(1);
const round = (s: number) => +s.toFixed(2);

const given = arg('--trace');
const dir = given ? undefined : mkdtempSync(join(tmpdir(), 'l2bench-trace-speed-'));
const file = given ?? join(dir as string, `${FORMAT}.trace`);
// process.exit skips finally blocks: the measuring ends by returning, and the trace goes before any exit.
let exitWhenDone = false;
try {
  exitWhenDone = measure();
} finally {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
if (exitWhenDone) process.exit(0);

/** The mode asked for, measured and printed; true when the process should then exit at once (the modes that always did). */
function measure(): boolean {
  let generateSeconds = 0;
  if (!existsSync(file)) {
    const t = performance.now();
    if (FORMAT === 'ftrace') writeFtrace(file);
    else writeTrace(file);
    generateSeconds = (performance.now() - t) / 1000;
  }
  const strategy = findStrategy(strategyName);
  if (!strategy) throw new Error(`no strategy ${strategyName}`);
  if (WHOLE) {
    wholeProcessRounds(file, generateSeconds);
    return true;
  }
  const t0 = performance.now();
  const workload = trace.create(parseParams('trace', trace.params, { file }), { seed: 1, cpus: CPUS });
  const t1 = performance.now();
  const cell: Cell = {
    strategy,
    strategyParams: parseParams(strategy.name, strategy.params, {}),
    strategyLabel: strategy.name,
    workload,
    machine: { ...DEFAULT_MACHINE, cpus: CPUS },
    kernel: DEFAULT_KERNEL,
    seed: 1,
    check: false,
    timed: true,
  };
  if (FORMAT === 'ftrace') {
    ftraceRounds(cell, t1 - t0, generateSeconds);
    return true;
  }
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
  return false;
}

/** awk and l2bench on the same ftrace file, interleaved, ROUNDS times: medians, ratio, and whether they agree. */
function ftraceRounds(cell: Cell, createMs: number, generateSeconds: number): void {
  const load = [loadavg()[0] as number];
  const rounds: {
    awk_seconds: number;
    l2bench_seconds: number;
    awk_cpu_seconds: number;
    l2bench_cpu_seconds: number;
  }[] = [];
  let awkCounts = '';
  let counts = '';
  let events = 0;
  for (let r = 0; r < ROUNDS; r++) {
    // bash's `times` gives the CPU time of its child, awk: less disturbed than wall time on a shared machine.
    const a0 = performance.now();
    const res = spawnSync('bash', ['-c', `"$0" "$1" "$2" && times`, AWK, awkScript, file], { encoding: 'utf8' });
    const awkSeconds = (performance.now() - a0) / 1000;
    if (res.status !== 0) throw new Error(`${AWK} failed: ${res.stderr || res.error?.message}`);
    const [counted, , children] = res.stdout.trim().split('\n');
    awkCounts = (counted as string).trim();
    const awkCpu = (children as string).split(/\s+/).reduce((t, x) => t + minutesSeconds(x), 0);
    const { meter } = instantiate(cell);
    const cpu0 = process.cpuUsage();
    const l0 = performance.now();
    events = 0;
    for (const chunk of cell.workload.chunks()) {
      if (!parseOnly) meter.replay(chunk);
      events += chunk.length;
    }
    const l2Seconds = (performance.now() - l0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    counts = `${meter.allocs} ${meter.frees}`;
    rounds.push({
      awk_seconds: round(awkSeconds),
      l2bench_seconds: round(l2Seconds),
      awk_cpu_seconds: round(awkCpu),
      l2bench_cpu_seconds: round((cpu.user + cpu.system) / 1e6),
    });
    load.push(loadavg()[0] as number);
  }
  const [a, f] = awkCounts.split(' ');
  const awkRate = LINES / median(rounds.map((x) => x.awk_seconds));
  const l2Rate = LINES / median(rounds.map((x) => x.l2bench_seconds));
  console.log(
    JSON.stringify({
      format: 'ftrace',
      lines: LINES,
      trace_bytes: statSync(file).size,
      strategy: parseOnly ? null : cell.strategy.name,
      events,
      awk: AWK,
      awk_counts: awkCounts,
      agree: parseOnly || `${a} ${f}` === counts,
      rounds,
      awk_lines_per_sec: Math.round(awkRate),
      l2bench_lines_per_sec: Math.round(l2Rate),
      l2bench_events_per_sec: Math.round(events / median(rounds.map((x) => x.l2bench_seconds))),
      ratio_l2bench_over_awk: +(l2Rate / awkRate).toFixed(2),
      cpu_ratio_awk_over_l2bench: +(
        median(rounds.map((x) => x.awk_cpu_seconds)) / median(rounds.map((x) => x.l2bench_cpu_seconds))
      ).toFixed(2),
      create_seconds: round(createMs / 1000),
      generate_seconds: round(generateSeconds),
      load_average_1min: load.map((x) => +x.toFixed(2)),
      peak_rss_mib: mib(process.resourceUsage().maxRSS * 1024),
    }),
  );
}

/** A command's wall and CPU seconds (user + system of the children of bash, which ran it), and its stdout. */
function timed(command: string, argv: string[], env: NodeJS.ProcessEnv = process.env) {
  const t0 = performance.now();
  const res = spawnSync('bash', ['-c', '"$@" && times', 'timed', command, ...argv], { encoding: 'utf8', env });
  const seconds = (performance.now() - t0) / 1000;
  if (res.status !== 0) throw new Error(`${command} failed: ${res.stderr || res.error?.message}`);
  const out = res.stdout.trim().split('\n');
  const children = out.at(-1) as string;
  const cpu = children.split(/\s+/).reduce((t, x) => t + minutesSeconds(x), 0);
  return { seconds, cpu, stdout: out.slice(0, -2).join('\n') };
}

/**
 * mawk, then `l2bench run` with an empty event cache, then again with the cache it filled, ROUNDS
 * times interleaved; the ratios of each round's pair, their medians, and whether the counts agree.
 */
function wholeProcessRounds(file: string, generateSeconds: number): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const bin = join(root, 'bin', 'l2bench.js');
  // The compiled package, as a user runs it (no TypeScript loader in the timed processes).
  execFileSync(process.execPath, [join(root, 'scripts', 'build.js'), '--if-stale'], { stdio: 'ignore' });
  const work = mkdtempSync(join(tmpdir(), 'l2bench-trace-speed-runs-'));
  const cache = join(work, 'cache');
  const env = { ...process.env, L2BENCH_CACHE_DIR: cache, NO_COLOR: '1' };
  const load = [loadavg()[0] as number];
  const rounds: Record<string, number>[] = [];
  let awkCounts = '';
  let runCounts = '';
  let outs = 0;
  const run = () => {
    const out = join(work, `run${outs++}`);
    const argv = [bin, 'run', '-s', strategyName, '-w', `trace:file=${file}`, '--cpus', '2', '--no-throughput'];
    const t = timed(process.execPath, [...argv, '--format', 'csv', '--out', out], env);
    const [head, row] = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n') as [string, string];
    // CSV fields, a quoted one (the workload spec has commas) kept whole.
    const fields = (line: string) => (line.match(/"(?:[^"]|"")*"|[^,]+|(?<=,)(?=,|$)/g) ?? []) as string[];
    const col = (name: string) => fields(row)[fields(head).indexOf(name)];
    runCounts = `${col('allocs')} ${col('frees')}`;
    return t;
  };
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const awk = timed(AWK, [awkScript, file]);
      awkCounts = awk.stdout.trim();
      rmSync(cache, { recursive: true, force: true });
      const first = run();
      const second = run();
      rounds.push({
        awk_seconds: round(awk.seconds),
        awk_cpu_seconds: round(awk.cpu),
        first_run_seconds: round(first.seconds),
        first_run_cpu_seconds: round(first.cpu),
        second_run_seconds: round(second.seconds),
        second_run_cpu_seconds: round(second.cpu),
        awk_over_first: +(awk.seconds / first.seconds).toFixed(2),
        first_over_second: +(first.seconds / second.seconds).toFixed(2),
      });
      load.push(loadavg()[0] as number);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const med = (k: string) => median(rounds.map((x) => x[k] as number));
  const [a, f] = awkCounts.split(' ');
  console.log(
    JSON.stringify({
      mode: 'whole processes',
      lines: LINES,
      trace_bytes: statSync(file).size,
      strategy: strategyName,
      command: `l2bench run -s ${strategyName} -w trace:file=FILE --cpus 2 --no-throughput`,
      awk: AWK,
      agree: `${a} ${f}` === runCounts,
      rounds,
      awk_over_first_run: med('awk_over_first'),
      first_run_over_second: med('first_over_second'),
      goals: { awk_over_first_run: '>= 1', first_run_over_second: '>= 3' },
      median_seconds: {
        awk: med('awk_seconds'),
        first_run: med('first_run_seconds'),
        second_run: med('second_run_seconds'),
      },
      median_cpu_seconds: {
        awk: med('awk_cpu_seconds'),
        first_run: med('first_run_cpu_seconds'),
        second_run: med('second_run_cpu_seconds'),
      },
      generate_seconds: round(generateSeconds),
      load_average_1min: load.map((x) => +x.toFixed(2)),
    }),
  );
}
