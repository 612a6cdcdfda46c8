import { type ChildProcess, spawn } from 'node:child_process';
import { constants, readdirSync, readSync } from 'node:fs';
import { cpus, machine, release, version } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import { IommuPassThrough, KmemConverter, type StreamCounts } from './convert.ts';
import { badInput, environment, errnoOf } from './errors.ts';
import { callSiteFilter, findCache, iommuDevices, readFormat, requireFormat, symbolRanges } from './events.ts';
import { TraceWriter } from './output.ts';
import { ensureTracefs, Instance } from './tracefs.ts';

export interface RecordOptions {
  /** A slab cache by name (kmem_cache_alloc/free name=, or kmalloc by size for kmalloc-family caches). */
  readonly cache?: string;
  /** Allocations of this many bytes (bytes_alloc). */
  readonly size?: number;
  /** Only allocations made from this kernel function (filtered by address range). */
  readonly callSite?: string;
  /** iommu:map and iommu:unmap instead of kmem events. */
  readonly iommu?: boolean;
  /** The trace file (gzip when it ends in .gz); must not exist. */
  readonly out: string;
  /** buffer_size_kb of the instance (per CPU); DEFAULT_BUFFER_KB when left out. */
  readonly bufferKb?: number;
  /** Stop after this many seconds. */
  readonly durationSeconds?: number;
  /** Run this command (argv) once tracing is on, and stop when it exits. */
  readonly command?: readonly string[];
  /** Stop when aborted (the CLI aborts on SIGINT and SIGTERM); what was recorded is kept. */
  readonly signal?: AbortSignal;
  /** Called once events flow, with the instance's name (a test starts its load here). */
  readonly onStart?: (instance: string) => void;
  /** How long to wait when trace_pipe is empty, in ms (default 50). */
  readonly pollMs?: number;
}

/** Losses: from the instance's per_cpu/cpu*\/stats, and as trace_pipe reported them. */
interface Losses {
  readonly overrun: number;
  readonly commit_overrun: number;
  readonly dropped: number;
  /** `CPU:N [LOST M EVENTS]` lines in trace_pipe. */
  readonly reported: number;
  /** The count the trace is marked with: overrun + commit overrun + dropped, or reported if more. */
  readonly total: number;
}

export interface RecordResult {
  readonly file: string;
  readonly instance: string;
  readonly filters: readonly string[];
  readonly notes: readonly string[];
  readonly started: Date;
  readonly ended: Date;
  readonly stoppedBy: 'duration' | 'command' | 'signal';
  /** The command's exit code, or the signal that ended it. */
  readonly commandStatus?: number | string;
  readonly counts: StreamCounts;
  readonly lost: Losses;
}

/** What is enabled, and how: one entry per event. */
interface Plan {
  readonly mode: 'kmem' | 'iommu';
  readonly selection: string;
  readonly events: readonly { readonly id: string; readonly filter: string }[];
  readonly notes: readonly string[];
  readonly converter: () => KmemConverter | IommuPassThrough;
}

/**
 * buffer_size_kb per CPU unless --buffer-kb says: the kernel's 1410 KiB overran within seconds on a
 * loaded 2-CPU machine, kfree being unfilterable by size; 8 MiB per CPU did not.
 */
const DEFAULT_BUFFER_KB = 8192;

const PTR = ' ptr=%p';
const BYTES = ' bytes_alloc=%zu';
const NAME = ' name=%s';

/** Check the options (bad input: RecordError with exit code 2) before touching anything. */
function validate(o: RecordOptions): void {
  const kinds = [o.cache !== undefined, o.size !== undefined, o.iommu === true].filter(Boolean).length;
  if (kinds !== 1) throw badInput('record needs exactly one of the options cache, size and iommu');
  if (o.iommu && o.callSite !== undefined)
    throw badInput('filters kmem allocations: not with iommu', { option: 'callSite', value: o.callSite });
  if (o.size !== undefined && (!Number.isSafeInteger(o.size) || o.size < 1)) {
    throw badInput(`not a positive whole number of bytes`, { option: 'size', value: String(o.size) });
  }
  if (o.bufferKb !== undefined && (!Number.isSafeInteger(o.bufferKb) || o.bufferKb < 1)) {
    throw badInput(`not a positive whole number`, { option: 'bufferKb', value: String(o.bufferKb) });
  }
  if (o.durationSeconds !== undefined && !(o.durationSeconds > 0 && o.durationSeconds <= 7 * 86400)) {
    throw badInput(`expected seconds, more than 0`, { option: 'durationSeconds', value: String(o.durationSeconds) });
  }
  if (o.durationSeconds !== undefined && o.command?.length) {
    throw badInput('durationSeconds and command both say when to stop: give one');
  }
  if (!o.out) throw badInput('a trace file to write is required', { option: 'out' });
}

/** The kmem events, their filters in the kernel, and the check after them, for --cache/--size/--call-site. */
function planKmem(root: string, o: RecordOptions): Plan {
  const notes: string[] = [];
  const site = o.callSite === undefined ? '' : callSiteFilter(symbolRanges(o.callSite));
  const withSite = (f: string) => (site ? `${f} && (${site})` : f);
  const frees = ['kmem/kfree'];
  const events: { id: string; filter: string }[] = [];
  let check: { size?: number; cache?: string };
  const selection = [
    o.cache !== undefined ? `--cache ${o.cache}` : `--size ${o.size}`,
    ...(o.callSite ? [`--call-site ${o.callSite}`] : []),
  ].join(' ');
  if (o.cache !== undefined) {
    const cache = findCache(o.cache);
    if (cache.viaKmalloc) {
      requireFormat(root, 'kmem/kmalloc', ['bytes_alloc', 'ptr', 'call_site'], [PTR, BYTES]);
      const filter = withSite(`bytes_alloc == ${cache.size}`);
      events.push({ id: 'kmem/kmalloc', filter });
      if (readFormat(root, 'kmem/kmalloc_node')) events.push({ id: 'kmem/kmalloc_node', filter });
      check = { size: cache.size };
      notes.push(
        `${cache.name} is a kmalloc cache: its allocations are kmalloc events, which carry no cache name, so every kmalloc of ${cache.size} bytes${site ? ` from ${o.callSite}` : ''} is kept${site ? '' : ' (add --call-site FUNCTION to keep only its callers)'}`,
      );
    } else {
      const alloc = readFormat(root, 'kmem/kmem_cache_alloc');
      if (alloc && !alloc.fields.has('name')) {
        throw environment(
          `kmem_cache_alloc has no name field on this kernel, so caches cannot be told apart; record by size (${cache.size}) and call site instead`,
          { option: 'cache', value: String(o.cache) },
        );
      }
      requireFormat(root, 'kmem/kmem_cache_alloc', ['name', 'ptr'], [PTR, NAME]);
      const filter = withSite(`name == "${cache.name}"`);
      events.push({ id: 'kmem/kmem_cache_alloc', filter });
      if (readFormat(root, 'kmem/kmem_cache_alloc_node')) events.push({ id: 'kmem/kmem_cache_alloc_node', filter });
      const free = requireFormat(root, 'kmem/kmem_cache_free', ['ptr'], [PTR]);
      // Frees by name where the event has it; kfree can free any slab object too, so it stays (by pointer).
      events.push({
        id: 'kmem/kmem_cache_free',
        filter: free.fields.has('name') ? `name == "${cache.name}"` : 'ptr != 0',
      });
      check = { cache: cache.name };
    }
  } else {
    const size = o.size as number;
    const filter = withSite(`bytes_alloc == ${size}`);
    for (const id of ['kmem/kmalloc', 'kmem/kmem_cache_alloc']) {
      requireFormat(root, id, ['bytes_alloc', 'ptr', 'call_site'], [PTR, BYTES]);
      events.push({ id, filter });
    }
    for (const id of ['kmem/kmalloc_node', 'kmem/kmem_cache_alloc_node'])
      if (readFormat(root, id)) events.push({ id, filter });
    frees.push('kmem/kmem_cache_free');
    check = { size };
  }
  for (const id of frees) {
    requireFormat(root, id, ['ptr'], [PTR]);
    if (!events.some((e) => e.id === id)) events.push({ id, filter: 'ptr != 0' });
  }
  notes.push('frees cannot be filtered by size: those of pointers not allocated in the recording are dropped');
  return { mode: 'kmem', selection, events, notes, converter: () => new KmemConverter(check) };
}

function planIommu(root: string): Plan {
  const devices = iommuDevices();
  if (devices.length === 0) {
    throw environment(
      'this machine has no IOMMU (/sys/class/iommu is empty), so iommu:map and iommu:unmap never fire',
      {
        option: 'iommu',
      },
    );
  }
  requireFormat(root, 'iommu/map', ['iova', 'paddr', 'size'], ['IOMMU: iova=0x', ' paddr=0x', ' size=%zu']);
  requireFormat(root, 'iommu/unmap', ['iova', 'size', 'unmapped_size'], ['IOMMU: iova=0x', ' unmapped_size=%zu']);
  return {
    mode: 'iommu',
    selection: `--iommu (${devices.join(', ')})`,
    events: [
      { id: 'iommu/map', filter: '' },
      { id: 'iommu/unmap', filter: '' },
    ],
    notes: [],
    converter: () => new IommuPassThrough(),
  };
}

/** Fixed width of the header lines filled in at the end: room for every count at 16 digits. */
const SLOT = 240;
const slot = (text: string) => {
  if (text.length > SLOT) throw new Error(`header line longer than ${SLOT}: ${text}`);
  return text.padEnd(SLOT);
};

interface HeaderEnd {
  ended?: Date;
  stoppedBy?: string;
  lost?: Losses;
  counts?: StreamCounts;
}

function header(plan: Plan, instance: string, bufferKb: string, started: Date, end: HeaderEnd): string {
  const what =
    plan.mode === 'kmem'
      ? 'kmem events as native lines: alloc|free,PTR,CPU,TIMESTAMP (PTR as the kernel prints it, TIMESTAMP in seconds)'
      : 'iommu:map and iommu:unmap events as tracefs prints them';
  const l = end.lost;
  const c = end.counts;
  return [
    `# l2bench record 1: ${what}`,
    `# kernel: Linux ${release()} ${version()} ${machine()}`,
    `# cpus: ${cpus().length}`,
    `# selection: ${plan.selection}`,
    ...plan.events.map((e) => `# filter ${e.id.replace('/', ':')}: ${e.filter || '(none)'}`),
    ...plan.notes.map((n) => `# note: ${n}`),
    `# instance: ${instance}, buffer_size_kb ${bufferKb}`,
    `# started: ${started.toISOString()}`,
    slot(`# ended: ${end.ended ? `${end.ended.toISOString()} (${end.stoppedBy})` : '(recording)'}`),
    slot(
      `# lost_events: ${l ? `${l.total} (overrun ${l.overrun}, commit overrun ${l.commit_overrun}, dropped ${l.dropped}, reported ${l.reported})` : '(recording)'}`,
    ),
    slot(
      `# kept: ${c ? `${c.allocations} ${plan.mode === 'kmem' ? 'allocations' : 'maps'}, ${c.frees} ${plan.mode === 'kmem' ? 'frees' : 'unmaps'}${plan.mode === 'kmem' ? `, ${c.skipped_frees} frees dropped, ${c.realloc_without_free} lost frees written` : ''}; ${c.lines} event lines read, max CPU ${c.max_cpu}` : '(recording)'}`,
    ),
    '',
  ].join('\n');
}

/** Sum of the losses in the instance's per_cpu/cpu*\/stats. */
function readLosses(inst: Instance, reported: number): Losses {
  let overrun = 0;
  let commit = 0;
  let dropped = 0;
  for (const cpu of readdirSync(join(inst.path, 'per_cpu'))) {
    const text = inst.read(join('per_cpu', cpu, 'stats'));
    const get = (key: string) => Number(new RegExp(`^${key}: (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    overrun += get('overrun');
    commit += get('commit overrun');
    dropped += get('dropped events');
  }
  const sum = overrun + commit + dropped;
  return { overrun, commit_overrun: commit, dropped, reported, total: Math.max(sum, reported) };
}

/** Size the instance's buffer, set each event's filter and enable it, tracing still off: the buffer_size_kb the kernel took. */
function arm(inst: Instance, plan: Plan, bufferKb: number): string {
  inst.write('buffer_size_kb', String(bufferKb));
  const took = inst.read('buffer_size_kb').trim();
  inst.write('tracing_on', '0');
  for (const e of plan.events) {
    if (e.filter) inst.write(join('events', e.id, 'filter'), e.filter);
    inst.write(join('events', e.id, 'enable'), '1');
  }
  return took;
}

/** When a recording stops: its duration, its command's exit, or its signal; whichever comes first. */
class StopWhen {
  stoppedBy: RecordResult['stoppedBy'] | undefined;
  /** The command's exit code or signal, or why it could not run. */
  commandStatus: number | string | undefined;
  child: ChildProcess | undefined;
  #wake: (() => void) | undefined;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #onAbort = () => this.#stop('signal');

  constructor(readonly o: RecordOptions) {
    if (o.signal?.aborted) this.#stop('signal');
    o.signal?.addEventListener('abort', this.#onAbort);
    this.#timer = o.durationSeconds ? setTimeout(() => this.#stop('duration'), o.durationSeconds * 1000) : undefined;
  }

  /** Run the command (once tracing is on): its exit stops the recording. */
  start(command: readonly string[]): void {
    const [cmd, ...args] = command as [string, ...string[]];
    this.child = spawn(cmd, args, { stdio: 'inherit' });
    this.child.on('error', (e) => {
      this.commandStatus = `cannot run ${cmd} (${errnoOf(e)})`;
      this.#stop('command');
    });
    this.child.on('exit', (code, sig) => {
      this.commandStatus = code ?? sig ?? 'unknown';
      this.#stop('command');
    });
  }

  /** Wait ms, or less if the recording stops meanwhile. */
  async pause(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      sleep(ms).then(resolve, resolve);
    });
    this.#wake = undefined;
  }

  /** Stop listening (the timer, the signal); the command, if still running, is ended. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.o.signal?.removeEventListener('abort', this.#onAbort);
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  }

  #stop(why: RecordResult['stoppedBy']): void {
    this.stoppedBy ??= why;
    this.#wake?.();
  }
}

/** trace_pipe read without blocking, converted, and written to the trace as it comes. */
class PipeReader {
  readonly #buf = Buffer.allocUnsafe(1 << 16);
  readonly #utf8 = new StringDecoder('utf8'); // a character cut between two reads stays whole
  #carry = '';

  constructor(
    readonly inst: Instance,
    readonly pipe: number,
    readonly converter: KmemConverter | IommuPassThrough,
    readonly writer: TraceWriter,
  ) {}

  /** Read what trace_pipe holds now; false when it is empty. */
  readSome(): boolean {
    let n: number;
    try {
      n = readSync(this.pipe, this.#buf, 0, this.#buf.length, null);
    } catch (e) {
      if (errnoOf(e) === 'EAGAIN') return false;
      throw environment(`cannot read ${join(this.inst.path, 'trace_pipe')} (${errnoOf(e)})`);
    }
    if (n === 0) return false;
    const text = this.#carry + this.#utf8.write(this.#buf.subarray(0, n));
    const last = text.lastIndexOf('\n');
    this.#carry = text.slice(last + 1);
    let out = '';
    for (let a = 0; a <= last; ) {
      const nl = text.indexOf('\n', a);
      out += this.converter.convert(text.slice(a, nl));
      a = nl + 1;
    }
    this.writer.write(out);
    return true;
  }

  /** Read until `stop` says so, yielding to the event loop (the writer, the stop conditions) between bursts. */
  async readUntil(stop: StopWhen, pollMs: number): Promise<void> {
    while (stop.stoppedBy === undefined) {
      const t = Date.now();
      while (this.readSome() && Date.now() - t < 100);
      if (this.writer.backedUp) await this.writer.drained();
      if (stop.stoppedBy !== undefined) break;
      await stop.pause(pollMs);
    }
  }

  /** Take what the buffer still holds (tracing off), and the last line if it had no newline. */
  drain(): void {
    while (this.readSome());
    if (this.#carry) this.writer.write(this.converter.convert(this.#carry));
    this.#carry = '';
  }
}

/**
 * Record kmem (or IOMMU) events through a tracing instance of our own into a trace file, streaming:
 * tracefs is mounted if needed, filters are set in the kernel, trace_pipe is read as events come,
 * and the instance is removed whatever happens. Stops after durationSeconds, when command exits,
 * or when signal aborts (keeping what was recorded). Refusals are RecordErrors.
 */
export async function record(o: RecordOptions): Promise<RecordResult> {
  validate(o);
  if (process.getuid?.() !== 0) throw environment('record needs root: tracefs and its event filters are root-only');
  const root = ensureTracefs();
  const plan = o.iommu ? planIommu(root) : planKmem(root, o);
  TraceWriter.check(o.out);
  const inst = new Instance(root);
  let writer: TraceWriter | undefined;
  let stop: StopWhen | undefined;
  try {
    const bufferKb = arm(inst, plan, o.bufferKb ?? DEFAULT_BUFFER_KB);
    const pipe = inst.open('trace_pipe', constants.O_RDONLY | constants.O_NONBLOCK);
    const started = new Date();
    writer = new TraceWriter(o.out, header(plan, inst.name, bufferKb, started, {}));
    inst.write('tracing_on', '1');
    const converter = plan.converter();
    const reader = new PipeReader(inst, pipe, converter, writer);
    stop = new StopWhen(o);
    o.onStart?.(inst.name);
    if (o.command?.length) stop.start(o.command);
    try {
      await reader.readUntil(stop, o.pollMs ?? 50);
    } finally {
      stop.dispose();
    }
    // Stop the events, then take what the buffer still holds.
    inst.write('tracing_on', '0');
    reader.drain();
    const ended = new Date();
    const lost = readLosses(inst, converter.counts.reported_lost);
    inst.close(pipe);
    const { stoppedBy, commandStatus } = stop;
    if (typeof commandStatus === 'string' && commandStatus.startsWith('cannot run')) throw badInput(commandStatus);
    const end = { ended, stoppedBy: stoppedBy as string, lost, counts: converter.counts };
    await writer.finish(header(plan, inst.name, bufferKb, started, end));
    return {
      file: o.out,
      instance: inst.name,
      filters: plan.events.map((e) => `${e.id.replace('/', ':')}: ${e.filter || '(none)'}`),
      notes: plan.notes,
      started,
      ended,
      stoppedBy: stoppedBy as RecordResult['stoppedBy'],
      ...(commandStatus !== undefined ? { commandStatus } : {}),
      counts: converter.counts,
      lost,
    };
  } finally {
    stop?.dispose();
    writer?.abort();
    inst.remove();
  }
}
