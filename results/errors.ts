/**
 * The results layer's errors. Both are the input's fault (exit 2 at the CLI) and their messages name
 * the file or folder, never a command-line flag: the CLI adds its own wording.
 */

/** A results.json that cannot be read as a run, or runs that cannot be compared or merged. */
export class ResultsError extends Error {
  override name = 'ResultsError';
}

/** An output folder that cannot be used: not empty, not creatable, not writable. */
export class OutDirError extends Error {
  override name = 'OutDirError';
  constructor(
    /** The folder at fault, as given. */
    readonly dir: string,
    /** What is wrong with it. */
    readonly problem: string,
  ) {
    super(`output folder ${dir}: ${problem}`);
  }
}
