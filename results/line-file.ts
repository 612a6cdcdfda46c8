import { closeSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';

/** A file smaller than this is never compacted. */
const COMPACT_FLOOR = 64 << 20;

export interface LineFileOptions {
  /** The file is never compacted below this many bytes (default 64 MiB). */
  compactAbove?: number;
  /**
   * The file is removed from its folder as soon as it is opened (it stays readable through its
   * descriptor, and its space is freed once closed, however the process ends): for text that can
   * be made again from another file, and must not be left behind.
   */
  anonymous?: boolean;
}

/**
 * Lines of text in a file, one per cell of a plan at most, appended as they come (a cell's line
 * written again is appended anew, and the later one wins): memory holds only where each cell's
 * latest line starts and how long it is, 12 bytes a cell of the plan, however many lines there are.
 * A line is read back as bytes, a window of the file at a time: lines read in plan order mostly
 * follow one another in the file (cells finish about in plan order), a read a window, not a line.
 */
export class LineFile {
  readonly file: string;
  readonly #anonymous: boolean;
  readonly #compactAbove: number;
  #fd: number;
  #open = true;
  readonly #offset: Float64Array;
  readonly #length: Uint32Array;
  #end = 0;
  /** Bytes of the latest lines (newline included): the rest of the file is lines replaced since. */
  #live = 0;
  size = 0;

  /** The bytes of the file last read, from #windowAt. */
  #window = Buffer.allocUnsafe(1 << 20);
  #windowAt = 0;
  #windowBytes = 0;

  constructor(file: string, cells: number, options: LineFileOptions = {}) {
    this.file = file;
    this.#anonymous = options.anonymous ?? false;
    this.#compactAbove = options.compactAbove ?? COMPACT_FLOOR;
    this.#fd = this.#create(file);
    this.#offset = new Float64Array(cells).fill(-1);
    this.#length = new Uint32Array(cells);
  }

  #create(file: string): number {
    const fd = openSync(file, 'wx+');
    if (this.#anonymous) rmSync(file);
    return fd;
  }

  /** Cells of the plan: positions 0 to cells − 1. */
  get cells(): number {
    return this.#offset.length;
  }

  /** Bytes in the file: the latest lines and those replaced since the last compaction. */
  get bytes(): number {
    return this.#end;
  }

  /**
   * Append a line (its newline included) without making it a cell's yet: `set` does, once every
   * file a record goes to has taken it. A write that fails (a full disk) leaves the file's lines
   * as they were. Returns where the line starts.
   */
  append(line: Uint8Array): number {
    const at = this.#end;
    writeAll(this.#fd, line, at);
    this.#end += line.length;
    return at;
  }

  /** Make the line appended at `at`, `length` bytes with its newline, cell `position`'s. */
  set(position: number, at: number, length: number): void {
    if (this.#offset[position] === -1) this.size++;
    else this.#live -= this.#length[position] as number;
    this.#offset[position] = at;
    this.#length[position] = length;
    this.#live += length;
    // Each round of timing appends every timed line anew: copy the latest ones into a new file
    // once the replaced ones are most of it, so the disk used stays within three times the lines.
    if (this.#end > this.#compactAbove && this.#end > 3 * this.#live) this.#compact();
  }

  has(position: number): boolean {
    return (this.#offset[position] ?? -1) >= 0;
  }

  /**
   * Cell `position`'s line (undefined without one), with its newline or not, as bytes of the read
   * window: valid until the next read, so copy them before reading another line.
   */
  bytesOf(position: number, newline = false): Buffer | undefined {
    const at = this.#offset[position];
    if (at === undefined || at < 0) return undefined;
    const length = this.#length[position] as number;
    if (at < this.#windowAt || at + length > this.#windowAt + this.#windowBytes) this.#readWindow(at, length, position);
    const from = at - this.#windowAt;
    return this.#window.subarray(from, from + length - (newline ? 0 : 1));
  }

  /** Cell `position`'s line as text, without its newline (undefined without one). */
  text(position: number): string | undefined {
    return this.bytesOf(position)?.toString('utf8');
  }

  /** Read the file from `at` into the window, `length` bytes at least. */
  #readWindow(at: number, length: number, position: number): void {
    if (length > this.#window.length) this.#window = Buffer.allocUnsafe(length);
    const bytes = Math.min(this.#window.length, this.#end - at);
    readAll(this.#fd, this.#window.subarray(0, bytes), at, () => `${this.file}: line of cell ${position} cut short`);
    this.#windowAt = at;
    this.#windowBytes = bytes;
  }

  /** The latest lines, in plan order, into a new file that then takes this one's place. */
  #compact(): void {
    const next = `${this.file}.compact`;
    const fd = openSync(next, 'w+');
    const offset = new Float64Array(this.#offset.length).fill(-1);
    let end = 0;
    try {
      if (this.#anonymous) rmSync(next);
      const buffer = Buffer.allocUnsafe(1 << 16);
      for (let i = 0; i < this.#offset.length; i++) {
        const at = this.#offset[i] as number;
        if (at < 0) continue;
        const length = this.#length[i] as number;
        const bytes = length <= buffer.length ? buffer.subarray(0, length) : Buffer.allocUnsafe(length);
        readAll(this.#fd, bytes, at);
        writeAll(fd, bytes, end);
        offset[i] = end;
        end += length;
      }
      if (!this.#anonymous) renameSync(next, this.file);
    } catch (e) {
      // No room for the copy: go on with the file as it is.
      closeSync(fd);
      rmSync(next, { force: true });
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') return;
      throw e;
    }
    closeSync(this.#fd);
    this.#fd = fd;
    this.#windowBytes = 0; // its bytes were the old file's
    this.#offset.set(offset);
    this.#end = end;
  }

  /** Close the file and remove it. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    closeSync(this.#fd);
    if (!this.#anonymous) rmSync(this.file, { force: true });
  }

  /** Close the file and leave it (an anonymous one goes all the same). */
  keep(): void {
    if (!this.#open) return;
    this.#open = false;
    closeSync(this.#fd);
  }
}

function writeAll(fd: number, bytes: Uint8Array, at: number): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, at + done);
}

function readAll(fd: number, bytes: Uint8Array, at: number, short = () => 'file cut short'): void {
  for (let done = 0; done < bytes.length; ) {
    const n = readSync(fd, bytes, done, bytes.length - done, at + done);
    if (n === 0) throw new Error(short());
    done += n;
  }
}
