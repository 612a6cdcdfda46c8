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
  let child: ChildProcess | undefined;
  try {
    inst.write('buffer_size_kb', String(o.bufferKb ?? DEFAULT_BUFFER_KB));
    const bufferKb = inst.read('buffer_size_kb').trim();
    inst.write('tracing_on', '0');
    for (const e of plan.events) {
      if (e.filter) inst.write(join('events', e.id, 'filter'), e.filter);
      inst.write(join('events', e.id, 'enable'), '1');
    }
    const pipe = inst.open('trace_pipe', constants.O_RDONLY | constants.O_NONBLOCK);
    const started = new Date();
    writer = new TraceWriter(o.out, header(plan, inst.name, bufferKb, started, {}));
    inst.write('tracing_on', '1');
    const converter = plan.converter();

    // When to stop.
    let stoppedBy: RecordResult['stoppedBy'] | undefined;
    let commandStatus: number | string | undefined;
    let wake: (() => void) | undefined;
    const stop = (why: RecordResult['stoppedBy']) => {
      stoppedBy ??= why;
      wake?.();
    };
    const onAbort = () => stop('signal');
    if (o.signal?.aborted) stop('signal');
    o.signal?.addEventListener('abort', onAbort);
    const timer = o.durationSeconds ? setTimeout(() => stop('duration'), o.durationSeconds * 1000) : undefined;
    o.onStart?.(inst.name);
    if (o.command?.length) {
      const [cmd, ...args] = o.command as [string, ...string[]];
      child = spawn(cmd, args, { stdio: 'inherit' });
      child.on('error', (e) => {
        commandStatus = `cannot run ${cmd} (${errnoOf(e)})`;
        stop('command');
      });
      child.on('exit', (code, sig) => {
        commandStatus = code ?? sig ?? 'unknown';
        stop('command');
      });
    }

    const buf = Buffer.allocUnsafe(1 << 16);
    const utf8 = new StringDecoder('utf8'); // a character cut between two reads stays whole
    let carry = '';
    /** Read what trace_pipe holds now; false when it is empty. */
    const readSome = (): boolean => {
      let n: number;
      try {
        n = readSync(pipe, buf, 0, buf.length, null);
      } catch (e) {
        if (errnoOf(e) === 'EAGAIN') return false;
        throw environment(`cannot read ${join(inst.path, 'trace_pipe')} (${errnoOf(e)})`);
      }
      if (n === 0) return false;
      const text = carry + utf8.write(buf.subarray(0, n));
      const last = text.lastIndexOf('\n');
      carry = text.slice(last + 1);
      let out = '';
      for (let a = 0; a <= last; ) {
        const nl = text.indexOf('\n', a);
        out += converter.convert(text.slice(a, nl));
        a = nl + 1;
      }
      (writer as TraceWriter).write(out);
      return true;
    };
    try {
      while (stoppedBy === undefined) {
        const t = Date.now();
        while (readSome() && Date.now() - t < 100);
        if (writer.backedUp) await writer.drained();
        if (stoppedBy !== undefined) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
          sleep(o.pollMs ?? 50).then(resolve, resolve);
        });
        wake = undefined;
      }
    } finally {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
    }
    // Stop the events, then take what the buffer still holds.
    inst.write('tracing_on', '0');
    while (readSome());
    if (carry) writer.write(converter.convert(carry));
    const ended = new Date();
    const lost = readLosses(inst, converter.counts.reported_lost);
    inst.close(pipe);
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
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    writer?.abort();
    inst.remove();
  }
}
