import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** Files from this size on are hashed on another thread: below it, starting one costs more than it saves. */
const THREADED_FROM_BYTES = 64 << 20;
/** How long the reader waits for the hashing thread (a free slot, the digest) before it gives up. */
const WAIT_TIMEOUT_MS = 120_000;
/**
 * The ring the reader copies its pieces into and the hashing thread hashes in place: SLOTS slots of
 * SLOT_BYTES. 32 MiB lets the reader run on while the thread starts (100–200 ms on a busy machine)
 * without waiting; after that the hash keeps well ahead of any parse.
 */
const SLOTS = 32;
const SLOT_BYTES = 1 << 20;
/**
 * Each slot has 8 bytes more, and a piece goes at the same offset modulo 8 as in the reader's
 * buffer: a copy into shared memory that is not so aligned goes byte by byte (7 times slower).
 */
const SLOT_STRIDE = SLOT_BYTES + 8;
/**
 * The thread is woken every WAKE_EVERY pieces, not at each: a wake costs the reader about half a
 * millisecond on a busy machine (as much as parsing 150 lines), and the thread, once awake, hashes
 * whatever is written by then.
 */
const WAKE_EVERY = 8;
/**
 * Int32 control words at the start of the shared buffer: pieces written, pieces hashed, digest
 * ready; then each slot's length (-1: the end) and each slot's start (0 to 7).
 */
const WRITTEN = 0;
const HASHED = 1;
const READY = 2;
const LENGTH = 3;
const START = 3 + SLOTS;
const CONTROL_INTS = 3 + 2 * SLOTS;
const DIGEST_AT = 4 * CONTROL_INTS;
/** 8-aligned, as every slot start (see SLOT_STRIDE). */
const SLOTS_AT = (DIGEST_AT + 32 + 7) & ~7;

/**
 * The hashing thread: sha256 of each piece as the reader writes it into the ring, in order, telling
 * the reader each slot it is done with; at a piece of length -1, the digest into the shared buffer,
 * then READY 1. It blocks on Atomics.wait: the reader is synchronous and reads no messages.
 */
const HASHER = `
const { workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const [SLOTS, SLOT_STRIDE, DIGEST_AT, SLOTS_AT] = ${JSON.stringify([SLOTS, SLOT_STRIDE, DIGEST_AT, SLOTS_AT])};
const ctl = new Int32Array(workerData, 0, ${CONTROL_INTS});
const hash = createHash('sha256');
for (let done = 0; ; done++) {
  while (Atomics.load(ctl, ${WRITTEN}) === done) Atomics.wait(ctl, ${WRITTEN}, done);
  const slot = done % SLOTS;
  const length = Atomics.load(ctl, ${LENGTH} + slot);
  if (length < 0) break;
  hash.update(new Uint8Array(workerData, SLOTS_AT + slot * SLOT_STRIDE + ctl[${START} + slot], length));
  Atomics.store(ctl, ${HASHED}, done + 1);
  Atomics.notify(ctl, ${HASHED});
}
new Uint8Array(workerData, DIGEST_AT, 32).set(hash.digest());
Atomics.store(ctl, ${READY}, 1);
Atomics.notify(ctl, ${READY});
`;

/** sha256 of bytes fed in order: `update` each piece as it is read, `digest` once at the end. */
export interface FileHash {
  update(bytes: Uint8Array): void;
  digest(): string;
  /** Stop without a digest (the read failed). */
  abandon(): void;
}

/**
 * The sha256 of a file as its single read goes: for a large file on another thread, so that the
 * reading thread only copies each piece into shared memory (the parse and the hash then run on two
 * cores); for a small one, here.
 */
export function fileHash(sizeBytes: number): FileHash {
  if (sizeBytes < THREADED_FROM_BYTES) return local(createHash('sha256'));
  const shared = new SharedArrayBuffer(SLOTS_AT + SLOTS * SLOT_STRIDE);
  const ctl = new Int32Array(shared, 0, CONTROL_INTS);
  const worker = new Worker(HASHER, { eval: true, workerData: shared });
  worker.unref();
  let failure: Error | undefined;
  worker.on('error', (e) => {
    failure = e;
  });
  let written = 0;
  /** Pieces waiting for a slot, copied: the reader never waits for the thread (on a busy machine it may get no core for a while). */
  const waiting: Uint8Array[] = [];
  /** Wait until word `at` of the control words is at least `target`; throw if the thread failed or went silent. */
  const waitFor = (at: number, target: number) => {
    const deadline = Date.now() + WAIT_TIMEOUT_MS;
    for (let now = Atomics.load(ctl, at); now < target; now = Atomics.load(ctl, at)) {
      if (failure || Date.now() > deadline) {
        void worker.terminate();
        throw new Error(`event cache: hashing the trace failed (${failure?.message ?? 'no answer'})`);
      }
      Atomics.notify(ctl, WRITTEN); // the thread may sleep on pieces written since its last wake
      Atomics.wait(ctl, at, now, 100);
    }
  };
  const slotFree = () => written - Atomics.load(ctl, HASHED) < SLOTS;
  /** Hand the next slot (free: the caller made sure) `bytes`, or the end (undefined). */
  const post = (bytes: Uint8Array | undefined) => {
    const slot = written % SLOTS;
    const start = bytes ? bytes.byteOffset & 7 : 0;
    if (bytes) new Uint8Array(shared, SLOTS_AT + slot * SLOT_STRIDE + start, bytes.length).set(bytes);
    ctl[START + slot] = start;
    Atomics.store(ctl, LENGTH + slot, bytes ? bytes.length : -1);
    Atomics.store(ctl, WRITTEN, ++written);
    if (!bytes || written % WAKE_EVERY === 0) Atomics.notify(ctl, WRITTEN);
  };
  /** Move waiting pieces into the ring while slots are free. */
  const drain = () => {
    while (waiting.length > 0 && slotFree()) post(waiting.shift());
  };
  return {
    update(bytes) {
      drain();
      // Copied (the reader reuses its buffer) in slot-sized pieces: into the ring, else to wait in order.
      for (let at = 0; at < bytes.length; at += SLOT_BYTES) {
        const piece = bytes.subarray(at, at + SLOT_BYTES);
        if (waiting.length === 0 && slotFree()) post(piece);
        else waiting.push(new Uint8Array(piece));
      }
    },
    digest() {
      for (const piece of waiting.splice(0)) {
        waitFor(HASHED, written - SLOTS + 1);
        post(piece);
      }
      waitFor(HASHED, written - SLOTS + 1);
      post(undefined);
      waitFor(READY, 1);
      return Buffer.from(new Uint8Array(shared, DIGEST_AT, 32)).toString('hex');
    },
    abandon() {
      void worker.terminate();
    },
  };
}

function local(hash: Hash): FileHash {
  return {
    update: (bytes) => void hash.update(bytes),
    digest: () => hash.digest('hex'),
    abandon: () => undefined,
  };
}
