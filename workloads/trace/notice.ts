import { isMainThread } from 'node:worker_threads';

const said = new Set<string>();

/**
 * One line on stderr, `l2bench: note: …`, once per message and process; not from worker threads
 * (`run --jobs`), which rebuild the workloads the main thread has already described.
 */
function notice(message: string): void {
  if (!isMainThread || said.has(message)) return;
  said.add(message);
  process.stderr.write(`l2bench: note: ${message}\n`);
}

/** Say so when a trace's CPUs exceed the simulated ones: they are folded, trace CPU c onto c % cpus. */
export function noticeCpuFold(file: string, maxCpu: number, cpus: number): void {
  if (maxCpu < cpus) return;
  notice(
    `${file}: trace CPUs 0..${maxCpu} are folded onto ${cpus} simulated CPU${cpus === 1 ? '' : 's'} (trace CPU c runs on c % ${cpus})`,
  );
}
