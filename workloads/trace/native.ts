import { lineError, quote } from './errors.ts';
import { firstNonSpace, isTimestamp, parseTrimmedUint } from './text.ts';
import type { LineParser, Tracker } from './tracker.ts';

export const MAX_CPU = 0xffff;

/**
 * The native format: `alloc,ID[,CPU[,TIMESTAMP]]` and `free,ID[,CPU[,TIMESTAMP]]`, CPU 0 by default,
 * TIMESTAMP in seconds (`323.570264`, as `l2bench record` writes it: checked, not replayed). Every alloc is a table,
 * so an alloc of a live ID or a free of an ID that is not live means the trace is wrong: it throws.
 */
export function nativeParser(file: string, tracker: Tracker, cpus: number): LineParser {
  return (line, start, no) => {
    const c1 = line.indexOf(',', start);
    if (c1 < 0) throw lineError(file, no, `expected alloc,ID[,CPU] or free,ID[,CPU], got ${quote(line.slice(start))}`);
    const isAlloc = c1 - start === 5 && line.startsWith('alloc', start);
    if (!isAlloc && !(c1 - start === 4 && line.startsWith('free', start))) {
      throw lineError(file, no, `unknown event ${quote(line.slice(start, c1))} (expected alloc or free)`);
    }
    const c2 = line.indexOf(',', c1 + 1);
    const id = (c2 < 0 ? line.slice(c1 + 1) : line.slice(c1 + 1, c2)).trim();
    if (id === '') throw lineError(file, no, 'missing ID');
    let cpu = 0;
    if (c2 >= 0) {
      const c3 = line.indexOf(',', c2 + 1);
      if (c3 >= 0 && line.indexOf(',', c3 + 1) >= 0) {
        throw lineError(file, no, 'too many fields (expected alloc,ID[,CPU[,TIMESTAMP]])');
      }
      const cpuEnd = c3 < 0 ? line.length : c3;
      cpu = parseTrimmedUint(line, c2 + 1, cpuEnd);
      if (cpu < 0 || cpu > MAX_CPU) {
        throw lineError(file, no, `bad CPU ${quote(line.slice(c2 + 1, cpuEnd).trim())} (expected 0..${MAX_CPU})`);
      }
      if (c3 >= 0 && !isTimestamp(line, c3 + 1, line.length)) {
        throw lineError(
          file,
          no,
          `bad TIMESTAMP ${quote(line.slice(c3 + 1).trim())} (expected seconds as ftrace prints them, e.g. 323.570264)`,
        );
      }
    }
    if (cpu > tracker.maxCpu) tracker.maxCpu = cpu;
    cpu %= cpus;
    if (isAlloc) {
      if (!tracker.alloc(id, cpu, no)) {
        throw lineError(
          file,
          no,
          `alloc of ID ${quote(id)}, which is live (allocated on line ${tracker.allocatedOn(id)})`,
        );
      }
    } else if (!tracker.free(id, cpu)) {
      throw lineError(file, no, `free of ID ${quote(id)}, which is not live`);
    }
  };
}

/** Whether a meaningful line is in the native format. */
export function isNativeLine(line: string, start = firstNonSpace(line)): boolean {
  return line.startsWith('alloc,', start) || line.startsWith('free,', start);
}
