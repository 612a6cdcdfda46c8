/**
 * A value built at its first use and kept: a zod schema built when a module loads costs every
 * command that imports the module (a second trace run's main thread built its readers' schemas,
 * some 20 ms, before handing out its first cell, and never used them).
 */
export function builtOnce<T>(build: () => T): () => T {
  let value: T | undefined;
  let built = false;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value as T;
  };
}
