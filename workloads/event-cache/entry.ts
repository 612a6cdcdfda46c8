import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { crc32 } from 'node:zlib';
import { CHUNK, type EventChunk } from '../events.ts';

/**
 * One cache entry: a trace's table events as converted once, in the compact binary form the replay
 * consumes. The layout (little-endian, as every platform Node runs on here):
 *
 *   0     "L2EVENTS", u32 FORMAT, u32 header length, u32 CRC-32 of the header, the header (JSON),
 *         zero padding to HEADER_BYTES;
 *   4096  blocks, each: u32 BLOCK_MAGIC, u32 events n, u32 ids (1 + the largest id written so far),
 *         u32 CRC-32 of its payload; then the payload: id i32[n], cpu u16[n], kind u8[n], zero
 *         padding to a multiple of 4.
 *
 * The header, written last, gives the events, the blocks and the file's size: an entry cut short,
 * grown or with a flipped bit fails `verify` and is converted again, never replayed.
 */
const MAGIC = Buffer.from('L2EVENTS', 'latin1');
/** Bump when the layout changes: entries of another format are converted again. */
const FORMAT = 1;
const HEADER_BYTES = 4096;
const BLOCK_MAGIC = 0x4b4c4245; // "EBLK"
const BLOCK_HEAD = 16;
/** Events per block: 448 KiB of payload, read into one reused buffer. */
const BLOCK_EVENTS = 1 << 16;

/** What an entry's header says besides its layout: the converter's own facts (format, counts). */
export interface EntryHeader {
  readonly format: number;
  /** What the events were converted from and how (file hash, parser version, options). */
  readonly key: Readonly<Record<string, string | number | boolean>>;
  readonly events: number;
  readonly blocks: number;
  readonly bytes: number;
  /** The converter's facts, replayed with the events (a trace's format, highest CPU, counts). */
  readonly meta: Readonly<Record<string, unknown>>;
}

const payloadBytes = (n: number) => (7 * n + 3) & ~3;

if (endianness() !== 'LE') throw new Error('the event cache is little-endian: this platform is not');

/** Writes an entry's blocks as events come, then its header: to a file the caller renames into place. */
export class EntryWriter {
  readonly #fd: number;
  readonly #buf = new ArrayBuffer(BLOCK_HEAD + payloadBytes(BLOCK_EVENTS));
  readonly #id = new Int32Array(BLOCK_EVENTS);
  readonly #cpu = new Uint16Array(BLOCK_EVENTS);
  readonly #kind = new Uint8Array(BLOCK_EVENTS);
  #n = 0;
  #ids = 0;
  #events = 0;
  #blocks = 0;
  #bytes = HEADER_BYTES;

  constructor(path: string) {
    this.#fd = openSync(path, 'wx');
    writeSync(this.#fd, Buffer.alloc(HEADER_BYTES), 0, HEADER_BYTES, 0);
  }

  /** Add a chunk's events. */
  append(chunk: EventChunk): void {
    for (let at = 0; at < chunk.length; ) {
      const take = Math.min(chunk.length - at, BLOCK_EVENTS - this.#n);
      this.#id.set(chunk.id.subarray(at, at + take), this.#n);
      this.#cpu.set(chunk.cpu.subarray(at, at + take), this.#n);
      this.#kind.set(chunk.kind.subarray(at, at + take), this.#n);
      this.#n += take;
      at += take;
      if (this.#n === BLOCK_EVENTS) this.#flush(chunk.ids);
    }
    if (chunk.ids > this.#ids) this.#ids = chunk.ids;
  }

  /** Write the last block and the header, and close: the entry is complete; returns its header. */
  finish(key: EntryHeader['key'], meta: EntryHeader['meta']): EntryHeader {
    if (this.#n > 0) this.#flush(this.#ids);
    const header: EntryHeader = {
      format: FORMAT,
      key,
      events: this.#events,
      blocks: this.#blocks,
      bytes: this.#bytes,
      meta,
    };
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    if (20 + json.length > HEADER_BYTES) throw new Error('event cache: entry header too long');
    const head = Buffer.alloc(20);
    MAGIC.copy(head, 0);
    head.writeUInt32LE(FORMAT, 8);
    head.writeUInt32LE(json.length, 12);
    head.writeUInt32LE(crc32(json), 16);
    writeSync(this.#fd, Buffer.concat([head, json]), 0, 20 + json.length, 0);
    closeSync(this.#fd);
    return header;
  }

  /** Close without finishing (the conversion failed): the caller removes the file. */
  abandon(): void {
    try {
      closeSync(this.#fd);
    } catch {
      // closed already (finish failed after closing)
    }
  }

  #flush(ids: number): void {
    const n = this.#n;
    if (ids > this.#ids) this.#ids = ids;
    const size = payloadBytes(n);
    const bytes = new Uint8Array(this.#buf, 0, BLOCK_HEAD + size);
    bytes.fill(0, BLOCK_HEAD + 7 * n);
    new Int32Array(this.#buf, BLOCK_HEAD, n).set(this.#id.subarray(0, n));
    new Uint16Array(this.#buf, BLOCK_HEAD + 4 * n, n).set(this.#cpu.subarray(0, n));
    bytes.set(this.#kind.subarray(0, n), BLOCK_HEAD + 6 * n);
    const head = new DataView(this.#buf, 0, BLOCK_HEAD);
    head.setUint32(0, BLOCK_MAGIC, true);
    head.setUint32(4, n, true);
    head.setUint32(8, this.#ids, true);
    head.setUint32(12, crc32(bytes.subarray(BLOCK_HEAD)), true);
    writeSync(this.#fd, bytes, 0, bytes.length, this.#bytes);
    this.#bytes += bytes.length;
    this.#events += n;
    this.#blocks++;
    this.#n = 0;
  }
}

/** Why an entry cannot be replayed; thrown by the readers below and caught by the cache, which converts again. */
export class BadEntry extends Error {}

/** The header of the entry at path, checked against the file (size, layout, CRC), or BadEntry. */
export function readHeader(fd: number): EntryHeader {
  const head = Buffer.alloc(HEADER_BYTES);
  if (readSync(fd, head, 0, HEADER_BYTES, 0) !== HEADER_BYTES) throw new BadEntry('shorter than its header');
  if (!head.subarray(0, 8).equals(MAGIC)) throw new BadEntry('not an event cache entry');
  if (head.readUInt32LE(8) !== FORMAT) throw new BadEntry(`format ${head.readUInt32LE(8)}, not ${FORMAT}`);
  const length = head.readUInt32LE(12);
  if (length === 0 || 20 + length > HEADER_BYTES) throw new BadEntry('unfinished (no header)');
  const json = head.subarray(20, 20 + length);
  if (crc32(json) !== head.readUInt32LE(16)) throw new BadEntry('header CRC-32 does not match');
  const header = JSON.parse(json.toString('utf8')) as EntryHeader;
  if (fstatSync(fd).size !== header.bytes) throw new BadEntry(`${fstatSync(fd).size} bytes, not ${header.bytes}`);
  return header;
}

/**
 * The blocks of an open entry, each checked (magic, CRC-32) before any of it is handed out, as chunks
 * of CHUNK events over one reused buffer (a consumer finishes with a chunk before asking for the
 * next); with `cpus`, each event's CPU is folded onto cpu % cpus. Throws BadEntry on a damaged block or a count that differs
 * from the header. The generator itself only hands out views: a block's read, check and fold are
 * plain functions, so that V8 optimizes those small loops and never this generator (compiling it,
 * twice with on-stack replacement, cost more than the replay's first blocks on a second run).
 */
export function* readBlocks(fd: number, header: EntryHeader, cpus = 0): Generator<EventChunk> {
  const buf = new ArrayBuffer(payloadBytes(BLOCK_EVENTS));
  const block = { bytes: new Uint8Array(buf), head: Buffer.alloc(BLOCK_HEAD), n: 0, ids: 0 };
  let pos = HEADER_BYTES;
  let events = 0;
  for (let b = 0; b < header.blocks; b++) {
    pos = readBlock(fd, pos, b, block);
    const n = block.n;
    events += n;
    const id = new Int32Array(buf, 0, n);
    const cpu = new Uint16Array(buf, 4 * n, n);
    const kind = new Uint8Array(buf, 6 * n, n);
    if (cpus > 0) foldCpus(cpu, cpus);
    // Handed out CHUNK events at a time, as every producer does.
    for (let at = 0; at < n; at += CHUNK) {
      const end = Math.min(n, at + CHUNK);
      yield {
        length: end - at,
        id: id.subarray(at, end),
        cpu: cpu.subarray(at, end),
        kind: kind.subarray(at, end),
        ids: block.ids,
      };
    }
  }
  if (events !== header.events || pos !== header.bytes) throw new BadEntry('events or size differ from the header');
}

/** What readBlock fills: the payload buffer, the block's head, its events and ids. */
interface BlockBuffer {
  readonly bytes: Uint8Array;
  readonly head: Buffer;
  n: number;
  ids: number;
}

/** Read block b at pos into `block`, checked (magic, count, CRC-32); returns the next block's position. */
function readBlock(fd: number, pos: number, b: number, block: BlockBuffer): number {
  const { head, bytes } = block;
  if (readSync(fd, head, 0, BLOCK_HEAD, pos) !== BLOCK_HEAD) throw new BadEntry(`block ${b} cut short`);
  const n = head.readUInt32LE(4);
  if (head.readUInt32LE(0) !== BLOCK_MAGIC || n === 0 || n > BLOCK_EVENTS) throw new BadEntry(`block ${b} damaged`);
  const size = payloadBytes(n);
  if (readSync(fd, bytes, 0, size, pos + BLOCK_HEAD) !== size) throw new BadEntry(`block ${b} cut short`);
  if (crc32(bytes.subarray(0, size)) !== head.readUInt32LE(12)) throw new BadEntry(`block ${b}: CRC-32 does not match`);
  block.n = n;
  block.ids = head.readUInt32LE(8);
  return pos + BLOCK_HEAD + size;
}

/** Each CPU c becomes c % cpus. */
function foldCpus(cpu: Uint16Array, cpus: number): void {
  for (let i = 0; i < cpu.length; i++) cpu[i] = (cpu[i] as number) % cpus;
}

/** Read a whole entry once, checking every block, without keeping anything: BadEntry if it is damaged. */
export function verifyEntry(fd: number, header: EntryHeader): void {
  for (const _ of readBlocks(fd, header));
}
