import { quote } from './errors.ts';
import { cpuColumn, isHeader } from './ftrace.ts';
import { isNativeLine } from './native.ts';

export type TraceFormat = 'native' | 'ftrace';

/** The format of a trace, from its first meaningful (non-blank, non-comment) line; undefined if neither. */
export function detectFormat(line: string, start: number): TraceFormat | undefined {
  if (isNativeLine(line, start)) return 'native';
  if (cpuColumn(line, start) >= 0 || isHeader(line, start)) return 'ftrace';
  return undefined;
}

/** What is wrong with a first line that is neither format. */
export function unknownFormat(line: string, start: number): string {
  // trace.dat starts with the bytes 17 08 44 and "tracing".
  if (line.startsWith('\u0017\bDtracing', start)) {
    return 'a binary trace-cmd .dat file: convert it to text with trace-cmd report';
  }
  return `neither the native format (alloc,ID[,CPU]) nor ftrace kmem events: ${quote(line.slice(start))}`;
}
