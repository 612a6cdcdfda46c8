// One thread pinned to one CPU for the live-kernel check: it sends and receives the System V
// messages of the events on that CPU, so the main thread never migrates between CPUs (a
// sched_setaffinity migration costs tens of microseconds; a hand-off through shared memory, one).
// Plain JavaScript: worker threads cannot load TypeScript through tsx.
import { workerData } from 'node:worker_threads';
import koffi from 'koffi';

// The control words, the operations and the libc prototypes come from cpu-workers.ts and libc.ts.
const { shared, cpu, textBytes, protocol } = workerData;
const { SEQ, OP, QUEUE, TYPE, RESULT, ERRNO, DONE } = protocol.control;
const { OP_SEND, OP_RECV, OP_EXIT } = protocol.ops;
const IPC_NOWAIT = protocol.ipcNowait;
// Spin this long for the next request before sleeping: waking a sleeping thread on another CPU
// costs tens of microseconds in a VM, more than the work between two requests of a run; half a
// millisecond covers that gap and still gives the CPU back soon when the check pauses.
const SPIN_MS = 0.5;

const lib = koffi.load('libc.so.6');
const msgsnd = lib.func(protocol.libc.msgsnd);
const msgrcv = lib.func(protocol.libc.msgrcv);
const setaffinity = lib.func(protocol.libc.sched_setaffinity);

const ctl = new Int32Array(shared);
const mask = Buffer.alloc(protocol.cpuSetBytes);
mask[cpu >> 3] = 1 << (cpu & 7);
const pinned = setaffinity(0, protocol.cpuSetBytes, mask);
const send = Buffer.alloc(8 + textBytes, 0x5a);
const recv = Buffer.alloc(8 + textBytes + 8);

let seen = 0;
// Report the pinning as the answer to request 0.
ctl[RESULT] = pinned;
ctl[ERRNO] = pinned < 0 ? koffi.errno() : 0;
Atomics.store(ctl, DONE, 0);
Atomics.notify(ctl, DONE);
for (;;) {
  let seq = Atomics.load(ctl, SEQ);
  if (seq === seen) {
    const until = performance.now() + SPIN_MS;
    for (let i = 1; seq === seen; i++) {
      seq = Atomics.load(ctl, SEQ);
      if ((i & 1023) === 0 && performance.now() > until) break;
    }
  }
  while (seq === seen) {
    Atomics.wait(ctl, SEQ, seen, 100);
    seq = Atomics.load(ctl, SEQ);
  }
  seen = seq;
  const op = ctl[OP];
  if (op === OP_EXIT) break;
  let r;
  if (op === OP_SEND) {
    send.writeBigInt64LE(BigInt(ctl[TYPE]), 0);
    r = msgsnd(ctl[QUEUE], send, textBytes, IPC_NOWAIT);
  } else if (op === OP_RECV) {
    r = msgrcv(ctl[QUEUE], recv, textBytes, ctl[TYPE], IPC_NOWAIT);
  } else {
    r = -1;
  }
  ctl[RESULT] = r;
  ctl[ERRNO] = r < 0 ? koffi.errno() : 0;
  Atomics.store(ctl, DONE, seq);
  Atomics.notify(ctl, DONE);
}
