/**
 * Bad input, on every floor: a spec, a parameter, a suite, a trace, a results file. The CLI prints
 * its one line and exits 2; a worker thread sends it back as one (harness/parallel.ts). Each floor's
 * own input errors extend it. Its message speaks of the API's options (`strategies`, `machine`),
 * never of command-line flags: the CLI names its own flags from `input.option` (cli/failure.ts).
 */

/** The options of the API that a bad value can come from: BenchmarkOptions', CheckOptions' and RecordOptions' fields. */
export type OptionName =
  | 'suite'
  | 'strategies'
  | 'workloads'
  | 'cpus'
  | 'kernels'
  | 'platforms'
  | 'seeds'
  | 'machine'
  | 'jobs'
  | 'shard'
  | 'bucket'
  | 'every'
  | 'shrinkEvery'
  | 'flushEvery'
  | 'maxEvents'
  | 'outDir'
  | 'cache'
  | 'size'
  | 'callSite'
  | 'bufferKb'
  | 'durationSeconds'
  | 'iommu'
  | 'out'
  | 'rounds'
  | 'cellTimeout'
  | 'throughput'
  | 'check'
  | 'costs';

export class InputError extends Error {
  override name = 'InputError';
  constructor(
    /** What is wrong, without the option's name. */
    readonly problem: string,
    /** The option at fault and the value given, when one is. */
    readonly input?: { readonly option: OptionName; readonly value?: string },
  ) {
    super(input ? `${input.option}${input.value === undefined ? '' : ` ${input.value}`}: ${problem}` : problem);
  }
}

/** A `name:key=value` parameter that its declaration refuses. */
export class ParamError extends InputError {
  override name = 'ParamError';
}
