import { execFile } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { cpus } from 'node:os';
import { packageFile, packageRoot } from '../core/package-file.ts';
import type { Provenance } from '../results/run-schema.ts';

const packageJson = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as {
  version: string;
};

export const VERSION = packageJson.version;

/** l2bench's own git checkout: its commit and whether tracked files changed; both null outside one. */
export interface GitState {
  commit: string | null;
  dirty: boolean | null;
}

/** `git ARGS` in l2bench's folder: its standard output, or null when git fails or is missing. */
function git(args: readonly string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd: packageRoot() }, (error, stdout) => resolve(error ? null : stdout));
  });
}

/**
 * The commit of l2bench's own git checkout, or null: outside git, or when l2bench's folder is not
 * the top of the checkout git finds (a package installed in node_modules of another project's
 * repository, whose commit says nothing of l2bench's code); and whether tracked files have
 * uncommitted changes. Asynchronous, so that a run starts it before its plan's work and git runs
 * beside it: run synchronously after a trace's conversion, git's two processes held the main thread
 * for a tenth of that run's time on a busy machine.
 */
export function gitState(): Promise<GitState> {
  const early = askedEarly;
  askedEarly = null;
  return early ?? askGit();
}

/** gitState() started by askGitEarly, for the next call to take. */
let askedEarly: Promise<GitState> | null = null;

/**
 * Start gitState() now, for the next call to take: the command's `run` asks before loading the run's
 * code, so that git's two processes run while it loads instead of being waited for before the
 * first cell is handed to a worker.
 */
export function askGitEarly(): void {
  askedEarly ??= askGit();
}

async function askGit(): Promise<GitState> {
  const root = packageRoot();
  const [top, head] = ((await git(['rev-parse', '--show-toplevel', 'HEAD'])) ?? '').trim().split('\n');
  let commit: string | null = null;
  try {
    commit = top && head && realpathSync(top) === realpathSync(root) ? head : null;
  } catch {
    commit = null;
  }
  if (commit === null) return { commit: null, dirty: null };
  const status = await git(['status', '--porcelain', '--untracked-files=no']);
  return { commit, dirty: status === null ? null : status.length > 0 };
}

/** Where and how this run happens. */
export function provenance(
  machine: Record<string, number>,
  now: Date,
  gitCommit: string | null,
): Omit<Provenance, 'suite' | 'throughput_time_ms' | 'jobs' | 'plan'> {
  return {
    l2bench_version: VERSION,
    git_commit: gitCommit,
    node_version: process.version,
    v8_version: process.versions.v8,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    platform: `${process.platform}-${process.arch}`,
    started_at: now.toISOString(),
    command_line: process.argv.slice(2),
    machine,
  };
}
