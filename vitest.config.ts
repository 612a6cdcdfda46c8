import { configDefaults, defineConfig } from 'vitest/config';

// Timeouts only catch hangs: no test may depend on how fast or loaded the machine is, so they are
// far above what any test takes on a busy 2-core machine.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // dist/ is the compiled package: its tests are the sources'. It is built once, before the tests.
    exclude: [...configDefaults.exclude, 'dist/**'],
    globalSetup: ['test/global-setup.ts'],
  },
});
