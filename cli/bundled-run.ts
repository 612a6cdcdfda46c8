import { isModuleSpec, splitList } from '../core/spec.ts';

/**
 * Whether `l2bench ARGS` may run from the CLI's bundle (dist/cli/bundle/, scripts/bundle-cli.js,
 * which loads sooner than the modules one by one): a `run` that names no strategy module and no
 * suite file. A user's strategy module, named with -s or by a suite file, imports l2bench, whose
 * classes (InputError) it must share with the CLI: only the unbundled modules give it that. Read
 * as commander reads the flags (`-s X`, `-sX`, `--strategy X`, `--strategy=X`), every occurrence
 * (a flag's value that looks like a flag is read as one too: it can only send the run unbundled).
 */
export function runsBundled(args: readonly string[]): boolean {
  if (args[0] !== 'run') return false;
  for (let i = 1; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--suite' || arg.startsWith('--suite=')) return false;
    let strategies: string | undefined;
    if (arg === '-s' || arg === '--strategy') strategies = args[i + 1] ?? '';
    else if (arg.startsWith('--strategy=')) strategies = arg.slice('--strategy='.length);
    else if (arg.startsWith('-s') && arg.length > 2) strategies = arg.slice(2);
    if (strategies !== undefined && splitList(strategies).some(isModuleSpec)) return false;
  }
  return true;
}
