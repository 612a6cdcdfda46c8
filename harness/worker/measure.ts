import { parentPort, workerData } from 'node:worker_threads';
import { STRATEGIES } from '../../strategies/index.ts';
import type { Strategy } from '../../strategies/types.ts';
import type { Workload } from '../../workloads/events.ts';
import { WORKLOADS } from '../../workloads/index.ts';
import { Machines, measureCell } from '../cell.ts';
import { InputError } from '../errors.ts';
import { loadStrategyModule } from '../load-strategy.ts';
import { resolveSpec } from '../spec.ts';
import type { CellJob, WorkerReply, WorkerSetup } from './protocol.ts';

/**
 * A worker thread of a parallel run: it rebuilds each cell from its specs and measures its exact
 * metrics, exactly as the main thread would (the same code, a fresh machine per cell).
 */
const setup = workerData as WorkerSetup;
const registry: Strategy[] = [...STRATEGIES];
for (const path of setup.modules) registry.push((await loadStrategyModule(path)).strategy);

const workloads = new Map<string, Workload>();
const machines = new Machines();

function workloadOf(job: CellJob): Workload {
  const key = `${job.source.workload}\u0000${job.seed}\u0000${job.machine.cpus}`;
  let w = workloads.get(key);
  if (!w) {
    const { item, params } = resolveSpec(job.source.workload, 'workload', WORKLOADS);
    w = item.create(params, { seed: job.seed, cpus: job.machine.cpus });
    workloads.set(key, w);
  }
  return w;
}

parentPort?.on('message', (job: CellJob) => {
  let reply: WorkerReply;
  try {
    const { item, params } = resolveSpec(job.source.strategy, 'strategy', registry);
    const cell = {
      strategy: item,
      strategyParams: params,
      strategyLabel: job.strategyLabel,
      workload: workloadOf(job),
      machine: job.machine,
      seed: job.seed,
      check: job.check,
      timed: false,
      source: job.source,
    };
    const record = measureCell(cell, machines.get(cell.machine));
    reply = { index: job.source.index, record };
  } catch (e) {
    const err = e as Error;
    const input = e instanceof InputError ? { problem: e.problem, ...(e.input ? { input: e.input } : {}) } : {};
    reply = {
      index: job.source.index,
      error: { name: err.name || err.constructor?.name || 'Error', message: err.message, ...input },
    };
  }
  parentPort?.postMessage(reply);
});
