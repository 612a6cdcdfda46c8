/**
 * Module boundaries, checked by `npm test` (dependency-cruiser). Data flows one way:
 * workload → events → strategy → page allocator; the harness meters and runs; results read the
 * records. The floors, bottom up: core/ (the shared vocabulary) and, beside it, os/ (the operating
 * system's services: the one file lock); strategies/ and workloads/ beside each other; results/;
 * harness/ (the benchmark runner) and kernel/ (the tools that touch a real kernel) beside each
 * other; cli/ on top. A floor imports only floors below it (and itself).
 */
const FOLDERS = [
  'core',
  'os',
  'strategies',
  'workloads',
  'harness',
  'kernel',
  'cli',
  'results',
  'bench',
  'examples',
  'test',
  'scripts',
  'bin',
];
const PROJECT = `^(${FOLDERS.join('|')})/|^index\\.ts$`;

/** Every module of the project outside these folders. */
const allBut = (...folders) => `^(${FOLDERS.filter((f) => !folders.includes(f)).join('|')})/|^index\\.ts$`;

module.exports = {
  forbidden: [
    {
      name: 'core-imports-nothing-of-the-project',
      comment: 'core/ is the ground floor: every floor imports it, and it imports none (node builtins and zod only).',
      severity: 'error',
      from: { path: '^core/' },
      to: { path: PROJECT, pathNot: '^core/' },
    },
    {
      name: 'core-needs-only-zod',
      comment: 'core/ holds vocabulary, not machinery: of the packages, only zod (its schemas).',
      severity: 'error',
      from: { path: '^core/' },
      to: {
        dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'],
        pathNot: 'node_modules/zod/',
      },
    },
    {
      name: 'os-imports-nothing-of-the-project',
      comment:
        'os/ (the file lock, the C library it calls, the stop signals) stands beside core/ on the ground floor: it imports nothing of the project, and of the packages only koffi.',
      severity: 'error',
      from: { path: '^os/' },
      to: { path: PROJECT, pathNot: '^os/' },
    },
    {
      name: 'os-needs-only-koffi',
      comment: 'os/ reaches the C library through koffi and needs no other package.',
      severity: 'error',
      from: { path: '^os/' },
      to: {
        dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'],
        pathNot: 'node_modules/koffi/',
      },
    },
    {
      name: 'strategies-are-self-contained',
      comment: 'strategies/ (the allocators and the simulated machine) import only strategies/ and core/.',
      severity: 'error',
      from: { path: '^strategies/' },
      to: { path: allBut('strategies', 'core') },
    },
    {
      name: 'workloads-are-self-contained',
      comment: 'workloads/ produce events: they import only workloads/ and core/.',
      severity: 'error',
      from: { path: '^workloads/' },
      to: { path: allBut('workloads', 'core') },
    },
    {
      name: 'results-read-records-only',
      comment:
        'results/ read records: they import only results/ and core/, never the harness, the strategies or the workloads.',
      severity: 'error',
      from: { path: '^results/' },
      to: { path: allBut('results', 'core') },
    },
    {
      name: 'kernel-tools-stand-beside-the-harness',
      comment:
        'kernel/ (the live check, the tracefs recorder, the guest lab) uses the models (strategies/, workloads/), core/ and os/, never the harness, the results or the CLI.',
      severity: 'error',
      from: { path: '^kernel/' },
      to: { path: allBut('kernel', 'core', 'os', 'strategies', 'workloads') },
    },
    {
      name: 'kernel-tools-stand-apart',
      comment:
        'each kernel tool (kernel/live: the live check; kernel/tracefs: the recorder; kernel/capture: IOMMU captures in a guest) is a product of its own: none imports another. The guest lab (kernel/lab) is what runs them in a guest: a tool may build on it, the lab on none.',
      severity: 'error',
      from: { path: '^kernel/([^/]+)/' },
      to: { path: '^kernel/', pathNot: '^kernel/($1|lab)/' },
    },
    {
      name: 'kernel-tools-use-the-public-models',
      comment:
        "the live check reaches a model through what it shows every caller (the strategy's module, strategies/types.ts, the machine), never the SLUB cache's internals.",
      severity: 'error',
      from: { path: '^kernel/' },
      to: { path: '^strategies/slub/', pathNot: '^strategies/slub/strategy\\.ts$' },
    },
    {
      name: 'harness-knows-no-kernel-tools',
      comment: 'the benchmark runner never needs a real kernel: harness/ never imports kernel/.',
      severity: 'error',
      from: { path: '^harness/' },
      to: { path: '^(kernel|cli|bench|examples|test|scripts)/|^index\\.ts$' },
    },
    {
      name: 'only-the-cli-imports-the-cli',
      comment:
        'cli/ is the top floor: it turns flags into calls. Nothing below it imports it, so CLI wording stays there.',
      severity: 'error',
      from: { path: '^(core|os|strategies|workloads|harness|kernel|results)/|^index\\.ts$' },
      to: { path: '^cli/' },
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
    exclude: { path: '^(runs|dist|\\.ci)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js'] },
  },
};
