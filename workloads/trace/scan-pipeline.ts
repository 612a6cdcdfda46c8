import { Worker } from 'node:worker_threads';
import { lineError } from './errors.ts';
import type { Filter } from './ftrace.ts';
import { REC, type ScanFilter, scanFilter, scanLines } from './ftrace-scan.ts';
import {
  DONE,
  FAILED,
  FREE,
  POSTED_COUNT,
  Ring,
  type RingSetup,
  SLOT_LINES,
  SLOTS,
  STOP,
  status,
  TAKEN,
} from './scan-ring.ts';

/** The scanning thread's code: compiled, plain JavaScript; from source, through an entry that registers tsx first. */
const ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('./scan-entry.mjs', import.meta.url)
  : new URL('./scan-thread.js', import.meta.url);

/** How long the reader waits for a slot the scanning thread holds before it gives up. */
const WAIT_TIMEOUT_MS = 120_000;

/**
 * Who scans: `shared`, the thread and, for the slots the thread has not taken, the reader (what a
 * run uses); for tests: `thread`, the thread alone, the reader waiting (every record is the
 * thread's); `eager`, as `shared` but the reader neither waits for a slot the thread holds nor scans
 * a later one meanwhile: it scans that slot again (the slot reused only once the thread lets it
 * go); `here`, the reader alone, no thread.
 */
export type ScanMode = 'shared' | 'thread' | 'eager' | 'here';

/** Where the bytes come from: read up to len bytes into buf at off, 0 at the end (TraceSource.read). */
export type ReadInto = (buf: Uint8Array, off: number, len: number) => number;

/** A slot read and scanned: records for its first `count` lines, the rest of its whole lines from scannedTo to end. */
export interface Scanned {
  readonly buf: Buffer;
  readonly rec: Int32Array;
  readonly count: number;
  readonly scannedTo: number;
  readonly end: number;
}

/**
 * An ftrace read with the scan of its lines on two threads: the reader (this thread) reads up to
 * SLOTS buffers ahead into shared memory, a scanning thread scans them in order into records
 * (ftrace-scan.ts), and the reader acts on each slot's records in order (FtraceByteParser.runRecords),
 * scanning itself any slot the thread has not reached, a later slot while the thread holds the one it
 * needs, and that one too after 2 ms: a thread that starts late, gets no core or fails costs time,
 * never a result. Errors
 * met while reading ahead (a line longer than a slot) are thrown when the reader reaches them, so
 * the first bad line is still the one reported. Memory: SLOTS slots of slotBytes, and their records.
 */
export class ScanPipeline {
  readonly #ring: Ring;
  readonly #filter: ScanFilter;
  readonly #worker: Worker | undefined;
  /** Each slot's bytes as read, private: the parser reads them (a copy goes to the ring for the thread). */
  readonly #mine: Buffer[] = [];
  /** The records of the slot out with the parser, copied out of the ring; and the scan's own. */
  readonly #records = new Int32Array(SLOT_LINES * REC);
  readonly #scratch = new Int32Array(SLOT_LINES * REC);
  /** Slots the thread still holds though the reader scanned them itself and is done with them. */
  readonly #held: boolean[] = new Array(SLOTS).fill(false);
  /** Slots read (posted) so far, and slots the parser is done with. */
  #read = 0;
  #used = 0;
  /** A slot is out with the parser. */
  #out = false;
  /** Bytes read into the last slot read. */
  #dataEnd = 0;
  #eof = false;
  /** The bytes before the first slot's, not part of a whole line yet. */
  #carry: Uint8Array | undefined;
  /** An error met reading slot `seq`, thrown when the parser reaches it. */
  #fault: { seq: number; error: () => unknown } | undefined;

  constructor(
    readonly file: string,
    readonly readInto: ReadInto,
    carry: Uint8Array,
    filter: Filter,
    slotBytes: number,
    /** The number of the last line the parser has consumed. */
    readonly lineNow: () => number,
    readonly mode: ScanMode = 'shared',
  ) {
    const shared = new SharedArrayBuffer(Ring.bytes(slotBytes));
    this.#ring = new Ring(shared, slotBytes);
    for (let s = 0; s < SLOTS; s++) this.#mine.push(Buffer.allocUnsafeSlow(slotBytes));
    this.#filter = scanFilter(filter);
    this.#carry = new Uint8Array(carry);
    if (mode !== 'here') {
      const setup: RingSetup = {
        shared,
        slotBytes,
        filter: { size: filter.size, cache: filter.cache, site: filter.site },
      };
      this.#worker = new Worker(ENTRY, { workerData: setup });
      this.#worker.on('error', () => undefined); // it says FAILED in the ring, or never takes a slot: the reader scans
      this.#worker.unref();
    }
  }

  /** The next slot, scanned, in order (the previous one is given back); undefined at the end. */
  next(): Scanned | undefined {
    if (this.#out) {
      this.#release(this.#used % SLOTS);
      this.#used++;
      this.#out = false;
    }
    while (this.#read < this.#used + SLOTS && !this.#eof && !this.#fault) this.#readSlot(this.#read);
    const seq = this.#used;
    if (this.#fault?.seq === seq) throw this.#fault.error();
    if (seq >= this.#read) return undefined;
    const slot = seq % SLOTS;
    const count = this.#recordsOf(slot, seq);
    this.#out = true;
    return {
      buf: this.#mine[slot] as Buffer,
      rec: this.#records,
      count,
      scannedTo: count === 0 ? 0 : (this.#records[(count - 1) * REC] as number),
      end: this.#ring.end(slot),
    };
  }

  /** Stop the scanning thread. */
  close(): void {
    Atomics.store(this.#ring.ctl, STOP, 1);
    Atomics.notify(this.#ring.ctl, POSTED_COUNT);
    void this.#worker?.terminate();
  }

  /** Read slot seq: the unfinished line the slot before left, then as much as fits; post it. */
  #readSlot(seq: number): void {
    const ring = this.#ring;
    const slot = seq % SLOTS;
    if (this.#held[slot]) this.#letGo(slot);
    const buf = this.#mine[slot] as Buffer;
    const size = ring.slotBytes;
    let carry = 0;
    if (this.#carry) {
      carry = this.#carry.length;
      buf.set(this.#carry, 0);
      this.#carry = undefined;
    } else if (seq > 0) {
      const prev = (seq - 1) % SLOTS;
      const from = ring.end(prev);
      carry = this.#dataEnd - from;
      if (carry > 0) (this.#mine[prev] as Buffer).copy(buf, 0, from, this.#dataEnd);
    }
    if (carry === size) {
      this.#fault = { seq, error: () => lineError(this.file, this.lineNow() + 1, `line longer than ${size} bytes`) };
      return;
    }
    let n: number;
    try {
      n = this.readInto(buf, carry, size - carry);
    } catch (e) {
      this.#fault = { seq, error: () => e };
      return;
    }
    let end: number;
    if (n === 0) {
      this.#eof = true;
      if (carry === 0) return;
      // The last line, without a newline: give it one (there is room, carry < size).
      buf[carry] = 10;
      end = this.#dataEnd = carry + 1;
    } else {
      this.#dataEnd = carry + n;
      end = buf.lastIndexOf(10, this.#dataEnd - 1) + 1;
    }
    if (this.#worker) buf.copy(ring.data[slot] as Buffer, 0, 0, end);
    ring.post(slot, end);
    this.#read++;
  }

  /**
   * Slot seq's records into #records, how many: the thread's; or scanned here when the thread has
   * not taken it, or holds it while every later slot read is scanned (it may have no core: rather
   * than wait, the slot is scanned again here from the private copy, and reused once the thread
   * lets it go).
   */
  #recordsOf(slot: number, seq: number): number {
    const ring = this.#ring;
    // `thread` waits for the thread; `eager` too, for the first slot (then the thread is up, and the two race).
    const wait = this.mode === 'thread' || (this.mode === 'eager' && seq === 0);
    const at = status(slot);
    const deadline = Date.now() + WAIT_TIMEOUT_MS;
    for (let waited = this.mode === 'eager'; ; ) {
      // The thread failed (it holds nothing and writes nothing from then): the slot's bytes are intact.
      const failed = Atomics.load(ring.ctl, FAILED) === 1;
      if (failed || (!wait && ring.take(slot)))
        ring.scan(slot, this.#mine[slot] as Buffer, this.#filter, this.#scratch);
      if (Atomics.load(ring.ctl, at) === DONE) {
        const count = ring.count(slot);
        this.#records.set((ring.rec[slot] as Int32Array).subarray(0, count * REC));
        return count;
      }
      if (!wait) {
        if (this.mode === 'shared' && this.#stealLater(seq)) continue;
        if (waited) {
          this.#held[slot] = true;
          return scanLines(this.#mine[slot] as Buffer, 0, ring.end(slot), this.#filter, this.#records, SLOT_LINES);
        }
      }
      if (Date.now() > deadline) throw new Error(`${this.file}: scanning the trace on another thread: no answer`);
      // A slot takes the thread about 2 ms: wait that long once (longer, it has no core), then scan it here.
      Atomics.wait(ring.ctl, at, Atomics.load(ring.ctl, at), wait ? 50 : 2);
      waited = true;
    }
  }

  /** Give a slot back for reading, unless the thread still holds it (#letGo then waits for it). */
  #release(slot: number): void {
    if (!this.#held[slot]) Atomics.store(this.#ring.ctl, status(slot), FREE);
  }

  /** Wait until the thread is done with a slot #recordsOf scanned here meanwhile, then free it. */
  #letGo(slot: number): void {
    const ctl = this.#ring.ctl;
    const deadline = Date.now() + WAIT_TIMEOUT_MS;
    while (Atomics.load(ctl, status(slot)) !== DONE && Atomics.load(ctl, FAILED) !== 1) {
      if (Date.now() > deadline) throw new Error(`${this.file}: scanning the trace on another thread: no answer`);
      Atomics.wait(ctl, status(slot), TAKEN, 50);
    }
    this.#held[slot] = false;
    Atomics.store(ctl, status(slot), FREE);
  }

  /** Scan the first later slot read that the thread has not taken; false when there is none. */
  #stealLater(seq: number): boolean {
    for (let s = seq + 1; s < this.#read; s++) {
      const slot = s % SLOTS;
      if (this.#ring.take(slot)) {
        this.#ring.scan(slot, this.#mine[slot] as Buffer, this.#filter, this.#scratch);
        return true;
      }
    }
    return false;
  }
}
