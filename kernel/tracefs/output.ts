import { once } from 'node:events';
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createGzip, type Gzip, gzipSync } from 'node:zlib';
import { badInput, environment, errnoOf } from './errors.ts';

/** Text is written out once this much is pending. */
const FLUSH = 1 << 16;

/**
 * A trace file written as it is recorded, atomically: into a temporary file beside it, renamed over
 * nothing at the end (an existing file is refused), removed on abort. Gzip-compressed when the name
 * ends in .gz. The header comes first and has a fixed length, so that what is only known at the end
 * (end time, losses, counts) is written into it in place: for .gz it is a gzip member of its own,
 * stored uncompressed, so its length is fixed too (readers take concatenated members as one stream).
 */
export class TraceWriter {
  readonly temp: string;
  readonly gzip: boolean;
  #fd: number | undefined;
  #headerBytes: number;
  #gz: Gzip | undefined;
  #pending: string[] = [];
  #pendingLength = 0;
  #done = false;
  #error: unknown;

  /** Refuse an --out that exists or whose folder does not (before anything is started). */
  static check(file: string): void {
    if (existsSync(file))
      throw badInput(`exists (record never overwrites a file)`, { option: 'out', value: String(file) });
    const dir = dirname(file);
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      // isDir stays false
    }
    if (!isDir) throw badInput(`no folder ${dir}`, { option: 'out', value: String(file) });
  }

  constructor(
    readonly file: string,
    header: string,
  ) {
    TraceWriter.check(file);
    const dir = dirname(file);
    this.gzip = file.endsWith('.gz');
    this.temp = join(dir, `.${basename(file)}.${process.pid}.tmp`);
    try {
      this.#fd = openSync(this.temp, 'wx');
    } catch (e) {
      throw environment(`cannot write in ${dir} (${errnoOf(e)})`, { option: 'out', value: String(file) });
    }
    const head = this.#encodeHeader(header);
    this.#headerBytes = head.length;
    writeSync(this.#fd, head);
    if (this.gzip) {
      this.#gz = createGzip();
      this.#gz.on('data', (chunk: Buffer) => {
        try {
          if (this.#fd !== undefined) writeSync(this.#fd, chunk);
        } catch (e) {
          this.#error ??= e;
        }
      });
    }
  }

  /** Add text (whole lines) to the trace. */
  write(text: string): void {
    if (text === '') return;
    this.#pending.push(text);
    this.#pendingLength += text.length;
    if (this.#pendingLength >= FLUSH) this.flush();
  }

  /** Hand the pending text to the file (or to the compressor). */
  flush(): void {
    if (this.#pendingLength === 0) return;
    const text = this.#pending.join('');
    this.#pending = [];
    this.#pendingLength = 0;
    if (this.#gz) this.#gz.write(text);
    else writeSync(this.#fd as number, text);
    this.#check();
  }

  /** Whether the compressor has taken in more than it has written out (so the caller waits for 'drain'). */
  get backedUp(): boolean {
    return this.#gz?.writableNeedDrain === true;
  }

  async drained(): Promise<void> {
    if (this.#gz?.writableNeedDrain) await once(this.#gz, 'drain');
  }

  /** Write the final header in place of the first, finish the file and rename it into place. */
  async finish(header: string): Promise<void> {
    this.flush();
    if (this.#gz) {
      const ended = once(this.#gz, 'end');
      this.#gz.end();
      await ended;
    }
    this.#check();
    const head = this.#encodeHeader(header);
    if (head.length !== this.#headerBytes) {
      throw new Error(`the final header is ${head.length} bytes, not ${this.#headerBytes}`);
    }
    const fd = this.#fd as number;
    writeSync(fd, head, 0, head.length, 0);
    fsyncSync(fd);
    closeSync(fd);
    this.#fd = undefined;
    renameSync(this.temp, this.file);
    this.#done = true;
  }

  /** Give up: close and remove the temporary file (nothing half-written stays). Safe after finish(). */
  abort(): void {
    if (this.#done) return;
    this.#done = true;
    this.#gz?.destroy();
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    rmSync(this.temp, { force: true });
  }

  #encodeHeader(header: string): Buffer {
    const bytes = Buffer.from(header);
    return this.gzip ? gzipSync(bytes, { level: 0 }) : bytes;
  }

  #check(): void {
    if (this.#error !== undefined) {
      throw environment(`cannot write (${errnoOf(this.#error)})`, { option: 'out', value: String(this.file) });
    }
  }
}
