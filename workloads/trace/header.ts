import { TraceSource } from './source.ts';

/** What a trace's leading `#` lines say, when `l2bench record` wrote them. */
export interface RecordHeader {
  /** Events the kernel lost during the recording (`# lost_events: N`); undefined when not said. */
  readonly lostEvents?: number;
  /** `# selection: …`: what was recorded. */
  readonly selection?: string;
}

/** Bytes read for the header: it comes first and is a few lines. */
const HEAD = 64 << 10;

/** The header of a trace (plain or gzip), read from its first 64 KiB; empty for a trace without one. */
export function readRecordHeader(file: string): RecordHeader {
  const source = new TraceSource(file);
  const buf = Buffer.alloc(HEAD);
  let n = 0;
  try {
    for (let r = 1; n < HEAD && r > 0; n += r) r = source.read(buf, n, HEAD - n);
  } finally {
    source.close();
  }
  const lines = buf.toString('utf8', 0, n).split('\n');
  const out: { lostEvents?: number; selection?: string } = {};
  for (const line of lines) {
    if (!line.startsWith('#')) break;
    const lost = /^# lost_events: (\d+)/.exec(line);
    if (lost) out.lostEvents = Number(lost[1]);
    const sel = /^# selection: (.*)$/.exec(line);
    if (sel) out.selection = (sel[1] as string).trim();
  }
  return out;
}
