/**
 * l2bench's programmatic API: run a benchmark, get the records, write any format, or build on the
 * simulated machine and the strategies directly.
 */

export { InputError, ParamError } from './core/errors.ts';
export type { KernelVersion } from './core/kernel.ts';
export type { ParamDef, ParamDefs, ParamValues } from './core/params.ts';
export type { Placement } from './core/placement.ts';
export type { CellRecord, FullRecord } from './core/record.ts';
export { CSV_COLUMNS, TIMING_COLUMNS } from './core/record.ts';
export { type BenchmarkOptions, planBenchmark, runBenchmark } from './harness/benchmark.ts';
export { type RecordOptions, type RecordResult, record } from './kernel/tracefs/record.ts';
export { EXPORTERS } from './results/index.ts';
export type { Exporter, Provenance, RunResult } from './results/run-schema.ts';
export { writeResults } from './results/write.ts';
export { createChecked } from './strategies/checker.ts';
export { InvariantError } from './strategies/errors.ts';
export { findStrategy, STRATEGIES } from './strategies/index.ts';
export * as gfp from './strategies/machine/gfp.ts';
export { DEFAULT_MACHINE, Machine, type MachineOptions, PageAccount } from './strategies/machine/machine.ts';
export type {
  PageAllocator,
  Strategy,
  StrategyContext,
  TableAllocator,
} from './strategies/types.ts';
export type { EventChunk, Workload, WorkloadContext, WorkloadKind } from './workloads/events.ts';
export { ALLOC, FREE } from './workloads/events.ts';
export { findWorkload, WORKLOADS } from './workloads/index.ts';
