import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { packageFile, packageRoot } from '../results/assets.ts';
import type { Provenance } from '../results/run.ts';

const packageJson = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as {
  version: string;
};

export const VERSION = packageJson.version;

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: packageRoot(),
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

/** Whether l2bench's git tree has uncommitted changes to tracked files; null outside git. */
export function gitDirty(): boolean | null {
  try {
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: new URL('..', import.meta.url),
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return status.length > 0;
  } catch {
    return null;
  }
}

/** Where and how this run happens. */
export function provenance(
  machine: Record<string, number>,
  now: Date,
): Omit<Provenance, 'suite' | 'throughput_time_ms' | 'jobs' | 'plan'> {
  return {
    l2bench_version: VERSION,
    git_commit: gitCommit(),
    node_version: process.version,
    v8_version: process.versions.v8,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    platform: `${process.platform}-${process.arch}`,
    started_at: now.toISOString(),
    command_line: process.argv.slice(2),
    machine,
  };
}
