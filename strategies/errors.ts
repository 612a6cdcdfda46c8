/** The strategies layer's errors. */

/** A strategy broke an invariant under the checker: a bug in the strategy, not bad input. */
export class InvariantError extends Error {
  constructor(
    readonly strategy: string,
    readonly address: number,
    what: string,
  ) {
    super(`${strategy}: ${what}`);
    this.name = 'InvariantError';
  }
}
