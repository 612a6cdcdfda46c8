import { createHash } from 'node:crypto';
import { type Stats, statSync } from 'node:fs';
import { choiceParam, intParam, type ParamValues, requiredString } from '../../core/params.ts';
import { type CacheKey, cachedEvents } from '../event-cache/index.ts';
import { type EventChunk, specString, type Workload, type WorkloadContext, type WorkloadKind } from '../events.ts';
import { cpuFoldNotices } from './cpu-fold.ts';
import type { TraceFormat } from './detect.ts';
import { HeadKeeper, lostNotices } from './header.ts';
import { finish, type PassOptions, type PassResult, replay } from './pass.ts';
import { requireRegularTrace, unchangedSince } from './source.ts';
import { Tracker } from './tracker.ts';

export { TraceError } from './errors.ts';

const params = {
  file: {
    kind: 'string',
    description: 'trace: native alloc,ID[,CPU[,TIMESTAMP]] lines or ftrace kmem text, plain or gzip',
    default: '',
  },
  size: {
    kind: 'int',
    description: 'table size: ftrace allocations kept when bytes_alloc equals it',
    default: 1024,
    min: 1,
    max: 1 << 30,
  },
  cache: {
    kind: 'string',
    description: 'keep one slab cache (kmalloc events: kmalloc-<size>, e.g. kmalloc-1k)',
    default: '',
  },
  site: { kind: 'string', description: 'keep one call_site function (the part before +)', default: '' },
} as const;

/** Where the events came from, for provenance (a type, not an interface, to fit Workload['info']). */
type TraceInfo = {
  readonly file: string;
  readonly sha256: string;
  readonly format: TraceFormat;
};

export interface TraceWorkload extends Workload {
  readonly info: TraceInfo;
}

export interface TraceKind extends WorkloadKind {
  create(params: ParamValues, ctx: WorkloadContext): TraceWorkload;
}

/**
 * Bump when the kmem trace parsers' events change for the same file and options: cached
 * conversions of the older parser are then converted again.
 */
const KMEM_TRACE_PARSER = 2;

/** Converted with CPUs up to this unfolded (trace CPU c is kept as c): the cache folds them per run. */
const UNFOLDED_CPUS = 0x10000;

/**
 * Replay a real trace (see README.md here). create() reads the whole file once, hashing and checking
 * it, so a bad trace is refused before any run, and keeps its events in the event cache
 * (workloads/event-cache/): every chunks() call, and every later workload on the same file with the
 * same options (another cell, worker, round or run), replays them from there. Without the cache
 * (L2BENCH_CACHE_DIR=off), each chunks() call streams the file again from the start. Trace CPU c
 * runs on simulated CPU c % ctx.cpus; when the trace has more CPUs, its notices say so.
 */
export const trace: TraceKind = {
  name: 'trace',
  description: 'replay a real trace: native alloc,ID[,CPU] lines or Linux ftrace kmem events',
  params,
  create(values, ctx) {
    const file = requiredString('workload trace', values, 'file');
    const options: PassOptions = {
      size: intParam(values, 'size'),
      cache: choiceParam(values, 'cache'),
      site: choiceParam(values, 'site'),
      cpus: ctx.cpus,
    };
    const spec = specString('trace', params, values);
    const key: CacheKey = {
      events: 'kmem trace',
      parser: KMEM_TRACE_PARSER,
      size: options.size,
      cache: options.cache,
      site: options.site,
    };
    const made = (seen: Seen, chunks: () => Iterable<EventChunk>, events?: number) => ({
      spec,
      kind: 'trace',
      category: 'real trace' as const,
      params: values,
      info: { file, sha256: seen.sha256, format: seen.format },
      notices: [...cpuFoldNotices(file, seen.maxCpu, ctx.cpus), ...lostNotices(file, seen.lostEvents)],
      lostEvents: seen.lostEvents,
      ...(events === undefined ? {} : { events }),
      chunks,
    });
    requireRegularTrace(file);
    const cached = cachedEvents(file, key, (onBytes, onOpen) => convert(file, options, onBytes, onOpen));
    if (cached) {
      const was = statSync(file);
      const unchanged = unchangedSince(file, () => was);
      const meta = cached.meta as { format: TraceFormat; maxCpu: number; lostEvents: number };
      return made(
        { sha256: cached.sha256, ...meta },
        () => {
          unchanged(statSync(file));
          return cached.chunks(ctx.cpus);
        },
        cached.events,
      );
    }
    const hash = createHash('sha256');
    let opened: Stats | undefined;
    const tracker = new Tracker();
    const head = new HeadKeeper();
    const { format } = finish(
      replay(file, options, tracker, {
        onBytes: (b) => hash.update(b),
        onOpen: (s) => (opened = s),
        onText: head.onText,
      }),
    );
    const unchanged = unchangedSince(file, () => opened);
    const lostEvents = head.header().lostEvents ?? 0;
    return made({ sha256: hash.digest('hex'), format, maxCpu: tracker.maxCpu, lostEvents }, function* () {
      yield* replay(file, options, new Tracker(), { onOpen: unchanged });
    });
  },
};

/** One read of the trace for the cache: its events with unfolded CPUs, and what create() reports. */
function* convert(
  file: string,
  options: PassOptions,
  onBytes: (b: Uint8Array) => void,
  onOpen: (s: Stats) => void,
): Generator<EventChunk, Record<string, unknown>> {
  const tracker = new Tracker();
  const head = new HeadKeeper();
  const result: PassResult = yield* replay(file, { ...options, cpus: UNFOLDED_CPUS }, tracker, {
    onBytes,
    onOpen,
    onText: head.onText,
  });
  const lostEvents = head.header().lostEvents ?? 0;
  return { format: result.format, lines: result.lines, maxCpu: tracker.maxCpu, lostEvents };
}

/** What create() learns of a trace in its first read. */
interface Seen {
  readonly sha256: string;
  readonly format: TraceFormat;
  readonly maxCpu: number;
  /** Events the kernel lost while recording it (`# lost_events:` of `l2bench record`), 0 when none or not said. */
  readonly lostEvents: number;
}
