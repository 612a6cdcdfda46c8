import { closeSync, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { crc32 } from 'node:zlib';
import type { Gunzip } from 'fflate';
import { notRegularFile } from '../../core/file-kind.ts';
import { cannotRead, fileError, TraceError } from './errors.ts';

/**
 * fflate, loaded at the first gzip trace: most traces are plain text, and loading it (it builds its
 * Huffman tables) cost every thread that reads a trace about 10 ms of its start.
 */
let fflate: typeof import('fflate') | undefined;
function gunzip(): typeof Gunzip {
  fflate ??= createRequire(import.meta.url)('fflate') as typeof import('fflate');
  return fflate.Gunzip;
}

/** Compressed bytes fed to the inflater at a time: its output for one feed stays a few MiB (1032× at worst). */
const GZIP_FEED = 64 << 10;

/**
 * The bytes of a trace file, plain or gzip-compressed (told by its first two bytes, 1f 8b, not its
 * name), read synchronously in pieces: memory stays flat however long the file is. onBytes sees the
 * file's bytes as stored (compressed ones for a .gz), for the sha256 of the file itself.
 */
export class TraceSource {
  readonly stats: Stats;
  readonly gzip: boolean;
  #fd: number | undefined;
  #inflate: GzipInflate | undefined;

  /** onText sees the trace's bytes as read (decompressed ones for a .gz), in order. */
  constructor(
    readonly file: string,
    readonly onBytes?: (bytes: Uint8Array) => void,
    readonly onText?: (bytes: Uint8Array) => void,
  ) {
    let fd: number | undefined;
    try {
      fd = openSync(file, 'r');
      this.stats = fstatSync(fd);
      this.gzip = startsWithGzipMagic(fd);
    } catch (e) {
      if (fd !== undefined) closeSync(fd);
      throw cannotRead(file, e);
    }
    this.#fd = fd;
    if (this.gzip) {
      this.#inflate = new GzipInflate(
        file,
        (buf, off, len) => this.#readRaw(buf, off, len),
        (buf, pos) => this.#preadRaw(buf, pos),
      );
    }
  }

  /** Fill buf[off, off + len) with the next bytes of the (decompressed) trace: how many (0 at the end). */
  read(buf: Uint8Array, off: number, len: number): number {
    const n = this.#inflate ? this.#inflate.read(buf, off, len) : this.#readRaw(buf, off, len);
    if (n > 0) this.onText?.(buf.subarray(off, off + n));
    return n;
  }

  /**
   * The error to report for `e`, met while reading this trace: inside a gzip stream, corruption
   * inflates to garbage before the inflater or a CRC-32 notices, so a line error there may be the
   * garbage's. The rest of the stream is inflated (and dropped) to find out: its own error, naming
   * the file as corrupt, when it has one; else `e`.
   */
  blame(e: unknown): unknown {
    if (!this.#inflate || !(e instanceof TraceError) || this.#fd === undefined || this.#inflate.failed) return e;
    const sink = new Uint8Array(GZIP_FEED);
    try {
      while (this.#inflate.read(sink, 0, sink.length) > 0);
    } catch (g) {
      if (g instanceof TraceError) {
        return new TraceError(`${g.message}; the text inflated before it was garbage (read as ${e.message})`);
      }
      throw g;
    }
    return e;
  }

  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }

  #readRaw(buf: Uint8Array, off: number, len: number): number {
    let n: number;
    try {
      n = readSync(this.#fd as number, buf, off, len, null);
    } catch (e) {
      throw cannotRead(this.file, e);
    }
    if (n > 0) this.onBytes?.(buf.subarray(off, off + n));
    return n;
  }

  /** Read buf.length bytes at pos, not moving on and not hashing them: how many. */
  #preadRaw(buf: Uint8Array, pos: number): number {
    try {
      return readSync(this.#fd as number, buf, 0, buf.length, pos);
    } catch (e) {
      throw cannotRead(this.file, e);
    }
  }
}

/**
 * Refuse a trace that is not a regular file (a FIFO, /dev/stdin) before opening it: a workload reads
 * its trace more than once (to check and hash it when created, then once per replay), and a second
 * read of a FIFO waits forever. `trace stats` reads once, and streams one.
 */
export function requireRegularTrace(file: string): void {
  const kind = notRegularFile(file);
  if (kind) {
    throw fileError(
      file,
      `${kind}, not a regular file: a run reads its trace more than once (to check and hash it, then once per replay); save it to a file first (trace stats reads one once)`,
    );
  }
}

/**
 * A check for later passes over a file: its size and mtime must be those it had when first read
 * (opened, from that pass's fstat), or it throws `FILE: changed since the workload was created`.
 */
export function unchangedSince(file: string, opened: () => Stats | undefined): (now: Stats) => void {
  return (now) => {
    const was = opened();
    if (now.size !== was?.size || now.mtimeMs !== was.mtimeMs) {
      throw fileError(file, 'changed since the workload was created (size or mtime differ)');
    }
  };
}

/** Whether the file starts with 1f 8b, read in place (a pipe, which cannot be, is taken as plain text). */
function startsWithGzipMagic(fd: number): boolean {
  const magic = Buffer.alloc(2);
  try {
    return readSync(fd, magic, 0, 2, 0) === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } catch {
    return false;
  }
}

/**
 * A streaming gzip inflater pulling from readRaw: fflate's synchronous Gunzip (concatenated members
 * allowed), with each member's CRC-32 and length checked against its trailer (fflate does not), so
 * that a file cut short or corrupt is refused rather than read in part.
 */
class GzipInflate {
  readonly #gunzip: Gunzip;
  /** Inflated bytes not handed out yet. */
  #out: Uint8Array[] = [];
  #outPos = 0;
  #ended = false;
  /** Compressed bytes read so far. */
  #raw = 0;
  /** CRC-32 and length (mod 2^32) of the current member's inflated bytes. */
  #crc = 0;
  #size = 0;
  /** The stream was found corrupt (the error was thrown). */
  failed = false;

  constructor(
    readonly file: string,
    readonly readRaw: (buf: Uint8Array, off: number, len: number) => number,
    readonly preadRaw: (buf: Uint8Array, pos: number) => number,
  ) {
    this.#gunzip = new (gunzip())((chunk) => {
      if (chunk.length === 0) return;
      this.#out.push(chunk);
      this.#crc = crc32(chunk, this.#crc);
      this.#size = (this.#size + chunk.length) >>> 0;
    });
    // A new member starts at offset: the last one's 8-byte trailer ends there.
    this.#gunzip.onmember = (offset) => this.#checkTrailer(offset);
  }

  /** The trailer of the member that ends at offset (CRC-32, then length mod 2^32, little-endian) matches what it inflated to. */
  #checkTrailer(offset: number): void {
    const trailer = Buffer.alloc(8);
    const ok =
      offset >= 8 &&
      this.preadRaw(trailer, offset - 8) === 8 &&
      trailer.readUInt32LE(0) === this.#crc &&
      trailer.readUInt32LE(4) === this.#size;
    if (!ok) {
      this.failed = true;
      throw fileError(this.file, 'gzip data is corrupt or cut short (CRC-32 or length does not match)');
    }
    this.#crc = 0;
    this.#size = 0;
  }

  read(buf: Uint8Array, off: number, len: number): number {
    while (this.#out.length === 0) {
      if (this.#ended) return 0;
      // A fresh buffer each time: fflate may keep a pushed chunk (a gzip header cut short) until the next push.
      const input = new Uint8Array(GZIP_FEED);
      const n = this.readRaw(input, 0, GZIP_FEED);
      this.#raw += n;
      if (n === 0) this.#ended = true;
      try {
        this.#gunzip.push(input.subarray(0, n), n === 0);
      } catch (e) {
        this.failed = true;
        if (e instanceof TraceError) throw e;
        const what = e instanceof Error ? e.message : String(e);
        throw fileError(this.file, `gzip data is corrupt or cut short (${what})`);
      }
      if (this.#ended) this.#checkTrailer(this.#raw);
    }
    let done = 0;
    while (done < len && this.#out.length > 0) {
      const chunk = this.#out[0] as Uint8Array;
      const n = Math.min(len - done, chunk.length - this.#outPos);
      buf.set(chunk.subarray(this.#outPos, this.#outPos + n), off + done);
      done += n;
      this.#outPos += n;
      if (this.#outPos === chunk.length) {
        this.#out.shift();
        this.#outPos = 0;
      }
    }
    return done;
  }
}
