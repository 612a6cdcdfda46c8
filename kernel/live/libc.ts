import { lastErrno, libcFunction } from '../../os/libc.ts';

/**
 * The few libc calls the live-kernel check needs, bound through os/libc.ts: System V message queues
 * and CPU affinity. Linux only; bound on first use so that importing this module costs nothing on a
 * machine that never drives a kernel.
 */

const IPC_PRIVATE = 0;
const IPC_CREAT = 0o1000;
export const IPC_NOWAIT = 0o4000;
const IPC_RMID = 0;

/** sizeof(cpu_set_t): 1024 CPUs. */
export const CPU_SET_BYTES = 128;

/**
 * The C prototype of each call, as koffi binds it: bound here, and by the pinned CPU threads
 * (cpu-worker.mjs), which are given these same prototypes.
 */
export const LIBC_PROTOTYPES = {
  msgget: 'int msgget(int key, int msgflg)',
  msgsnd: 'int msgsnd(int msqid, const void *msgp, size_t msgsz, int msgflg)',
  msgrcv: 'long msgrcv(int msqid, void *msgp, size_t msgsz, long msgtyp, int msgflg)',
  msgctl: 'int msgctl(int msqid, int cmd, void *buf)',
  sched_setaffinity: 'int sched_setaffinity(int pid, size_t cpusetsize, const void *mask)',
  sched_getaffinity: 'int sched_getaffinity(int pid, size_t cpusetsize, void *mask)',
  sched_getcpu: 'int sched_getcpu(void)',
  pread: 'long pread(int fd, void *buf, size_t count, long offset)',
} as const;

interface Libc {
  msgget(key: number, flags: number): number;
  msgsnd(id: number, msgp: Buffer, size: number, flags: number): number;
  msgrcv(id: number, msgp: Buffer, size: number, type: number, flags: number): number;
  msgctl(id: number, cmd: number, buf: null): number;
  sched_setaffinity(pid: number, size: number, mask: Buffer): number;
  sched_getaffinity(pid: number, size: number, mask: Buffer): number;
  sched_getcpu(): number;
  pread(fd: number, buf: Buffer, count: number, offset: number): number;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  libc = Object.fromEntries(
    Object.entries(LIBC_PROTOTYPES).map(([name, prototype]) => [name, libcFunction(prototype)]),
  ) as unknown as Libc;
  return libc;
}

/** A failed libc call: the function, errno and its name. */
export class LibcError extends Error {
  constructor(
    readonly call: string,
    readonly errno: number,
  ) {
    super(`${call} failed: errno ${errno} (${errnoName(errno)})`);
    this.name = 'LibcError';
  }
}

const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM',
  2: 'ENOENT',
  4: 'EINTR',
  7: 'E2BIG',
  11: 'EAGAIN',
  12: 'ENOMEM',
  13: 'EACCES',
  22: 'EINVAL',
  28: 'ENOSPC',
  42: 'ENOMSG',
  43: 'EIDRM',
};

function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? 'see errno(3)';
}

function check(call: string, result: number): number {
  if (result < 0) throw new LibcError(call, lastErrno());
  return result;
}

/** msgget(IPC_PRIVATE, IPC_CREAT | 0600): a new private queue; its id. */
export function msgget(): number {
  return check('msgget', load().msgget(IPC_PRIVATE, IPC_CREAT | 0o600));
}

/**
 * msgsnd() of `msg` (a struct msgbuf: 8-byte mtype then the text) with `textBytes` of text, without
 * blocking. Returns 0, or −errno (EAGAIN when the queue is full) so the caller can decide.
 */
export function msgsnd(id: number, msg: Buffer, textBytes: number): number {
  const r = load().msgsnd(id, msg, textBytes, IPC_NOWAIT);
  return r < 0 ? -lastErrno() : r;
}

/** msgrcv() of the first message of type `type`, without blocking: the text bytes received, or −errno. */
export function msgrcv(id: number, buf: Buffer, maxText: number, type: number): number {
  const r = load().msgrcv(id, buf, maxText, type, IPC_NOWAIT);
  return r < 0 ? -lastErrno() : r;
}

/** msgctl(id, IPC_RMID): remove a queue, freeing every message left in it; 0 or −errno. */
export function msgRemove(id: number): number {
  const r = load().msgctl(id, IPC_RMID, null);
  return r < 0 ? -lastErrno() : r;
}

/** sched_setaffinity(0, …): pin the calling thread to one CPU. */
export function pinToCpu(cpu: number): void {
  const mask = Buffer.alloc(CPU_SET_BYTES);
  mask[cpu >> 3] = 1 << (cpu & 7);
  check(`sched_setaffinity(cpu ${cpu})`, load().sched_setaffinity(0, CPU_SET_BYTES, mask));
  // The kernel moves the thread before sched_setaffinity returns: an allocation now lands on `cpu`.
  const now = currentCpu();
  if (now !== cpu) throw new Error(`sched_setaffinity(cpu ${cpu}) returned, but the thread runs on CPU ${now}`);
}

/** sched_getaffinity(0, …): the calling thread's CPU mask, to restore later with setAffinity. */
export function getAffinity(): Buffer {
  const mask = Buffer.alloc(CPU_SET_BYTES);
  check('sched_getaffinity', load().sched_getaffinity(0, CPU_SET_BYTES, mask));
  return mask;
}

export function setAffinity(mask: Buffer): void {
  check('sched_setaffinity', load().sched_setaffinity(0, CPU_SET_BYTES, mask));
}

/** sched_getcpu(): the CPU the calling thread runs on now. */
function currentCpu(): number {
  return check('sched_getcpu', load().sched_getcpu());
}

/** pread(fd, buf, buf.length, 0): one read from the start (a sysfs file regenerates its text); bytes or −errno. */
export function preadStart(fd: number, buf: Buffer): number {
  const r = load().pread(fd, buf, buf.length, 0);
  return r < 0 ? -lastErrno() : r;
}
