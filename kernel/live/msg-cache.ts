import { cacheLockPath } from './cache-lock.ts';
import { CpuWorkers } from './cpu-workers.ts';
import { noteQueue, queueListPath } from './leftover-queues.ts';
import { getAffinity, LibcError, msgget, msgRemove, msgrcv, msgsnd, pinToCpu, setAffinity } from './libc.ts';
import type { BucketSpec } from './probe.ts';

/** The live cache misbehaved (a send or receive failed, or a message came back the wrong size). */
export class LiveCacheError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LiveCacheError';
  }
}

/**
 * Drives one msg_msg-* bucket cache from userspace: table `id` allocated on CPU c is one System V
 * message, sent from a thread pinned to c, whose text size lands in the bucket; freeing it receives
 * exactly that message (its unique type, IPC_NOWAIT) from the freeing CPU. The calling thread is
 * pinned to the first online CPU and serves it; every other CPU has a worker thread pinned to it
 * (CpuWorkers), so no event pays for a migration. Messages are
 * spread over as many private queues as the queue size limit (msgmnb) needs. `dispose()` receives
 * every message still out and removes every queue; it is idempotent and synchronous, so it can run
 * from a finally block, a signal handler or process 'exit'.
 */
export class MsgMsgCache {
  readonly textBytes: number;
  /** Messages one queue holds: msgmnb bytes of text and at most msgmnb messages. */
  readonly perQueue: number;
  readonly #cpus: readonly number[];
  readonly #savedAffinity: Buffer;
  #pinned = false;
  readonly #workers: CpuWorkers;
  readonly #send: Buffer;
  readonly #recv: Buffer;
  /** Queue ids, and free slots per queue (by queue index). */
  readonly #queues: number[] = [];
  #free: number[] = [];
  /** Queue indexes that have a free slot (a stack). */
  #open: number[] = [];
  /** Per table id: its queue index (−1 when not live) and message type. */
  #queueOf = new Int32Array(1024).fill(-1);
  #typeOf = new Float64Array(1024);
  #nextType = 1;
  #live = 0;
  #disposed = false;

  /**
   * @param spec the bucket
   * @param cpus the online CPU ids; model CPU i is cpus[i]
   * @param msgmnb the per-queue byte limit read from /proc/sys/kernel/msgmnb
   */
  constructor(spec: BucketSpec, cpus: readonly number[], msgmnb: number) {
    this.textBytes = spec.maxText;
    this.perQueue = Math.max(1, Math.min(msgmnb, Math.floor(msgmnb / Math.max(1, this.textBytes))));
    if (Math.floor(msgmnb / Math.max(1, this.textBytes)) < 1) {
      throw new LiveCacheError(`msgmnb ${msgmnb} is smaller than one ${this.textBytes}-byte message`);
    }
    this.#cpus = cpus;
    this.#savedAffinity = getAffinity();
    this.#workers = new CpuWorkers(this.textBytes);
    this.#send = Buffer.alloc(8 + this.textBytes, 0x5a);
    this.#recv = Buffer.alloc(8 + this.textBytes + 8);
  }

  /** Tables live in the kernel now. */
  get live(): number {
    return this.#live;
  }

  get queueCount(): number {
    return this.#queues.length;
  }

  /** Queue ids this driver owns (so a probe can tell them from other users). */
  queueIds(): number[] {
    return [...this.#queues];
  }

  /** msgsnd from model CPU `cpu`: this thread for CPU 0, that CPU's worker for the others. */
  #sendOn(cpu: number, queue: number, type: number): number {
    if (cpu !== 0) return this.#workers.send(this.#cpus[cpu] as number, queue, type);
    if (!this.#pinned) {
      pinToCpu(this.#cpus[0] as number);
      this.#pinned = true;
    }
    this.#send.writeBigInt64LE(BigInt(type), 0);
    return msgsnd(queue, this.#send, this.textBytes);
  }

  #receiveOn(cpu: number, queue: number, type: number): number {
    if (cpu !== 0) return this.#workers.receive(this.#cpus[cpu] as number, queue, type);
    if (!this.#pinned) {
      pinToCpu(this.#cpus[0] as number);
      this.#pinned = true;
    }
    return msgrcv(queue, this.#recv, this.textBytes, type);
  }

  #slot(): number {
    let q = this.#open[this.#open.length - 1];
    if (q === undefined) {
      try {
        const id = msgget();
        this.#queues.push(id);
        // Listed, so that if this process is killed the next holder of the lock removes it.
        noteQueue(queueListPath(cacheLockPath()), id);
      } catch (e) {
        throw new LiveCacheError(
          `no more System V queues after ${this.#queues.length} (${(e as Error).message}): the workload holds more tables at once than msgmni queues of ${this.perQueue} messages allow`,
        );
      }
      this.#free.push(this.perQueue);
      q = this.#queues.length - 1;
      this.#open.push(q);
    }
    const left = (this.#free[q] as number) - 1;
    this.#free[q] = left;
    if (left === 0) this.#open.pop();
    return q;
  }

  #grow(id: number): void {
    let n = this.#queueOf.length;
    while (n <= id) n *= 2;
    const q = new Int32Array(n).fill(-1);
    q.set(this.#queueOf);
    const t = new Float64Array(n);
    t.set(this.#typeOf);
    this.#queueOf = q;
    this.#typeOf = t;
  }

  /** Allocate table `id` on model CPU `cpu`: msgsnd from that CPU. */
  alloc(id: number, cpu: number): void {
    if (this.#disposed) throw new LiveCacheError('the live cache was disposed');
    if (id >= this.#queueOf.length) this.#grow(id);
    if ((this.#queueOf[id] as number) >= 0) throw new LiveCacheError(`table ${id} is allocated twice`);
    const q = this.#slot();
    const type = this.#nextType++;
    const r = this.#sendOn(cpu, this.#queues[q] as number, type);
    if (r < 0) {
      this.#free[q] = (this.#free[q] as number) + 1;
      if (this.#free[q] === 1) this.#open.push(q);
      throw new LiveCacheError(
        `msgsnd of table ${id} on CPU ${this.#cpus[cpu]} failed: ${new LibcError('msgsnd', -r).message}`,
      );
    }
    this.#queueOf[id] = q;
    this.#typeOf[id] = type;
    this.#live++;
  }

  /** Free table `id` on model CPU `cpu`: msgrcv of exactly its message from that CPU. */
  free(id: number, cpu: number): void {
    if (this.#disposed) throw new LiveCacheError('the live cache was disposed');
    const q = id < this.#queueOf.length ? (this.#queueOf[id] as number) : -1;
    if (q < 0) throw new LiveCacheError(`table ${id} is freed but not allocated`);
    const r = this.#receiveOn(cpu, this.#queues[q] as number, this.#typeOf[id] as number);
    if (r !== this.textBytes) {
      throw new LiveCacheError(
        r < 0
          ? `msgrcv of table ${id} on CPU ${this.#cpus[cpu]} failed: ${new LibcError('msgrcv', -r).message}`
          : `msgrcv of table ${id} returned ${r} bytes, not ${this.textBytes}`,
      );
    }
    this.#queueOf[id] = -1;
    this.#release(q);
    this.#live--;
  }

  #release(q: number): void {
    const free = (this.#free[q] as number) + 1;
    this.#free[q] = free;
    if (free === 1) this.#open.push(q);
  }

  /**
   * Receive every message still out, remove every queue, and give the thread its CPU mask back.
   * Never throws: a queue someone else removed is simply gone. Returns what it could not do.
   */
  dispose(): string[] {
    if (this.#disposed) return [];
    this.#disposed = true;
    const problems: string[] = [];
    this.#workers.stop();
    for (let id = 0; id < this.#queueOf.length; id++) {
      const q = this.#queueOf[id] as number;
      if (q < 0) continue;
      const r = msgrcv(this.#queues[q] as number, this.#recv, this.textBytes, this.#typeOf[id] as number);
      if (r < 0 && problems.length < 3) problems.push(`msgrcv of table ${id}: errno ${-r}`);
      this.#queueOf[id] = -1;
      this.#live--;
    }
    for (const id of this.#queues) {
      const r = msgRemove(id);
      if (r < 0) problems.push(`msgctl(${id}, IPC_RMID): errno ${-r}`);
    }
    this.#queues.length = 0;
    this.#free = [];
    this.#open = [];
    try {
      setAffinity(this.#savedAffinity);
    } catch (e) {
      problems.push((e as Error).message);
    }
    return problems;
  }
}
