import type { Provenance } from './run-schema.ts';

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Options of `l2bench run` dropped from the command that reproduces a run, with whether they take a value. */
const DROPPED: Record<string, boolean> = { '-o': true, '--out': true, '--shard': true };

/**
 * The command that reproduces a run, runnable as printed: the run's own command line without its
 * output folder (which now exists and would be refused: the rerun writes a new runs/<timestamp>/)
 * and without --shard (the rerun makes the whole run, not one slice of it); after a checkout of the
 * commit, when known. A dirty tree is said, since the checkout cannot bring its changes back.
 */
export function reproduceCommand(p: Provenance): string {
  const args: string[] = [];
  const line = p.command_line;
  for (let i = 0; i < line.length; i++) {
    const arg = line[i] as string;
    const [flag] = arg.split('=', 1) as [string];
    if (flag in DROPPED) {
      // --out DIR, --out=DIR, -o DIR; -oDIR (a short flag with its value attached) too.
      if (DROPPED[flag] && !arg.includes('=')) i++;
      continue;
    }
    if (/^-o./.test(arg)) continue;
    args.push(arg);
  }
  const checkout = p.git_commit ? `git checkout ${p.git_commit} && ` : '';
  const dirty = p.git_dirty ? '# the tree had uncommitted changes: this commit alone may not reproduce it\n' : '';
  return `${dirty}${checkout}npx l2bench ${args.map(shellQuote).join(' ')}`;
}
