import { lineError, quote } from '../trace/errors.ts';
import { cpuColumn, eventStart, field, isHeader } from '../trace/ftrace.ts';
import { firstNonSpace, parseUint, tokenEnd } from '../trace/text.ts';

/** A 64-bit hex value as `0x…` prints it: its low 32 bits and whether any bit above is set. */
interface Hex {
  readonly low: number;
  readonly high: boolean;
}

function parseHex(text: string | undefined): Hex | undefined {
  if (text === undefined || !/^0x[0-9a-fA-F]{1,16}$/.test(text)) return undefined;
  const digits = text.slice(2);
  const cut = Math.max(0, digits.length - 8);
  return { low: Number.parseInt(digits.slice(cut), 16), high: cut > 0 && /[1-9a-fA-F]/.test(digits.slice(0, cut)) };
}

/**
 * One iommu:map or iommu:unmap event of a tracefs text line, as the tracepoints print them
 * (`IOMMU: iova=0x… - 0x… paddr=0x… size=N`, `IOMMU: iova=0x… - 0x… size=N unmapped_size=N`).
 */
export interface IommuEvent {
  readonly kind: 'map' | 'unmap';
  /** The trace's CPU column. */
  readonly cpu: number;
  readonly iova: Hex;
  /** map: paddr; unmap: none (low 0). */
  readonly paddr: Hex;
  /** map: size=; unmap: unmapped_size= (what the kernel did unmap). */
  readonly size: number;
  /** unmap: size= (what was asked); map: size=. */
  readonly requested: number;
  /** Where the event's name starts in the line: line.slice(0, at) is the task, CPU, flags and timestamp. */
  readonly at: number;
}

const NO_HEX: Hex = { low: 0, high: false };

/**
 * The iommu:map or iommu:unmap event of a line, or undefined for anything else tracefs prints
 * (`#` headers, other events); a line that is not an event line, or a map or unmap without its
 * fields, throws a TraceError naming FILE:LINE.
 */
export function parseIommuLine(file: string, no: number, line: string): IommuEvent | undefined {
  const start = firstNonSpace(line);
  if (start < 0 || line.charCodeAt(start) === 35 /* # */) return undefined;
  const open = cpuColumn(line, start);
  if (open < 0) {
    if (isHeader(line, start)) return undefined;
    throw lineError(file, no, `not an ftrace event line (no [CPU] column): ${quote(line.slice(start))}`);
  }
  const close = line.indexOf(']', open);
  const p = eventStart(line, close);
  if (p < 0) return undefined;
  const q = tokenEnd(line, p);
  const name = line.slice(p, q - 1);
  if (name !== 'map' && name !== 'unmap') return undefined;
  const iova = parseHex(field(line, q, ' iova='));
  if (!iova) throw lineError(file, no, `${name} without a hex iova= (${quote(field(line, q, ' iova=') ?? '')})`);
  const sizeKey = name === 'map' ? ' size=' : ' unmapped_size=';
  const size = whole(field(line, q, sizeKey));
  if (size < 0)
    throw lineError(
      file,
      no,
      `${name} without a whole number in ${sizeKey.trim()} (${quote(field(line, q, sizeKey) ?? '')})`,
    );
  let paddr = NO_HEX;
  let requested = size;
  if (name === 'map') {
    const pa = parseHex(field(line, q, ' paddr='));
    if (!pa) throw lineError(file, no, `map without a hex paddr= (${quote(field(line, q, ' paddr=') ?? '')})`);
    paddr = pa;
  } else {
    const asked = whole(field(line, q, ' size='));
    if (asked >= 0) requested = asked;
  }
  return { kind: name, cpu: parseUint(line, open + 1, close), iova, paddr, size, requested, at: p };
}

function whole(text: string | undefined): number {
  return text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : -1;
}

/** The timestamp of an event line in seconds (the token before `: EVENT:`), NaN when it has none. */
export function stampOf(line: string, at: number): number {
  const colon = line.lastIndexOf(': ', at);
  if (colon < 0) return Number.NaN;
  const from = line.lastIndexOf(' ', colon - 1) + 1;
  return Number(line.slice(from, colon));
}
