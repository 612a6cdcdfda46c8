// Run by qemu-process.test.ts: start a "QEMU" (sleep) through QemuProcess, print its pid, then end
// as argv[2] says: `throw` (an uncaught exception), `exit` (process.exit), or `wait` (until the
// test kills this process with SIGKILL). The QEMU must not outlive this process in any case.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QemuProcess } from '../../kernel/lab/qemu.ts';

const q = new QemuProcess('sleep', ['1000'], { consoleLog: join(tmpdir(), `l2bench-qemu-child-${process.pid}.log`) });
process.stdout.write(`${q.pid}\n`);
const how = process.argv[2];
setTimeout(() => {
  if (how === 'throw') throw new Error('boom');
  if (how === 'exit') process.exit(3);
}, 100);
if (how === 'wait') setInterval(() => undefined, 1000);
