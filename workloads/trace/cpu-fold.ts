/**
 * What to tell the user when a trace's CPUs exceed the simulated ones: they are folded, trace CPU c
 * onto c % cpus. The workload carries it (`Workload.notices`); whoever runs it says it, once.
 */
export function cpuFoldNotices(file: string, maxCpu: number, cpus: number): string[] {
  if (maxCpu < cpus) return [];
  return [
    `${file}: trace CPUs 0..${maxCpu} are folded onto ${cpus} simulated CPU${cpus === 1 ? '' : 's'} (trace CPU c runs on c % ${cpus})`,
  ];
}
