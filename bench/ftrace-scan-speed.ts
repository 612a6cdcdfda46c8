/**
 * The ftrace parse of the main thread and the scanning thread, alone, one thread, over a whole file
 * held in memory, cut into 1 MiB windows of whole lines as the scan pipeline's slots are: each
 * window's lines scanned into records (workloads/trace/ftrace-scan.ts `scanLines`, the scanning
 * thread's work) and, with --act, acted on (`FtraceByteParser.runRecords`: the pointer → table id
 * mapping and the events, the main thread's), each timed apart:
 *
 *   node --import tsx bench/ftrace-scan-speed.ts FILE [--rounds R] [--act] [--vs OTHER_CHECKOUT]
 *
 * After a pass of each untimed (to warm the JIT), each round parses the whole file once with this
 * checkout's code and, with --vs, once with another checkout's (for a paired comparison),
 * alternating which goes first. Prints one JSON object: ns a
 * line of the scan and of the act per round for each, the medians of the pairs' ratios, the load
 * average, and whether both gave the same records and events (checksums of every one).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from '../results/statistics.ts';

interface Code {
  scan: typeof import('../workloads/trace/ftrace-scan.ts');
  parser: typeof import('../workloads/trace/ftrace-bytes.ts');
  tracker: typeof import('../workloads/trace/tracker.ts');
  events: typeof import('../workloads/events.ts');
}

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const file = args.find((a, i) => !a.startsWith('--') && !['--rounds', '--vs'].includes(args[i - 1] ?? ''));
const ROUNDS = Number(arg('--rounds') ?? 5);
const ACT = args.includes('--act');
const vs = arg('--vs');
if (!file || !Number.isSafeInteger(ROUNDS) || ROUNDS < 1) {
  process.stderr.write('usage: ftrace-scan-speed.ts FILE [--rounds R] [--act] [--vs OTHER_CHECKOUT]\n');
  process.exit(2);
}

async function load(root: string): Promise<Code> {
  const from = (m: string) => import(pathToFileURL(join(root, 'workloads', m)).href);
  const [scan, parser, tracker, events] = await Promise.all(
    ['trace/ftrace-scan.ts', 'trace/ftrace-bytes.ts', 'trace/tracker.ts', 'events.ts'].map(from),
  );
  return { scan, parser, tracker, events };
}
const mine = await load(resolve(fileURLToPath(import.meta.url), '../..'));
const other = vs ? await load(resolve(vs)) : undefined;

const WINDOW = 1 << 20;
const MAX_LINES = 16384;
const bytes = readFileSync(file);
/** Window ends: each the byte after a '\n', at most WINDOW after the previous. */
const ends: number[] = [];
for (let at = 0; at < bytes.length; ) {
  const nl = bytes.lastIndexOf(10, Math.min(at + WINDOW, bytes.length) - 1);
  if (nl < at) throw new Error(`a line longer than ${WINDOW} bytes at byte ${at}`);
  ends.push(nl + 1);
  at = nl + 1;
}
const filter = { size: 1024, cache: '', site: '' };

/** A checksum of ints, order included. */
function fold(sum: number, a: ArrayLike<number>, n: number): number {
  for (let k = 0; k < n; k++) sum = (sum * 31 + (a[k] as number)) | 0;
  return sum;
}

/** One pass over the file: lines, scan and act seconds (wall), checksums of the records and events. */
function pass(c: Code) {
  const f = c.scan.scanFilter(filter);
  const REC = c.scan.REC;
  const rec = new Int32Array(MAX_LINES * REC);
  const parser = new c.parser.FtraceByteParser(file as string, new c.tracker.Tracker(), filter, 2);
  parser.line = 1; // line 1 is the string parser's (a byte order mark); the windows start on line 1 here
  const w = new c.events.ChunkWriter();
  let lines = 0;
  let recSum = 0;
  let evSum = 0;
  let scanNs = 0n;
  let actNs = 0n;
  for (let pos = 0, e = 0; e < ends.length; pos = ends[e++] as number) {
    const end = ends[e] as number;
    for (let at = pos; at < end; ) {
      const t0 = process.hrtime.bigint();
      const n = c.scan.scanLines(bytes, at, end, f, rec, MAX_LINES);
      const t1 = process.hrtime.bigint();
      scanNs += t1 - t0;
      lines += n;
      recSum = fold(recSum, rec, n * REC);
      if (ACT) {
        const t2 = process.hrtime.bigint();
        for (let i = 0; i < n; ) {
          i = parser.runRecords(bytes, at, rec, i, n, w);
          if (w.pending >= c.events.CHUNK) {
            const chunk = w.take();
            evSum = fold(fold(evSum, chunk.id, chunk.length), chunk.kind, chunk.length);
          }
        }
        actNs += process.hrtime.bigint() - t2;
      }
      at = rec[(n - 1) * REC] as number;
    }
  }
  return { lines, scan: Number(scanNs) / 1e9, act: Number(actNs) / 1e9, recSum, evSum };
}

type Pass = ReturnType<typeof pass>;
const perLine = (s: number, p: Pass) => Math.round((s * 1e9) / p.lines);
const rounds: Record<string, number>[] = [];
let same = true;
const load0 = loadavg()[0] as number;
// A pass of each first, untimed, so that every timed pass runs optimized code.
pass(mine);
if (other) pass(other);
for (let r = 0; r < ROUNDS; r++) {
  const order = other ? (r % 2 === 0 ? [mine, other] : [other, mine]) : [mine];
  const res = order.map(pass);
  const a = res[order.indexOf(mine)] as Pass;
  const round: Record<string, number> = { scan_ns: perLine(a.scan, a) };
  if (ACT) round.act_ns = perLine(a.act, a);
  const b = other ? res[order.indexOf(other)] : undefined;
  if (b) {
    if (b.recSum !== a.recSum || b.evSum !== a.evSum || b.lines !== a.lines) same = false;
    round.vs_scan_ns = perLine(b.scan, b);
    round.scan_ratio = +(a.scan / b.scan).toFixed(3);
    if (ACT) {
      round.vs_act_ns = perLine(b.act, b);
      round.act_ratio = +(a.act / b.act).toFixed(3);
    }
  }
  rounds.push(round);
}
const med = (k: string) => median(rounds.map((r) => r[k] as number));
const keys = Object.keys(rounds[0] as object);
process.stdout.write(
  `${JSON.stringify({
    file_bytes: bytes.length,
    rounds,
    medians: Object.fromEntries(keys.map((k) => [k, med(k)])),
    ...(other ? { same } : {}),
    load_average_1min: [+load0.toFixed(2), +(loadavg()[0] as number).toFixed(2)],
  })}\n`,
);
