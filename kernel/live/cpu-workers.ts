import { Worker } from 'node:worker_threads';
import { packageFile } from '../../core/package-file.ts';
import { CPU_SET_BYTES, IPC_NOWAIT, LIBC_PROTOTYPES, LibcError } from './libc.ts';

/** The thread's code: plain JavaScript, the same file whether l2bench runs from source or compiled (dist/). */
const CPU_WORKER = packageFile('kernel/live/cpu-worker.mjs');

/** The shared control words, by index, and the operations: each thread is given these (workerData). */
const CONTROL = { SEQ: 0, OP: 1, QUEUE: 2, TYPE: 3, RESULT: 4, ERRNO: 5, DONE: 6 } as const;
const OPS = { OP_SEND: 1, OP_RECV: 2, OP_EXIT: 3 } as const;
const { SEQ, OP, QUEUE, TYPE, RESULT, ERRNO, DONE } = CONTROL;
const { OP_SEND, OP_RECV, OP_EXIT } = OPS;

/** Everything a pinned thread must agree on with this side, sent to it when it starts. */
const PROTOCOL = {
  control: CONTROL,
  ops: OPS,
  ipcNowait: IPC_NOWAIT,
  cpuSetBytes: CPU_SET_BYTES,
  libc: {
    msgsnd: LIBC_PROTOTYPES.msgsnd,
    msgrcv: LIBC_PROTOTYPES.msgrcv,
    sched_setaffinity: LIBC_PROTOTYPES.sched_setaffinity,
  },
};

const SPINS = 20000;
/** A worker that does not answer in this long is taken for dead. */
const DEADLINE_MS = 30_000;

interface CpuThread {
  readonly worker: Worker;
  readonly ctl: Int32Array;
  seq: number;
}

/**
 * Threads pinned one to a CPU, each sending and receiving the messages of the events on its CPU:
 * the caller hands an operation over through shared memory and spins (then sleeps) until it is
 * done, so every call is still synchronous and in event order. Started on first use.
 */
export class CpuWorkers {
  readonly #threads = new Map<number, CpuThread>();
  readonly #textBytes: number;

  constructor(textBytes: number) {
    this.#textBytes = textBytes;
  }

  #thread(cpu: number): CpuThread {
    let t = this.#threads.get(cpu);
    if (t) return t;
    const shared = new SharedArrayBuffer(Object.keys(CONTROL).length * 4);
    const ctl = new Int32Array(shared);
    ctl[DONE] = -1;
    const worker = new Worker(CPU_WORKER, {
      workerData: { shared, cpu, textBytes: this.#textBytes, protocol: PROTOCOL },
    });
    worker.unref();
    t = { worker, ctl, seq: 0 };
    this.#threads.set(cpu, t);
    // The worker answers request 0 once it is pinned.
    this.#await(t, cpu, 0);
    if ((ctl[RESULT] as number) < 0)
      throw new LibcError(`sched_setaffinity(cpu ${cpu}) in its thread`, ctl[ERRNO] as number);
    return t;
  }

  #await(t: CpuThread, cpu: number, seq: number): void {
    const ctl = t.ctl;
    for (let i = 0; i < SPINS; i++) if (Atomics.load(ctl, DONE) === seq) return;
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const done = Atomics.load(ctl, DONE);
      if (done === seq) return;
      if (Date.now() > deadline) throw new Error(`the thread pinned to CPU ${cpu} did not answer in ${DEADLINE_MS} ms`);
      Atomics.wait(ctl, DONE, done, 50);
    }
  }

  #call(cpu: number, op: number, queue: number, type: number): number {
    const t = this.#thread(cpu);
    const ctl = t.ctl;
    ctl[OP] = op;
    ctl[QUEUE] = queue;
    ctl[TYPE] = type;
    const seq = ++t.seq;
    Atomics.store(ctl, SEQ, seq);
    Atomics.notify(ctl, SEQ);
    this.#await(t, cpu, seq);
    const r = ctl[RESULT] as number;
    return r < 0 ? -(ctl[ERRNO] as number) : r;
  }

  /** msgsnd of a message of type `type` from the thread pinned to `cpu`: 0 or −errno. */
  send(cpu: number, queue: number, type: number): number {
    return this.#call(cpu, OP_SEND, queue, type);
  }

  /** msgrcv of the message of type `type` from the thread pinned to `cpu`: its text bytes or −errno. */
  receive(cpu: number, queue: number, type: number): number {
    return this.#call(cpu, OP_RECV, queue, type);
  }

  /** Stop every thread. Synchronous and safe to call twice. */
  stop(): void {
    for (const t of this.#threads.values()) {
      t.ctl[OP] = OP_EXIT;
      Atomics.store(t.ctl, SEQ, ++t.seq);
      Atomics.notify(t.ctl, SEQ);
      t.worker.terminate().catch(() => {});
    }
    this.#threads.clear();
  }
}
