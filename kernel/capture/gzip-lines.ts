import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { LabError } from '../lab/errors.ts';

/** Text gathered before it is compressed and written: one gzip member per MiB. */
const MEMBER = 1 << 20;

/**
 * A gzip file written a line at a time with bounded memory: each MiB of text becomes a gzip member
 * (readers take concatenated members as one stream), hashed as written. A write error (a full disk)
 * is a LabError naming the file; the caller removes the folder it writes in.
 */
export class GzipLines {
  readonly #hash = createHash('sha256');
  #fd: number | undefined;
  #pending: string[] = [];
  #length = 0;
  bytes = 0;
  lines = 0;

  constructor(readonly file: string) {
    this.#fd = openSync(file, 'wx');
  }

  write(line: string): void {
    this.#pending.push(line, '\n');
    this.#length += line.length + 1;
    this.lines++;
    if (this.#length >= MEMBER) this.#flush();
  }

  /** Flush, fsync and close: the file's sha256 and size. */
  finish(): { sha256: string; bytes: number } {
    this.#flush();
    const fd = this.#fd as number;
    this.#fd = undefined;
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return { sha256: this.#hash.digest('hex'), bytes: this.bytes };
  }

  /** Close without finishing (on failure: the folder is removed). */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #flush(): void {
    if (this.#length === 0) return;
    const gz = gzipSync(this.#pending.join(''), { level: 9 });
    this.#pending = [];
    this.#length = 0;
    try {
      for (let off = 0; off < gz.length; ) off += writeSync(this.#fd as number, gz, off);
    } catch (e) {
      throw writeFailure(this.file, e);
    }
    this.#hash.update(gz);
    this.bytes += gz.length;
  }
}

/** A write that failed, as one line: a full disk said as such. */
export function writeFailure(file: string, e: unknown): LabError {
  const code = e instanceof Error && 'code' in e ? String(e.code) : '';
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new LabError(`${file}: no space left on the device (${code}): nothing was kept`);
  return new LabError(`${file}: cannot write (${code || String(e)}): nothing was kept`);
}
