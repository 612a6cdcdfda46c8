// Run by kernel-cli.test.ts: an exception thrown from a timer while a check runs must still leave
// the kernel clean (the check's uncaughtException handler receives everything and exits 1).
import { readFileSync } from 'node:fs';
import { runKernelCheck } from '../../kernel/live/check.ts';

// Throw once this process has messages out: a queue whose last sender is this process.
const timer = setInterval(() => {
  const rows = readFileSync('/proc/sysvipc/msg', 'latin1').trim().split('\n').slice(1);
  if (rows.some((row) => Number(row.trim().split(/\s+/)[5]) === process.pid)) {
    clearInterval(timer);
    throw new Error('boom from a timer');
  }
}, 20);
await runKernelCheck({ workloads: ['churn:live=3000,ops=100000000'], lock: 'wait', lockTimeoutMs: 600_000 });
