import { workerData } from 'node:worker_threads';
import { REC, scanFilter } from './ftrace-scan.ts';
import { FAILED, POSTED_COUNT, Ring, type RingSetup, SLOT_LINES, SLOTS, STOP } from './scan-ring.ts';

/**
 * The scanning thread of a trace read (scan-pipeline.ts): it takes each slot the reader posts, in
 * order, and scans its lines into records, skipping any the reader took first; it blocks on
 * Atomics.wait between slots and ends at STOP.
 */
const setup = workerData as RingSetup;
const ring = new Ring(setup.shared, setup.slotBytes);
const filter = scanFilter(setup.filter);
const ctl = ring.ctl;
const bytes = Buffer.allocUnsafeSlow(setup.slotBytes);
const scratch = new Int32Array(SLOT_LINES * REC);
try {
  for (let next = 0; Atomics.load(ctl, STOP) === 0; ) {
    const posted = Atomics.load(ctl, POSTED_COUNT);
    if (posted <= next) {
      Atomics.wait(ctl, POSTED_COUNT, posted);
      continue;
    }
    // Behind by more than the ring (no core for a while): the older slots are the reader's by now.
    next = Math.max(next, posted - SLOTS);
    const slot = next % SLOTS;
    next++;
    if (ring.take(slot)) {
      const data = ring.data[slot] as Buffer;
      data.copy(bytes, 0, 0, ring.end(slot));
      ring.scan(slot, bytes, filter, scratch);
    }
  }
} catch (e) {
  // The reader scans every slot itself from now, the one this thread held too (its bytes are intact).
  Atomics.store(ctl, FAILED, 1); // the reader waits on a slot in naps of 50 ms: it sees this at the next
  throw e;
}
