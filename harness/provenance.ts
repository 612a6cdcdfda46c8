import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { cpus } from 'node:os';
import { packageFile, packageRoot } from '../core/package-file.ts';
import type { Provenance } from '../results/run-schema.ts';

const packageJson = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as {
  version: string;
};

export const VERSION = packageJson.version;

/**
 * The commit of l2bench's own git checkout, or null: outside git, or when l2bench's folder is not
 * the top of the checkout git finds (a package installed in node_modules of another project's
 * repository, whose commit says nothing of l2bench's code).
 */
function gitCommit(): string | null {
  const root = packageRoot();
  try {
    const [top, head] = execFileSync('git', ['rev-parse', '--show-toplevel', 'HEAD'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim()
      .split('\n');
    return top && head && realpathSync(top) === realpathSync(root) ? head : null;
  } catch {
    return null;
  }
}

/** Whether l2bench's git checkout has uncommitted changes to tracked files; null outside one (as gitCommit). */
export function gitDirty(): boolean | null {
  if (gitCommit() === null) return null;
  try {
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: packageRoot(),
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
