import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QemuProcess } from '../../kernel/lab/qemu.ts';
import { ROOT } from '../cli.ts';
import { tempDir } from '../tmp.ts';

const dir = tempDir('l2bench-qemu-process-');
let n = 0;
const log = () => join(dir, `console-${n++}.log`);

/** Whether a process is gone (no /proc entry, or a zombie nobody waits for). */
function gone(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return true;
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

async function whenGone(pid: number): Promise<void> {
  while (!gone(pid)) await new Promise((r) => setTimeout(r, 50));
}

// The process handling of the guest lab, with a stand-in for QEMU (sleep, sh): no QEMU needed.
describe('a QEMU process is stopped on every way out', () => {
  it('a guest that runs past its time is stopped: timeout', async () => {
    const q = new QemuProcess('sleep', ['1000'], { consoleLog: log() });
    const end = await q.wait(100);
    expect(end.how).toBe('timeout');
    expect(gone(q.pid as number)).toBe(true);
  });

  it('an aborted signal stops it: aborted', async () => {
    const q = new QemuProcess('sleep', ['1000'], { consoleLog: log() });
    const abort = new AbortController();
    const waiting = q.wait(600_000, abort.signal);
    abort.abort();
    expect((await waiting).how).toBe('aborted');
    expect(gone(q.pid as number)).toBe(true);
  });

  it('one that ends by itself gives its exit code, and its console a line at a time', async () => {
    const file = log();
    const lines: string[] = [];
    const q = new QemuProcess('sh', ['-c', 'echo one; echo two; exit 3'], {
      consoleLog: file,
      onConsole: (l) => lines.push(l),
    });
    const end = await q.wait(600_000);
    expect([end.how, end.code]).toEqual(['exited', 3]);
    expect(lines).toEqual(['one', 'two']);
    expect(readFileSync(file, 'utf8')).toBe('one\ntwo\n');
  });

  it.each(['throw', 'exit', 'wait'])(
    'a process that ends (%s; wait: killed with SIGKILL) takes its QEMU with it',
    async (how) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/lab/qemu-child.ts'), how], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const pid = await new Promise<number>((resolve) => {
        child.stdout.once('data', (b: Buffer) => resolve(Number(b.toString().trim())));
      });
      expect(gone(pid)).toBe(false);
      if (how === 'wait') child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      // exit and throw: the exit hook kills it; SIGKILL: setpriv's parent-death signal does.
      await whenGone(pid);
      expect(gone(pid)).toBe(true);
    },
  );
});
