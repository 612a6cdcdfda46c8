import { readSync } from 'node:fs';

/** Bytes read at a time. */
const CHUNK = 1 << 20;

/**
 * The lines of bytes [start, end) of a file, each with the offset it starts at, read a chunk at a
 * time: memory holds one chunk and one line, however long the file. A line is split on '\n' in the
 * bytes (no UTF-8 sequence holds that byte), and a '\r' before it is dropped.
 */
export function* fileLines(fd: number, start: number, end: number): Generator<[line: string, offset: number]> {
  const chunk = Buffer.allocUnsafe(CHUNK);
  let carry: Buffer | null = null;
  let carryAt = start;
  for (let at = start; at < end; ) {
    const n = readSync(fd, chunk, 0, Math.min(CHUNK, end - at), at);
    if (n === 0) break;
    let from = 0;
    for (let nl = chunk.indexOf(10, 0); nl >= 0 && nl < n; nl = chunk.indexOf(10, from)) {
      const piece = chunk.subarray(from, nl);
      const bytes: Buffer = carry ? Buffer.concat([carry, piece]) : piece;
      const lineAt: number = carry ? carryAt : at + from;
      carry = null;
      yield [bytes.toString('utf8', 0, bytes.length - (bytes[bytes.length - 1] === 13 ? 1 : 0)), lineAt];
      from = nl + 1;
    }
    if (from < n) {
      const rest = Buffer.from(chunk.subarray(from, n));
      if (!carry) carryAt = at + from;
      carry = carry ? Buffer.concat([carry, rest]) : rest;
    }
    at += n;
  }
  if (carry) yield [carry.toString('utf8'), carryAt];
}

/** A line that opens a top-level array of a results file (`  "records": [`). */
export const ARRAY_START = /^ {2}"(records|missing)": \[$/;
/** A line that closes it (`  ],` or `  ]`). */
const ARRAY_END = /^ {2}\](,?)$/;
/** The last line of an element of such an array: one-line (`    {…},`) or the close of a longer one (`    },`). */
const ELEMENT_END = /^ {4}(\{.*)?\},?$/;

/**
 * The elements of one top-level array, from its lines: one element a line as l2bench writes them,
 * or spread over several lines (an older run's missing cells, a file indented again by a tool),
 * each ending at a line of the array's indentation. Yields the element's JSON text, without the
 * comma that follows it, and the offset of its first line; null for a line that cannot be part of
 * one (the file is not in this layout).
 */
export function* arrayElements(
  lines: Iterable<[string, number]>,
): Generator<{ text: string; at: number } | { end: [line: string, at: number] } | null> {
  let parts: string[] = [];
  let first = -1;
  for (const [line, at] of lines) {
    if (parts.length === 0) {
      if (ARRAY_END.test(line)) {
        yield { end: [line, at] };
        return;
      }
      if (!line.startsWith('    {')) {
        yield null;
        return;
      }
      first = at;
    }
    parts.push(line);
    if (ELEMENT_END.test(line)) {
      const text = parts.length === 1 ? (parts[0] as string) : parts.join('\n');
      yield { text: text.endsWith(',') ? text.slice(0, -1) : text, at: first };
      parts = [];
    }
  }
  yield null;
}
