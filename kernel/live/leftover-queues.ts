import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { msgRemove } from './libc.ts';
import { sysvQueues } from './probe.ts';

/**
 * The System V queues l2bench made on this machine, one `MSQID CTIME` line each, in a file beside
 * the cache lock. A driver killed by SIGKILL cannot remove its queues, and their messages stay in
 * msg_msg-*; the next holder of the lock removes every queue of the list still there. A queue is
 * ours only if both its id and its creation time (msg_ctime, seconds) are those listed: an id the
 * kernel gave to another program since has another time.
 */
export function queueListPath(lockPath: string): string {
  return `${lockPath}.queues`;
}

/** List a queue just made (msgget), with its creation time as /proc/sysvipc/msg shows it. */
export function noteQueue(list: string, msqid: number): void {
  const ctime = sysvQueues().find((q) => q.msqid === msqid)?.ctime;
  if (ctime !== undefined) appendFileSync(list, `${msqid} ${ctime}\n`);
}

/**
 * Under the lock: remove the listed queues still there (IPC_RMID frees their messages), and empty
 * the list. Returns how many were removed.
 */
export function removeLeftoverQueues(list: string): number {
  let text: string;
  try {
    text = readFileSync(list, 'latin1');
  } catch {
    return 0;
  }
  const listed = new Set(text.split('\n').filter(Boolean));
  let removed = 0;
  for (const q of sysvQueues()) {
    if (listed.has(`${q.msqid} ${q.ctime}`) && msgRemove(q.msqid) === 0) removed++;
  }
  writeFileSync(list, '');
  return removed;
}
