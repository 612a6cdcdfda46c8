import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** Files from this size on are hashed on another thread: below it, starting one costs more than it saves. */
const THREADED_FROM_BYTES = 64 << 20;
/** How long digest() waits for the hashing thread before it gives up. */
const DIGEST_TIMEOUT_MS = 120_000;

/** The hashing thread: sha256 of every message, in order; at null, the digest into the shared buffer (bytes 4..35), then flag 1. */
const HASHER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hash = createHash('sha256');
const flag = new Int32Array(workerData, 0, 1);
parentPort.on('message', (bytes) => {
  if (bytes !== null) return void hash.update(bytes);
  new Uint8Array(workerData, 4, 32).set(hash.digest());
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  parentPort.close();
});`;

/** sha256 of bytes fed in order: `update` each piece as it is read, `digest` once at the end. */
export interface FileHash {
  update(bytes: Uint8Array): void;
  digest(): string;
  /** Stop without a digest (the read failed). */
  abandon(): void;
}

/**
 * The sha256 of a file as its single read goes: for a large file on another thread, so that the
 * reading thread only copies each piece (the parse and the hash then run on two cores); for a small
 * one, here.
 */
export function fileHash(sizeBytes: number): FileHash {
  if (sizeBytes < THREADED_FROM_BYTES) return local(createHash('sha256'));
  const shared = new SharedArrayBuffer(36);
  const worker = new Worker(HASHER, { eval: true, workerData: shared });
  worker.unref();
  let failure: Error | undefined;
  worker.on('error', (e) => {
    failure = e;
  });
  return {
    update(bytes) {
      // A copy of its own (the reader reuses its buffer), moved to the thread, not copied again.
      const copy = new Uint8Array(bytes);
      worker.postMessage(copy, [copy.buffer]);
    },
    digest() {
      worker.postMessage(null);
      const flag = new Int32Array(shared, 0, 1);
      const deadline = Date.now() + DIGEST_TIMEOUT_MS;
      while (Atomics.load(flag, 0) === 0) {
        if (failure || Date.now() > deadline) {
          void worker.terminate();
          throw new Error(`event cache: hashing the trace failed (${failure?.message ?? 'no answer'})`);
        }
        Atomics.wait(flag, 0, 0, 100);
      }
      return Buffer.from(new Uint8Array(shared, 4, 32)).toString('hex');
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
