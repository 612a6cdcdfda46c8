import { TraceSource } from './source.ts';

/** What a trace's leading `#` lines say, when `l2bench record` wrote them. */
export interface RecordHeader {
  /** Events the kernel lost during the recording (`# lost_events: N`); undefined when not said. */
  readonly lostEvents?: number;
  /** `# selection: …`: what was recorded. */
  readonly selection?: string;
  /** `# source: …`: where a captured trace came from (l2bench capture). */
  readonly source?: string;
}

/** Bytes read for the header: it comes first and is a few lines. */
const HEAD = 64 << 10;

/**
 * Keeps the first 64 KiB of a trace's text as a pass reads it (PassHooks.onText), so that the header
 * of a file read once (a FIFO) is known without reading it again.
 */
export class HeadKeeper {
  readonly #buf = Buffer.alloc(HEAD);
  #n = 0;
  readonly onText = (bytes: Uint8Array): void => {
    if (this.#n >= HEAD) return;
    const take = Math.min(bytes.length, HEAD - this.#n);
    this.#buf.set(bytes.subarray(0, take), this.#n);
    this.#n += take;
  };

  header(): RecordHeader {
    return parseRecordHeader(this.#buf.subarray(0, this.#n));
  }
}

/** The header of a regular trace file (plain or gzip), read from its first 64 KiB; empty for a trace without one. */
export function readRecordHeader(file: string): RecordHeader {
  const source = new TraceSource(file);
  const buf = Buffer.alloc(HEAD);
  let n = 0;
  try {
    for (let r = 1; n < HEAD && r > 0; n += r) r = source.read(buf, n, HEAD - n);
  } finally {
    source.close();
  }
  return parseRecordHeader(buf.subarray(0, n));
}

function parseRecordHeader(head: Uint8Array): RecordHeader {
  const lines = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('utf8').split('\n');
  const out: { lostEvents?: number; selection?: string; source?: string } = {};
  for (const line of lines) {
    if (!line.startsWith('#')) break;
    const lost = /^# lost_events: (\d+)/.exec(line);
    if (lost) out.lostEvents = Number(lost[1]);
    const sel = /^# selection: (.*)$/.exec(line);
    if (sel) out.selection = (sel[1] as string).trim();
    const src = /^# source: (.*)$/.exec(line);
    if (src) out.source = (src[1] as string).trim();
  }
  return out;
}

/** A recording that lost events is replayed, but never passes for a complete one: the run says so. */
export function lostNotices(file: string, lost: number): string[] {
  return lost > 0
    ? [
        `${file}: the kernel lost ${lost} events while recording it (its header says so, and '# LOST' lines where): results replay an incomplete trace`,
      ]
    : [];
}
