import type { Stats } from 'node:fs';
import { CHUNK, ChunkWriter, type EventChunk } from '../events.ts';
import { detectFormat, type TraceFormat, unknownFormat } from './detect.ts';
import { fileError, lineError } from './errors.ts';
import { type Filter, ftraceParser } from './ftrace.ts';
import { FtraceByteParser } from './ftrace-bytes.ts';
import { BUFFER, ByteLineReader, LineReader } from './lines.ts';
import { nativeParser } from './native.ts';
import { NativeByteParser } from './native-bytes.ts';
import { type ScanMode, ScanPipeline } from './scan-pipeline.ts';
import { firstNonSpace } from './text.ts';
import type { LineParser, Tracker } from './tracker.ts';

/** Plain ftrace files from this size on are scanned on two threads: below it, starting one costs more than it saves. */
const SCAN_THREAD_FROM = 64 << 20;

export interface PassOptions extends Filter {
  /** Simulated CPUs: trace CPU c runs on CPU c % cpus. */
  readonly cpus: number;
}

export interface PassHooks {
  /** Every byte of the file, in order, as it is read. */
  readonly onBytes?: (bytes: Uint8Array) => void;
  /** The file's fstat once it is open, before anything is read. */
  readonly onOpen?: (stats: Stats) => void;
  /** The trace's text as it is read (decompressed), in order. */
  readonly onText?: (bytes: Uint8Array) => void;
}

/** How a pass reads, for tests: the events, errors and counts are the same either way. */
export interface ReadOptions {
  /** Read size and longest line accepted, 1 MiB by default. */
  readonly bufferSize?: number;
  /** Parse line by line as strings (the reference for the byte parsers), not as bytes. */
  readonly strings?: boolean;
  /**
   * Scan plain ftrace lines ahead, on another thread (scan-pipeline.ts: ScanMode), or 'off'; by
   * default `shared` from SCAN_THREAD_FROM bytes on, else off.
   */
  readonly scan?: ScanMode | 'off';
}

export interface PassResult {
  readonly format: TraceFormat;
  readonly lines: number;
}

/**
 * One pass over a trace file, streamed: its table events as chunks, then its format; the tracker
 * holds the counts. A malformed line, an empty trace or one without a table throws a TraceError.
 * The first meaningful line gives the format; the trace is then parsed from the read buffer by
 * NativeByteParser or FtraceByteParser, which hand the lines they do not read themselves to the
 * string parsers.
 */
export function* replay(
  file: string,
  options: PassOptions,
  tracker: Tracker,
  hooks: PassHooks = {},
  read: ReadOptions = {},
): Generator<EventChunk, PassResult> {
  if (read.strings) return yield* replayStrings(file, options, tracker, hooks, read.bufferSize ?? BUFFER);
  const reader = new ByteLineReader(file, hooks.onBytes, read.bufferSize ?? BUFFER, hooks.onText);
  try {
    hooks.onOpen?.(reader.stats);
    const w = new ChunkWriter();
    const first = reader.nextMeaningful();
    if (first === undefined) throw fileError(file, 'empty trace (no events, only blank lines and comments)');
    const start = firstNonSpace(first);
    const format = detectFormat(first, start);
    if (format === undefined) throw lineError(file, reader.line, unknownFormat(first, start));
    if (format === 'native') checkNative(file, options, reader.line);
    const parser =
      format === 'native'
        ? new NativeByteParser(file, tracker, options.cpus)
        : new FtraceByteParser(file, tracker, options, options.cpus);
    parser.parseText(first, reader.line);
    for (let i = 0; i < tracker.pending; i++) {
      w.push(tracker.kind[i] as number, tracker.id[i] as number, tracker.cpu[i] as number);
    }
    tracker.pending = 0;
    const scan = read.scan ?? (reader.stats.size >= SCAN_THREAD_FROM ? 'shared' : 'off');
    const ahead = parser instanceof FtraceByteParser && !reader.gzip && scan !== 'off' ? scan : undefined;
    for (;;) {
      if (reader.pos === reader.lineEnd) {
        reader.line = parser.line;
        if (ahead) {
          yield* scannedAhead(reader, parser as FtraceByteParser, options, w, ahead);
          reader.line = parser.line;
          break;
        }
        if (!reader.fill()) break;
      }
      reader.pos = parser.run(reader.buf, reader.pos, reader.lineEnd, w);
      if (w.pending >= CHUNK) yield w.take();
    }
    if (tracker.allocations === 0) throw fileError(file, noTables(options));
    if (w.pending > 0) yield w.take();
    return { format, lines: reader.line };
  } catch (e) {
    throw reader.blame(e);
  } finally {
    reader.close();
  }
}

/**
 * The rest of an ftrace file, read ahead and scanned on two threads (scan-pipeline.ts), acted on
 * here in order: the same events, counts and errors as FtraceByteParser.run over the same lines.
 */
function* scannedAhead(
  reader: ByteLineReader,
  parser: FtraceByteParser,
  filter: Filter,
  w: ChunkWriter,
  mode: ScanMode,
): Generator<EventChunk, void> {
  const rest = reader.handOver();
  if (!rest) return;
  const lineNow = () => parser.line;
  const pipe = new ScanPipeline(reader.file, rest.readInto, rest.carry, filter, reader.buf.length, lineNow, mode);
  try {
    for (let s = pipe.next(); s; s = pipe.next()) {
      for (let i = 0; i < s.count; ) {
        i = parser.runRecords(s.buf, 0, s.rec, i, s.count, w);
        if (w.pending >= CHUNK) yield w.take();
      }
      // Lines past the slot's records: scanned here.
      for (let pos = s.scannedTo; pos < s.end; ) {
        pos = parser.run(s.buf, pos, s.end, w);
        if (w.pending >= CHUNK) yield w.take();
      }
    }
  } finally {
    pipe.close();
  }
}

/** replay() as it was before the byte parser, line by line as strings: the reference in tests. */
function* replayStrings(
  file: string,
  options: PassOptions,
  tracker: Tracker,
  hooks: PassHooks,
  bufferSize: number,
): Generator<EventChunk, PassResult> {
  const reader = new LineReader(file, hooks.onBytes, bufferSize, hooks.onText);
  try {
    hooks.onOpen?.(reader.stats);
    const w = new ChunkWriter();
    let format: TraceFormat | undefined;
    let parse: LineParser | undefined;
    for (let line = reader.next(); line !== undefined; line = reader.next()) {
      const start = firstNonSpace(line);
      if (start < 0 || line.charCodeAt(start) === 35 /* # */) continue;
      if (parse === undefined) {
        format = detectFormat(line, start);
        if (format === undefined) throw lineError(file, reader.line, unknownFormat(line, start));
        parse = parserFor(file, format, options, tracker, reader.line);
      }
      parse(line, start, reader.line);
      for (let i = 0; i < tracker.pending; i++) {
        if (w.push(tracker.kind[i] as number, tracker.id[i] as number, tracker.cpu[i] as number)) yield w.take();
      }
      tracker.pending = 0;
    }
    if (format === undefined) throw fileError(file, 'empty trace (no events, only blank lines and comments)');
    if (tracker.allocations === 0) throw fileError(file, noTables(options));
    if (w.pending > 0) yield w.take();
    return { format, lines: reader.line };
  } catch (e) {
    throw reader.blame(e);
  } finally {
    reader.close();
  }
}

function parserFor(file: string, format: TraceFormat, o: PassOptions, tracker: Tracker, line: number): LineParser {
  if (format === 'ftrace') return ftraceParser(file, tracker, o, o.cpus);
  checkNative(file, o, line);
  return nativeParser(file, tracker, o.cpus);
}

function checkNative(file: string, o: Filter, line: number): void {
  if (o.cache !== '' || o.site !== '') {
    throw lineError(file, line, 'cache= and site= filter ftrace events, but this is a native trace');
  }
}

/** `no allocation of 1024 bytes (size=1024,cache=…)`. */
function noTables(o: Filter): string {
  const given = [`size=${o.size}`, o.cache && `cache=${o.cache}`, o.site && `site=${o.site}`].filter(Boolean);
  return `no allocation of ${o.size} bytes (${given.join(',')})`;
}

/** Run a pass to its end for its counts and result, dropping the events. */
export function finish(pass: Generator<EventChunk, PassResult>): PassResult {
  for (;;) {
    const step = pass.next();
    if (step.done) return step.value;
  }
}
