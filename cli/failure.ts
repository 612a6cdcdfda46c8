import { InputError, type OptionName } from '../core/errors.ts';
import { RecordError } from '../kernel/tracefs/errors.ts';
import { OutDirError } from '../results/errors.ts';
import { InvariantError } from '../strategies/errors.ts';

/** The flag of `l2bench run` that sets each option of the API. */
const FLAGS: Record<OptionName, string> = {
  suite: '--suite',
  strategies: '--strategy',
  workloads: '--workload',
  cpus: '--cpus',
  kernels: '--kernel',
  platforms: '--platform',
  seeds: '--seed',
  machine: '--machine',
  jobs: '--jobs',
  shard: '--shard',
  bucket: '--bucket',
  every: '--every',
  shrinkEvery: '--shrink-every',
  flushEvery: '--flush-every',
  maxEvents: '--max-events',
  outDir: '--out',
  cache: '--cache',
  size: '--size',
  callSite: '--call-site',
  bufferKb: '--buffer-kb',
  durationSeconds: '--duration',
  iommu: '--iommu',
  out: '--out',
  rounds: '--rounds',
  cellTimeout: '--cell-timeout',
  throughput: '--time',
  check: '--check',
  costs: '--costs',
};

/** An error's one line as the command line says it: flags instead of the API's option names. */
export function cliMessage(e: Error): string {
  if ((e instanceof InputError || e instanceof RecordError) && e.input) {
    const value = e.input.value === undefined ? '' : ` ${e.input.value}`;
    return `${FLAGS[e.input.option]}${value}: ${e.problem}`;
  }
  if (e instanceof OutDirError) {
    return e.given
      ? `--out ${e.dir}: ${e.problem}`
      : `no --out given, and the default ${e.dir}: ${e.problem}; give --out DIR`;
  }
  return e.message;
}

/** Print one line for any failure and set the exit code; never a stack trace unless L2BENCH_DEBUG is set. */
export function reportFailure(e: unknown): void {
  const err = e as NodeJS.ErrnoException;
  if (e instanceof InputError) {
    process.stderr.write(`l2bench: ${cliMessage(err)}\n`);
    process.exitCode = 2;
  } else if (e instanceof InvariantError) {
    process.stderr.write(`l2bench: invariant broken: ${e.message}\n`);
    process.exitCode = 1;
  } else if (err?.code && err.path) {
    process.stderr.write(`l2bench: ${err.path}: ${err.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`l2bench: internal error: ${err?.message ?? String(e)} (L2BENCH_DEBUG=1 shows the stack)\n`);
    process.exitCode = 1;
  }
  if (process.env.L2BENCH_DEBUG) console.error(e);
}
