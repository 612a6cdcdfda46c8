/**
 * Module boundaries, checked by `npm test` (dependency-cruiser). Data flows one way:
 * workload → events → strategy → page allocator; the harness meters and runs; results read the
 * records. A back-edge fails the build.
 */
module.exports = {
  forbidden: [
    {
      name: 'strategies-are-self-contained',
      comment: 'strategies/ (the allocators and the simulated machine) import only strategies/.',
      severity: 'error',
      from: { path: '^strategies/' },
      to: { path: '^(workloads|harness|results|bench|examples|test)/|^index\\.ts$' },
    },
    {
      name: 'workloads-know-no-harness-or-results',
      comment: 'workloads/ produce events; they never import the harness or the results.',
      severity: 'error',
      from: { path: '^workloads/' },
      to: { path: '^(harness|results|bench|examples|test)/|^index\\.ts$' },
    },
    {
      name: 'results-read-records-only',
      comment: 'results/ read records: they never reach back into the harness, the strategies or the workloads.',
      severity: 'error',
      from: { path: '^results/' },
      to: { path: '^(harness|strategies|workloads|bench|examples|test)/|^index\\.ts$' },
    },
    {
      name: 'only-the-cli-imports-the-cli',
      comment:
        'cli/ is the top floor: it turns flags into calls. Nothing below it imports it, so CLI wording stays there.',
      severity: 'error',
      from: { path: '^(strategies|workloads|harness|kernel|results)/|^index\\.ts$' },
      to: { path: '^cli/' },
    },
    {
      name: 'harness-knows-no-kernel-tools',
      comment:
        'kernel/ (the live check, the tracefs recorder, the guest lab) sits beside the harness: the benchmark runner never needs a real kernel.',
      severity: 'error',
      from: { path: '^(harness|results|strategies|workloads)/' },
      to: { path: '^kernel/' },
    },
    {
      name: 'no-circular',
      comment: 'no import cycles anywhere.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|runs|dist|\\.ci)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js'] },
  },
};
