import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ResultsError } from '../../results/errors.ts';
import { openRun } from '../../results/read-run.ts';
import type { Provenance } from '../../results/run-schema.ts';
import { isRunFile } from './out-dir.ts';

/** What makes two runs the same: the plan (its hash covers l2bench's version), the shard, the files it read. */
export interface PlanIdentity {
  sha256: string;
  shard: { index: number; count: number } | null;
  inputFiles: NonNullable<Provenance['input_files']>;
}

const sameFiles = (a: PlanIdentity['inputFiles'], b: PlanIdentity['inputFiles']) =>
  a.length === b.length && a.every((f, i) => f.path === b[i]?.path && f.sha256 === b[i]?.sha256);

/**
 * Whether a folder holds an unfinished run of this very plan, which a rerun may replace: what it
 * holds, in a few words (`an unfinished run of this shard (2 of 4 cells)`), or null. Such a folder
 * holds only a run's files, and its results.json says the run is not complete and was made from
 * the same plan and shard, with the same strategy modules and suite. A task that a batch engine
 * runs again (Slurm's requeue, a resubmission of the task, a retried pod) writes into its killed
 * attempt's folder; a finished run, another plan's, or a folder with other files is never taken.
 */
export function unfinishedRunOf(dir: string, plan: PlanIdentity): string | null {
  if (!readdirSync(dir).every(isRunFile)) return null;
  let run: ReturnType<typeof openRun>;
  try {
    run = openRun(join(dir, 'results.json'));
  } catch (e) {
    if (e instanceof ResultsError) return null;
    throw e;
  }
  const p = run.header.provenance.plan;
  const shard = p?.shard ?? null;
  const same =
    !run.header.complete &&
    p?.sha256 === plan.sha256 &&
    shard?.index === plan.shard?.index &&
    shard?.count === plan.shard?.count &&
    sameFiles(run.header.provenance.input_files ?? [], plan.inputFiles);
  if (!same) return null;
  return `an unfinished run of this ${plan.shard ? 'shard' : 'plan'} (${run.summary().records} of ${run.header.cells} cells)`;
}
