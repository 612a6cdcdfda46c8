import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Cell } from './cell.ts';
import { runCell } from './cell.ts';
import type { CellRecord } from './record.ts';

export interface RunOptions {
  /** Called after each finished cell, with the records so far. */
  onCell?: (record: CellRecord, done: number, total: number) => void;
  /** Stop before the next cell once aborted; finished cells are kept. */
  signal?: AbortSignal;
}

/** Run cells one after another, yielding to the event loop between cells so Ctrl-C is seen. */
export async function runCells(
  cells: readonly Cell[],
  options: RunOptions = {},
): Promise<{ records: CellRecord[]; interrupted: boolean }> {
  const records: CellRecord[] = [];
  for (const cell of cells) {
    await yieldToEventLoop();
    if (options.signal?.aborted) return { records, interrupted: true };
    const record = runCell(cell);
    records.push(record);
    options.onCell?.(record, records.length, cells.length);
  }
  return { records, interrupted: false };
}
