/** The default suite of `npm start`: the hold sweep, 1 to 4096 tables on a log scale. */
export const DEFAULT_WORKLOADS: readonly string[] = Array.from({ length: 13 }, (_, i) => `hold:tables=${2 ** i}`);
