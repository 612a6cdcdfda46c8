import type { OptionName } from '../../core/errors.ts';

/**
 * `l2bench record` refused to start or could not go on: one line naming the culprit. exitCode 2 is
 * bad input (an option, an unknown cache or symbol), 1 the environment (not root, no tracefs, an
 * event this kernel lacks or prints in a format the reader does not know, no IOMMU).
 */
export class RecordError extends Error {
  override name = 'RecordError';
  constructor(
    /** What is wrong, without the option's name. */
    readonly problem: string,
    readonly exitCode: 1 | 2,
    /** The option of record() at fault and the value given, when one is: the CLI names its flag. */
    readonly input?: { readonly option: OptionName; readonly value?: string },
  ) {
    super(input ? `${input.option}${input.value === undefined ? '' : ` ${input.value}`}: ${problem}` : problem);
  }
}

type Input = RecordError['input'];

/** Bad input: exit 2. */
export const badInput = (problem: string, input?: Input) => new RecordError(problem, 2, input);
/** The machine cannot do it: exit 1. */
export const environment = (problem: string, input?: Input) => new RecordError(problem, 1, input);

/** The errno code of a file-system error, or its message. */
export function errnoOf(e: unknown): string {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : String(e);
}
