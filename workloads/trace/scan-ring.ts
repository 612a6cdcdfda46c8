import type { Filter } from './ftrace.ts';
import { REC, type ScanFilter, scanLines } from './ftrace-scan.ts';

/**
 * The shared memory between the reading thread and the scanning thread (scan-pipeline.ts,
 * scan-thread.ts): SLOTS buffers of read bytes, each with room for the records of its lines, and
 * Int32 control words. A slot goes FREE → POSTED (the reader wrote its bytes and END) → TAKEN (one
 * thread, either, won it by compare-and-swap and scans it) → DONE (COUNT records, SCANNED_TO where
 * they stop) → FREE again once the reader has acted on it. Whichever thread scans a slot, its records
 * are the same: the scan depends on the slot's bytes alone.
 */
export const SLOTS = 8;
/** Records a slot holds: lines past them (a buffer of very short lines) are scanned by the reader as it acts. */
export const SLOT_LINES = 16384;

export const FREE = 0;
const POSTED = 1;
export const TAKEN = 2;
export const DONE = 3;

/** Control words: slots posted so far, stop, the thread failed, then per slot its status, END, COUNT and SCANNED_TO. */
export const POSTED_COUNT = 0;
export const STOP = 1;
export const FAILED = 2;
const PER_SLOT = 4;
export const status = (slot: number) => 3 + PER_SLOT * slot;
const END = 1;
const COUNT = 2;
const SCANNED_TO = 3;
const CONTROL_INTS = 3 + PER_SLOT * SLOTS;
/** Where the slots start: 8-aligned, as every slot's records and bytes (see stride). */
const SLOTS_AT = (4 * CONTROL_INTS + 7) & ~7;

/** What the scanning thread is given (workerData). */
export interface RingSetup {
  readonly shared: SharedArrayBuffer;
  readonly slotBytes: number;
  readonly filter: Filter;
}

/** The views over the shared memory, the same in both threads. */
export class Ring {
  readonly ctl: Int32Array;
  readonly data: Buffer[] = [];
  readonly rec: Int32Array[] = [];

  constructor(
    readonly shared: SharedArrayBuffer,
    readonly slotBytes: number,
  ) {
    this.ctl = new Int32Array(shared, 0, CONTROL_INTS);
    let at = SLOTS_AT;
    for (let s = 0; s < SLOTS; s++) {
      this.rec.push(new Int32Array(shared, at, SLOT_LINES * REC));
      at += 4 * SLOT_LINES * REC;
      this.data.push(Buffer.from(shared, at, slotBytes));
      at += stride(slotBytes);
    }
  }

  /** Shared memory for slots of slotBytes each. */
  static bytes(slotBytes: number): number {
    return SLOTS_AT + SLOTS * (4 * SLOT_LINES * REC + stride(slotBytes));
  }

  /** Post a slot whose bytes are written, its whole lines ending at end. */
  post(slot: number, end: number): void {
    this.ctl[status(slot) + END] = end;
    Atomics.store(this.ctl, status(slot), POSTED);
    Atomics.add(this.ctl, POSTED_COUNT, 1);
    Atomics.notify(this.ctl, POSTED_COUNT);
  }

  /** Take a posted slot to scan it; false when another thread has it, or it is not posted. */
  take(slot: number): boolean {
    return Atomics.compareExchange(this.ctl, status(slot), POSTED, TAKEN) === POSTED;
  }

  /**
   * Scan a slot taken, from `bytes`, a private copy of its bytes (lines scanned in shared memory
   * took 40 % more time), through `scratch` (private too, SLOT_LINES records); then mark it done.
   */
  scan(slot: number, bytes: Uint8Array, f: ScanFilter, scratch: Int32Array): void {
    const ctl = this.ctl;
    const at = status(slot);
    const n = scanLines(bytes, 0, ctl[at + END] as number, f, scratch, SLOT_LINES);
    (this.rec[slot] as Int32Array).set(scratch.subarray(0, n * REC));
    ctl[at + COUNT] = n;
    ctl[at + SCANNED_TO] = n === 0 ? 0 : (scratch[(n - 1) * REC] as number);
    Atomics.store(ctl, at, DONE);
    Atomics.notify(ctl, at);
  }

  end(slot: number): number {
    return this.ctl[status(slot) + END] as number;
  }

  count(slot: number): number {
    return this.ctl[status(slot) + COUNT] as number;
  }

  scannedTo(slot: number): number {
    return this.ctl[status(slot) + SCANNED_TO] as number;
  }
}

/** A slot's bytes rounded up to 8: the records after them stay aligned, and so do the bytes read (a copy into shared memory not 8-aligned goes byte by byte). */
const stride = (slotBytes: number) => (slotBytes + 7) & ~7;
