/**
 * l2bench's programmatic API: run a benchmark, get the records, write any format, or build on the
 * simulated machine and the strategies directly.
 */
export { type BenchmarkOptions, planBenchmark, runBenchmark, writeResults } from './harness/benchmark.ts';
export type { CellRecord, FullRecord } from './harness/record.ts';
export { CSV_COLUMNS, TIMING_COLUMNS } from './harness/record.ts';
export { EXPORTERS } from './results/index.ts';
export type { Exporter, Provenance, RunResult } from './results/run.ts';
export { createChecked, InvariantError } from './strategies/checker.ts';
export { findStrategy, STRATEGIES } from './strategies/index.ts';
export * as gfp from './strategies/machine/gfp.ts';
export { DEFAULT_MACHINE, Machine, type MachineOptions, PageAccount } from './strategies/machine/machine.ts';
export type { ParamDef, ParamDefs, ParamValues } from './strategies/params.ts';
export type { PageAllocator, Placement, Strategy, StrategyContext, TableAllocator } from './strategies/types.ts';
export type { EventChunk, Workload, WorkloadContext, WorkloadKind } from './workloads/events.ts';
export { ALLOC, FREE } from './workloads/events.ts';
export { findWorkload, WORKLOADS } from './workloads/index.ts';
