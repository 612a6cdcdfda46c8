/**
 * The results layer's errors. Both are the input's fault (exit 2 at the CLI) and their messages name
 * the file or folder, never a command-line flag: the CLI adds its own wording.
 */

import { InputError } from '../core/errors.ts';

/** A results.json that cannot be read as a run, or runs that cannot be compared or merged. */
export class ResultsError extends InputError {
  override name = 'ResultsError';
}

/** An output folder that cannot be used: not empty, not creatable, not writable. */
export class OutDirError extends InputError {
  override name = 'OutDirError';
  constructor(
    /** The folder at fault, as given. */
    readonly dir: string,
    problem: string,
    /** False when the user named no folder and this one is the default (runs/<timestamp>). */
    readonly given = true,
  ) {
    super(problem);
    this.message = `${given ? 'output folder' : 'default output folder'} ${dir}: ${problem}`;
  }
}
