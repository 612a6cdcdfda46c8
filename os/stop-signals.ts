import { constants } from 'node:os';

/**
 * The signals that stop a run as Ctrl-C does, keeping every finished cell: SIGTERM is what Slurm
 * (scancel, preemption, a time limit), Kubernetes and AWS Batch send before SIGKILL; SIGHUP a
 * closed terminal.
 */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** A run stopped by a signal exits with 128 + its number, as a shell reports it. */
export const exitCodeOf = (signal: StopSignal): number => 128 + constants.signals[signal];

/** Handle the stop signals with `handler` until the function returned is called. */
export function onStopSignals(handler: (signal: StopSignal) => void): () => void {
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of STOP_SIGNALS) process.removeListener(signal, handler);
  };
}
