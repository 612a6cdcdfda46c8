import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Whether a process id is gone (a folder named after it was left by a process killed outright). */
function dead(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Remove what a process killed outright (SIGKILL: no finally ran) left in dir: entries whose name
 * matches pattern, its first group being the process id, when that process is gone.
 */
export function removeStale(dir: string, pattern: RegExp): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && dead(pid))
      rmSync(join(dir, name), { recursive: true, force: true });
  }
}
