import { closeSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { csvExporter } from './csv.ts';
import { OutDirError, ResultsError } from './errors.ts';
import { jsonExporter } from './json.ts';
import { FORMATS, type Format } from './output-formats.ts';
import type { Exporter, ReportOptions, RunResult, RunSource } from './run-schema.ts';
import { asSource } from './run-source.ts';

/** Where a file is written before it is renamed into place. */
const tmpOf = (file: string) => `${file}.${process.pid}.tmp`;

/** Write a file atomically: a temporary file beside it, then rename, so no reader sees half of it. */
function writeAtomic(file: string, text: string): void {
  const tmp = tmpOf(file);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Prepare an output folder. A given folder may exist only if empty: an earlier run is never
 * overwritten. Without one, a new runs/<timestamp>/ folder is made (with a suffix if taken).
 */
export function prepareOutDir(out: string | undefined, now: Date, root = 'runs'): string {
  if (out !== undefined) {
    if (!makeDir(out)) {
      let entries: string[];
      try {
        entries = readdirSync(out);
      } catch (e) {
        throw new OutDirError(out, (e as Error).message);
      }
      if (entries.length > 0) throw new OutDirError(out, 'folder is not empty; refusing to overwrite a run');
    }
    probeWritable(out);
    return out;
  }
  const stamp = now
    .toISOString()
    .replace(/[:]/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  for (let n = 0; ; n++) {
    const dir = join(root, n === 0 ? stamp : `${stamp}-${n}`);
    try {
      if (makeDir(dir)) return dir;
    } catch (e) {
      // No folder was asked for: say it is the default one.
      if (e instanceof OutDirError) throw new OutDirError(e.dir, e.problem, false);
      throw e;
    }
  }
}

/** Fail now, not after the run, when results could not be written into `dir`. */
function probeWritable(dir: string): void {
  const probe = join(dir, tmpOf('.l2bench-probe'));
  try {
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (e) {
    throw new OutDirError(dir, `folder is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/**
 * mkdir one folder and its missing parents: true if made, false if it existed. Each level is made
 * on its own, because Node's recursive mkdir spins forever on some file systems (/proc).
 */
export function makeDir(dir: string): boolean {
  try {
    mkdirSync(dir);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    const parent = dirname(dir);
    if (code === 'ENOENT' && parent !== dir) {
      try {
        makeDir(parent);
      } catch (p) {
        // The parent is what failed (a read-only working directory): say so, not ENOENT.
        if (p instanceof OutDirError) {
          const why = /\((\w+)\)$/.exec(p.problem)?.[1] ?? p.problem;
          throw new OutDirError(dir, `cannot create the folder, as its parent ${p.dir} cannot be created (${why})`);
        }
        throw p;
      }
      try {
        mkdirSync(dir);
        return true;
      } catch (again) {
        throw new OutDirError(
          dir,
          `cannot create the folder (${(again as NodeJS.ErrnoException).code ?? (again as Error).message})`,
        );
      }
    }
    throw new OutDirError(dir, `cannot create the folder (${code ?? (e as Error).message})`);
  }
}

/** The exporters of the result files, which can be written at once (streamed): loaded with this module. */
const STREAMED: Readonly<Partial<Record<Format, Exporter>>> = { csv: csvExporter, json: jsonExporter };

/**
 * Each format's exporter: the reports' (md, html: their analysis, some 40 modules that a run writing
 * no report does not need) loaded when one is written.
 */
const EXPORTER_OF: Readonly<Record<Format, () => Promise<Exporter>>> = {
  csv: async () => csvExporter,
  json: async () => jsonExporter,
  md: async () => (await import('./markdown.ts')).markdownExporter,
  html: async () => (await import('./html.ts')).htmlExporter,
};

/** The formats, each known; an unknown format is refused before anything is written. */
function knownFormats(formats: readonly string[]): Format[] {
  for (const format of formats) {
    if (!(FORMATS as readonly string[]).includes(format))
      throw new ResultsError(`unknown format '${format}' (allowed: ${FORMATS.join(', ')})`);
  }
  return formats as Format[];
}

/**
 * Write a run in the given formats (csv, json, md, html) into a folder, one after another, each file
 * atomically. Resolves to the files. The result files are written from the run's records one at a
 * time (a RunSource: a spool, a results file read as a stream); the reports read them all. (The
 * HTML report loads its chart libraries on first use.)
 */
export async function writeResults(
  dir: string,
  run: RunResult | RunSource,
  formats: readonly string[] = ['csv', 'json'],
  options: ReportOptions = {},
): Promise<string[]> {
  const source = asSource(run);
  const files: string[] = [];
  for (const format of knownFormats(formats)) {
    const exporter = await EXPORTER_OF[format]();
    const file = join(dir, exporter.file);
    if (exporter.stream) streamTo(file, exporter.stream.bind(exporter), source);
    else writeAtomic(file, await exporter.render(source, options));
    files.push(file);
  }
  return files;
}

/**
 * The result files (csv, json) at once, streamed: the saves while a run goes, and the last one on a
 * second Ctrl-C, which cannot wait. Returns the files.
 */
export function writeResultsNow(dir: string, run: RunSource, formats: readonly string[]): string[] {
  return knownFormats(formats).map((format) => {
    const exporter = STREAMED[format];
    if (!exporter?.stream) throw new ResultsError(`format '${format}' cannot be written at once`);
    const file = join(dir, exporter.file);
    streamTo(file, exporter.stream.bind(exporter), run);
    return file;
  });
}

/** Bytes gathered before a write: a million records are not a million system calls. */
const WRITE_CHUNK = 1 << 20;

/**
 * Pieces of a file gathered in one buffer and written a buffer at a time: text encoded into it,
 * bytes copied into it (a piece of more than half the buffer written as it is), so that a save
 * copies what a run keeps ready, records and rows, with no string or buffer made per piece.
 */
class BufferedWrites {
  readonly #fd: number;
  readonly #buffer = Buffer.allocUnsafe(WRITE_CHUNK);
  #used = 0;

  constructor(fd: number) {
    this.#fd = fd;
  }

  write(piece: string | Uint8Array): void {
    // UTF-8 takes at most 3 bytes for each UTF-16 unit of a string.
    const most = typeof piece === 'string' ? 3 * piece.length : piece.length;
    if (most > WRITE_CHUNK - this.#used) {
      this.flush();
      if (most > WRITE_CHUNK / 2) {
        writeAll(this.#fd, typeof piece === 'string' ? Buffer.from(piece) : piece);
        return;
      }
    }
    if (typeof piece === 'string') this.#used += this.#buffer.write(piece, this.#used);
    else {
      this.#buffer.set(piece, this.#used);
      this.#used += piece.length;
    }
  }

  flush(): void {
    writeAll(this.#fd, this.#buffer.subarray(0, this.#used));
    this.#used = 0;
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
}

/** Write a result file piece by piece, atomically: a temporary file beside it, then rename. */
function streamTo(file: string, stream: NonNullable<Exporter['stream']>, run: RunSource): void {
  const tmp = tmpOf(file);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'w');
    const out = new BufferedWrites(fd);
    stream(run, (piece) => out.write(piece));
    out.flush();
    closeSync(fd);
    fd = null;
    renameSync(tmp, file);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    // A failed write (a full disk) names no file: name the one it was writing, as a failed open does.
    if (e instanceof Error && !('path' in e)) Object.assign(e, { path: tmp });
    throw e;
  }
}
