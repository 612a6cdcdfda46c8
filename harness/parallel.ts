import { Worker } from 'node:worker_threads';
import type { FullRecord } from '../results/record.ts';
import { InvariantError, ParamError } from '../strategies/errors.ts';
import { TraceError } from '../workloads/trace/errors.ts';
import type { Cell } from './cell.ts';
import { InputError } from './errors.ts';
import type { CellJob, WorkerError, WorkerReply, WorkerSetup } from './worker/protocol.ts';

const ENTRY = new URL('./worker/entry.mjs', import.meta.url);

/** An error from a worker, as the class it was, so the CLI reports it the same way. */
function revive(error: WorkerError): Error {
  if (error.name === 'InputError') return new InputError(error.problem ?? error.message, error.input);
  const classes: Record<string, new (message: string) => Error> = { ParamError, TraceError };
  const Known = classes[error.name];
  if (Known) return new Known(error.message);
  if (error.name === 'InvariantError') return Object.assign(new InvariantError('', -1, ''), { message: error.message });
  return new Error(error.message);
}

/**
 * Measure the exact metrics of cells on `jobs` worker threads, handing each worker the next cell
 * as it finishes one. Every cell runs on a fresh machine in whichever thread, so the metrics are the
 * serial run's. Cells whose strategy cannot travel (an object given to the API) stay in this thread.
 * Stops handing out cells once `signal` aborts; returns whether it was interrupted.
 */
export async function measureInParallel(
  cells: readonly Cell[],
  jobs: number,
  onRecord: (index: number, record: FullRecord) => void,
  signal?: AbortSignal,
): Promise<boolean> {
  const portable = cells.map((c, i) => (c.source && c.source.module !== undefined ? i : -1)).filter((i) => i >= 0);
  const local = cells.map((_, i) => i).filter((i) => !portable.includes(i));
  const modules = [
    ...new Set(portable.map((i) => cells[i]?.source?.module).filter((m): m is string => typeof m === 'string')),
  ];
  const setup: WorkerSetup = { modules };
  // Replies name the cell by its place in the whole plan; cells here may be a shard of it.
  const position = new Map(portable.map((i) => [cells[i]?.source?.index as number, i]));
  const workers = Array.from(
    { length: Math.min(jobs, portable.length) },
    () => new Worker(ENTRY, { workerData: setup }),
  );
  let next = 0;
  let failure: Error | null = null;
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const send = () => {
              if (failure || signal?.aborted || next >= portable.length) return resolve();
              const cell = cells[portable[next++] as number] as Cell;
              const job: CellJob = {
                source: cell.source as NonNullable<Cell['source']>,
                strategyLabel: cell.strategyLabel,
                machine: cell.machine,
                kernel: cell.kernel,
                seed: cell.seed,
                check: cell.check,
              };
              worker.postMessage(job);
            };
            worker.on('message', (reply: WorkerReply) => {
              if ('error' in reply) {
                failure = revive(reply.error);
                return reject(failure);
              }
              onRecord(position.get(reply.index) as number, reply.record);
              send();
            });
            worker.on('error', reject);
            worker.on('exit', (code) =>
              code === 0 ? resolve() : reject(new Error(`worker thread exited with code ${code}`)),
            );
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return localAndAborted(local, cells, onRecord, signal);
}

async function localAndAborted(
  local: readonly number[],
  cells: readonly Cell[],
  onRecord: (index: number, record: FullRecord) => void,
  signal?: AbortSignal,
): Promise<boolean> {
  const { measureCell } = await import('./cell.ts');
  for (const i of local) {
    if (signal?.aborted) return true;
    onRecord(i, measureCell(cells[i] as Cell));
  }
  return signal?.aborted ?? false;
}
