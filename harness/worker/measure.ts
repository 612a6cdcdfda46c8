import { parentPort, workerData } from 'node:worker_threads';
import { eventStreamId } from '../../core/cell-key.ts';
import { InputError } from '../../core/errors.ts';
import { resolveSpec } from '../../core/spec.ts';
import { STRATEGIES } from '../../strategies/index.ts';
import type { Strategy } from '../../strategies/types.ts';
import { entriesCheckedByPlan } from '../../workloads/event-cache/index.ts';
import type { EventChunk, Workload } from '../../workloads/events.ts';
import { holdEvents, shareEvents } from '../../workloads/held-events.ts';
import { WORKLOADS } from '../../workloads/index.ts';
import { type Cell, Machines, measureCell } from '../cell.ts';
import { loadStrategyModule } from '../load-strategy.ts';
import { timeRound } from '../throughput.ts';
import type { CellJob, WorkerReply, WorkerSetup, WorkerTask } from './protocol.ts';

/**
 * A worker thread: it rebuilds each cell from its specs and measures its exact metrics, or times a
 * round of it, exactly as the main thread would (the same code; a machine reset to its boot state
 * for every cell and every replay). Running here, a cell can be stopped: the main thread terminates
 * the worker on Ctrl-C or when the cell runs past its timeout.
 */
const setup = workerData as WorkerSetup;
// Every task's workload was created, its cached events checked, by the plan on the main thread.
entriesCheckedByPlan();
const registry: Strategy[] = [...STRATEGIES];
/**
 * The user's strategy modules, loaded before the first task is taken. Not awaited at the top level:
 * without a module to load (the bundle's case) the worker is CommonJS, ready sooner (scripts/bundle-worker.js).
 */
async function loadModules(paths: readonly string[]): Promise<void> {
  for (const path of paths) registry.push((await loadStrategyModule(path)).strategy);
}

/** The last workload built: a worker takes a workload's cells one after another (memory stays flat over 10^5 workloads). */
let lastWorkload: { key: string; workload: Workload } | null = null;
const machines = new Machines();
/** The last workload's buffered events: a round times a workload's strategies one after another. */
let buffered: { key: string; events: EventChunk | null } | null = null;

const workloadKey = (job: CellJob) =>
  eventStreamId({ workload: job.source.workload, cpus: job.machine.cpus, seed: job.seed });

function workloadOf(job: CellJob): Workload {
  const key = workloadKey(job);
  if (lastWorkload?.key !== key) {
    const { item, params } = resolveSpec(job.source.workload, 'workload', WORKLOADS);
    lastWorkload = { key, workload: item.create(params, { seed: job.seed, cpus: job.machine.cpus }) };
  }
  return lastWorkload.workload;
}

function cellOf(job: CellJob): Cell {
  const { item, params } = resolveSpec(job.source.strategy, 'strategy', registry);
  return {
    strategy: item,
    strategyParams: params,
    strategyLabel: job.strategyLabel,
    workload: workloadOf(job),
    machine: job.machine,
    kernel: job.kernel,
    platform: job.platform,
    machineOverrides: job.machineOverrides,
    seed: job.seed,
    check: job.check,
    timed: false,
    source: job.source,
  };
}

/**
 * The workload's events, generated once and kept while cells of the same workload follow (the plan
 * runs a workload's strategies one after another): null when the stream is longer than MAX_HELD_EVENTS,
 * or when the task is the run's only one (`alone`): then it is replayed as it is read, without the
 * copy of the whole stream (a second run on a cached trace, its millions of events, waits for it).
 */
function eventsOf(job: CellJob, workload: Workload, alone = false): EventChunk | null {
  if (alone) {
    buffered = null;
    return null;
  }
  const key = workloadKey(job);
  if (buffered?.key !== key) {
    buffered = null; // let the previous workload's events go before holding the next
    buffered = { key, events: holdEvents(workload) };
  }
  return buffered.events;
}

function run(task: WorkerTask): WorkerReply {
  const index = task.job.source.index;
  const cell = cellOf(task.job);
  const machine = machines.get(cell.machine);
  if (task.kind === 'measure') {
    const events = eventsOf(task.job, cell.workload, task.alone);
    const record = measureCell(cell, machine, events ?? undefined);
    if (!task.share || !events) return { index, record };
    // Shared once per workload: the next strategy of the same workload replays the shared copy.
    const shared = events.kind.buffer instanceof SharedArrayBuffer ? events : shareEvents(events);
    if (buffered) buffered.events = shared;
    return { index, record, events: shared };
  }
  const events = task.events ?? eventsOf(task.job, cell.workload);
  if (!events) return { index, samples: null, events: 0 };
  return { index, samples: timeRound(cell, events, machine, task.budgetMs), events: events.length };
}

/** Take tasks: each answered with its record, samples or error. */
function listen(): void {
  parentPort?.on('message', (task: WorkerTask) => {
    let reply: WorkerReply;
    try {
      reply = run(task);
    } catch (e) {
      const err = e as Error;
      const input =
        e instanceof InputError
          ? { input_fault: true, problem: e.problem, ...(e.input ? { input: e.input } : {}) }
          : {};
      reply = {
        index: task.job.source.index,
        error: { name: err?.name || err?.constructor?.name || 'Error', message: String(err?.message ?? e), ...input },
      };
    }
    parentPort?.postMessage(reply);
  });
  parentPort?.postMessage({ ready: true });
}

// A module that fails to load fails the worker as it starts: the pool reports it (parallel.ts).
if (setup.modules.length === 0) listen();
else void loadModules(setup.modules).then(listen);
