/**
 * The guest lab could not do what was asked: one line saying what and why. exitCode 2 is bad input
 * (an option, a workload name, an --out that exists), 1 the environment (no QEMU, a package the
 * mirror does not serve, a guest that hung or stopped early, a full disk), 130 an interruption.
 */
export class LabError extends Error {
  override name = 'LabError';
  constructor(
    message: string,
    readonly exitCode: 1 | 2 | 130 = 1,
  ) {
    super(message);
  }
}

/** Stopped on request (Ctrl-C, SIGTERM, an aborted signal): QEMU is stopped and nothing half-written stays. */
export class LabInterrupted extends LabError {
  override name = 'LabInterrupted';
  constructor(what: string) {
    super(`${what}: interrupted; QEMU was stopped and nothing half-written was left`, 130);
  }
}

/** Bad input: exit 2. */
export const labInput = (message: string) => new LabError(message, 2);
