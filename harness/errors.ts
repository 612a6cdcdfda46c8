import { OutDirError } from '../results/write.ts';
import { InvariantError } from '../strategies/checker.ts';
import { ParamError } from '../strategies/params.ts';
import { TraceError } from '../workloads/trace/errors.ts';
import { UsageError } from './spec.ts';

/** Errors that are the input's fault: one line, exit 2. */
const INPUT_ERRORS = [UsageError, ParamError, OutDirError, TraceError];

/** Print one line for any failure and set the exit code; never a stack trace unless L2BENCH_DEBUG is set. */
export function reportFailure(e: unknown): void {
  const err = e as NodeJS.ErrnoException;
  if (INPUT_ERRORS.some((k) => e instanceof k)) {
    process.stderr.write(`l2bench: ${err.message}\n`);
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
