import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LockBusyError, lockHolder, lockNow, lockWaiting, tryLock } from '../../os/lock.ts';
import { ROOT } from '../cli.ts';
import { tempDir } from '../tmp.ts';

// A lock file of its own in a new folder, so these tests never wait for (or block) a real lock.
const lockFile = () => join(tempDir('l2bench-lock-'), 'test.lock');

/** A child process that takes the lock, says so on stdout, and waits to be killed. */
function holderProcess(path: string) {
  const code = `import { lockNow } from './os/lock.ts'; lockNow(${JSON.stringify(path)}); console.log('held'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const held = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
    child.on('exit', (c) => reject(new Error(`the holder exited with code ${c} before taking the lock`)));
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { child, held, exited };
}

describe('the one lock (flock)', () => {
  it('a second take fails at once while the lock is held, naming the holder; release frees it (and removes the file if asked)', () => {
    const kept = lockFile();
    lockNow(kept).release();
    expect(readFileSync(kept, 'utf8')).toBe('');
    const path = lockFile();
    const held = lockNow(path, { remove: true });
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid} ${hostname()}\n`);
    // flock locks belong to the open file: a second open in this very process is refused too.
    expect(tryLock(path)).toBeNull();
    expect(() => lockNow(path)).toThrow(LockBusyError);
    expect(() => lockNow(path)).toThrow(`${path} is locked by another process (pid ${process.pid})`);
    held.release();
    held.release();
    expect(existsSync(path)).toBe(false);
    lockNow(path).release();
  });

  it('a waiting take gets the lock when the holder releases it, or gives up at its deadline', async () => {
    const path = lockFile();
    const held = lockNow(path);
    await expect(lockWaiting(path, 120)).rejects.toBeInstanceOf(LockBusyError);
    setTimeout(() => held.release(), 100);
    const next = await lockWaiting(path, 10_000);
    next.release();
  });

  it('a holder killed by SIGKILL leaves its file behind but no lock: the next take succeeds at once', async () => {
    const path = lockFile();
    const holder = holderProcess(path);
    await holder.held;
    expect(lockHolder(path)).toEqual({ pid: holder.child.pid, host: hostname() });
    expect(() => lockNow(path)).toThrow(`(pid ${holder.child.pid})`);
    holder.child.kill('SIGKILL');
    await holder.exited;
    expect(existsSync(path)).toBe(true);
    const mine = lockNow(path);
    expect(lockHolder(path)).toEqual({ pid: process.pid, host: hostname() });
    mine.release();
  });

  it('a lock file whose holder wrote nothing yet, or something else, names no holder', () => {
    const path = lockFile();
    writeFileSync(path, '');
    expect(lockHolder(path)).toBeNull();
    writeFileSync(path, 'garbage\n');
    expect(lockHolder(path)).toBeNull();
    writeFileSync(path, '4242\n');
    expect(lockHolder(path)).toEqual({ pid: 4242, host: '' });
  });
});
