/** Index of the first character of line at or after from that is not a space or a tab; -1 if none. */
export function firstNonSpace(line: string, from = 0): number {
  for (let i = from; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9) return i;
  }
  return -1;
}

/** Index of the space or tab that ends the token starting at from, or line.length. */
export function tokenEnd(line: string, from: number): number {
  for (let i = from; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 32 || c === 9) return i;
  }
  return line.length;
}

/** The whole number written in s[from, to) with ASCII digits only, or -1 (empty, other characters, too long). */
export function parseUint(s: string, from: number, to: number): number {
  if (to <= from || to - from > 15) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * A copy of s that shares no memory with the string it was sliced from. V8 keeps a substring of 13
 * characters or more as a view into its parent, so a pointer kept in the live map would otherwise pin
 * a whole 1 MiB read buffer; concatenating then slicing makes a fresh flat string.
 */
export function detach(s: string): string {
  return ` ${s}`.slice(1);
}

/** The whole number in line[from, to), spaces and tabs around it allowed, or -1. */
export function parseTrimmedUint(line: string, from: number, to: number): number {
  let a = from;
  let b = to;
  while (a < b && (line.charCodeAt(a) === 32 || line.charCodeAt(a) === 9)) a++;
  while (b > a && (line.charCodeAt(b - 1) === 32 || line.charCodeAt(b - 1) === 9)) b--;
  return parseUint(line, a, b);
}

/** Longest whole and fractional parts of a native trace's TIMESTAMP, in digits. */
export const STAMP_WHOLE_DIGITS = 20;
export const STAMP_FRACTION_DIGITS = 12;

/**
 * Whether line[from, to), spaces and tabs around it allowed, is a timestamp in seconds as ftrace
 * prints it: digits, optionally a point and more digits (`323.570264`).
 */
export function isTimestamp(line: string, from: number, to: number): boolean {
  let a = from;
  let b = to;
  while (a < b && (line.charCodeAt(a) === 32 || line.charCodeAt(a) === 9)) a++;
  while (b > a && (line.charCodeAt(b - 1) === 32 || line.charCodeAt(b - 1) === 9)) b--;
  const digits = (i: number) => {
    let j = i;
    while (j < b && line.charCodeAt(j) >= 48 && line.charCodeAt(j) <= 57) j++;
    return j;
  };
  const w = digits(a);
  if (w === a || w - a > STAMP_WHOLE_DIGITS) return false;
  if (w === b) return true;
  if (line.charCodeAt(w) !== 46) return false;
  const f = digits(w + 1);
  return f === b && f > w + 1 && f - w - 1 <= STAMP_FRACTION_DIGITS;
}

/** Index of the '\n' ending the line at buf[from] (the byte parsers' buffers always end with one). */
export function lineEnd(buf: Uint8Array, from: number): number {
  let i = from;
  while (buf[i] !== 10) i++;
  return i;
}
