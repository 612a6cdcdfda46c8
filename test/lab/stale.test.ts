import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeStale } from '../../kernel/lab/stale.ts';
import { tempDir } from '../tmp.ts';

describe('what a process killed outright left behind', () => {
  it('is removed when its process is gone, and kept while it runs', () => {
    const dir = tempDir('l2bench-stale-');
    const gone = spawnSync('true').pid as number; // exited and reaped: its id names no process
    for (const name of [`boot-${gone}-abc`, `boot-${process.pid}-def`, 'boot-x-ghi', 'other'])
      mkdirSync(join(dir, name));
    removeStale(dir, /^boot-(\d+)-/);
    expect(readdirSync(dir).sort()).toEqual([`boot-${process.pid}-def`, 'boot-x-ghi', 'other']);
  });
});
