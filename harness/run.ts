import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { FullRecord } from '../results/record.ts';
import type { Workload } from '../workloads/events.ts';
import { type Cell, Machines, measureCell } from './cell.ts';
import { bufferEvents } from './events-buffer.ts';
import { measureInParallel } from './parallel.ts';
import { timeCell } from './throughput.ts';

export interface RunOptions {
  /** Time each cell with tinybench; null skips throughput. */
  throughput?: { timeMs: number } | null;
  /** Called after each step: the record is complete for memory, and again when it has been timed. */
  onProgress?: (done: number, total: number, record: FullRecord) => void;
  /** Stop before the next step once aborted; finished cells are kept. */
  signal?: AbortSignal;
  /** Where records go as they finish (default: a new array): a caller can save them at any time. */
  records?: FullRecord[];
  /** Worker threads for the exact metrics (1: this thread). Throughput is always timed here, one cell at a time. */
  jobs?: number;
}

export interface RunOutcome {
  records: FullRecord[];
  interrupted: boolean;
}

/**
 * Run cells: first every cell's exact metrics, one after another, then (if asked) every cell's
 * throughput, one at a time so no two timings share the CPU. Each workload's strategies are
 * timed in an order rotated from one workload to the next, so no strategy always goes first.
 * Between steps the event loop runs, so Ctrl-C is seen and the finished cells are kept.
 */
export async function runCells(cells: readonly Cell[], options: RunOptions = {}): Promise<RunOutcome> {
  const records: FullRecord[] = options.records ?? [];
  const timed = options.throughput ? cells.filter((c) => c.timed).length : 0;
  const total = cells.length + timed;
  let done = 0;
  const machines = new Machines();
  if ((options.jobs ?? 1) > 1) {
    // Records stay in plan order whatever order the workers finish in.
    const slots: (FullRecord | undefined)[] = new Array(cells.length);
    const interrupted = await measureInParallel(
      cells,
      options.jobs as number,
      (i, record) => {
        slots[i] = record;
        records.length = 0;
        for (const r of slots) if (r) records.push(r);
        options.onProgress?.(++done, total, record);
      },
      options.signal,
    );
    if (interrupted) return { records, interrupted: true };
  } else {
    for (const cell of cells) {
      await yieldToEventLoop();
      if (options.signal?.aborted) return { records, interrupted: true };
      const record = measureCell(cell, machines.get(cell.machine));
      records.push(record);
      options.onProgress?.(++done, total, record);
    }
  }
  if (!options.throughput) return { records, interrupted: false };
  const groups = new Map<Workload, number[]>();
  cells.forEach((cell, i) => {
    if (cell.timed) groups.set(cell.workload, [...(groups.get(cell.workload) ?? []), i]);
  });
  let g = 0;
  for (const [workload, members] of groups) {
    const events = bufferEvents(workload);
    const order = members.map((_, k) => members[(k + g) % members.length] as number);
    g++;
    for (const i of order) {
      await yieldToEventLoop();
      if (options.signal?.aborted) return { records, interrupted: true };
      const record = records[i] as FullRecord;
      if (events) {
        const t = await timeCell(cells[i] as Cell, events, { timeMs: options.throughput.timeMs });
        const { samples, ...columns } = t;
        Object.assign(record, columns);
        record.detail.samples = samples;
      }
      options.onProgress?.(++done, total, record);
    }
  }
  return { records, interrupted: false };
}
