/**
 * `l2bench record` refused to start or could not go on: one line naming the culprit. exitCode 2 is
 * bad input (an option, an unknown cache or symbol), 1 the environment (not root, no tracefs, an
 * event this kernel lacks or prints in a format the reader does not know, no IOMMU).
 */
export class RecordError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

/** Bad input: exit 2. */
export const badInput = (message: string) => new RecordError(message, 2);
/** The machine cannot do it: exit 1. */
export const environment = (message: string) => new RecordError(message, 1);

/** The errno code of a file-system error, or its message. */
export function errnoOf(e: unknown): string {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : String(e);
}
