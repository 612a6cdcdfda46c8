/** The folders of TypeScript sources the build compiles. */
export const SOURCE_DIRS: readonly string[];
/** Why dist/ cannot be run, or null. */
export function staleBuild(): string | null;
