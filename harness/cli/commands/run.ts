import cliProgress from 'cli-progress';
import { plural } from '../../../results/format.ts';
import { EXPORTERS } from '../../../results/index.ts';
import { prepareOutDir, writeResults } from '../../../results/write.ts';
import { type BenchmarkOptions, emptyResult, planBenchmark, runBenchmark } from '../../benchmark.ts';
import { InputError } from '../../errors.ts';
import { splitList } from '../../spec.ts';
import { parseIntList, parseShard } from '../parse.ts';
import { renderTables } from '../table.ts';

export interface RunFlags {
  suite?: string;
  strategy?: string;
  workload?: string[];
  cpus?: string;
  kernel?: string;
  seed?: string;
  machine?: string;
  check?: boolean;
  throughput: boolean;
  time?: string;
  format: string;
  out?: string;
  jobs?: string;
  shard?: string;
  objective?: 'peak' | 'mean';
  costs?: string;
}

/** `l2bench run`: returns the exit code. */
export async function runCommand(flags: RunFlags): Promise<number> {
  if (flags.suite && flags.workload?.length) throw new InputError('--suite and --workload cannot be used together');
  if (!flags.throughput && flags.time)
    throw new InputError('--time sets the throughput budget: it cannot go with --no-throughput');
  const formats = splitList(flags.format);
  const report = { objective: flags.objective ?? 'peak' };
  for (const f of formats) {
    if (!EXPORTERS.some((e) => e.format === f)) {
      throw new InputError(
        `--format ${flags.format}: unknown format '${f}' (allowed: ${EXPORTERS.map((e) => e.format).join(', ')})`,
      );
    }
  }
  const shard = flags.shard ? parseShard(flags.shard) : undefined;
  if (shard?.source) process.stderr.write(`l2bench: shard ${shard.index}/${shard.count} (${shard.source})\n`);
  const options: BenchmarkOptions = {
    ...(flags.suite ? { suite: flags.suite } : {}),
    ...(flags.strategy ? { strategies: splitList(flags.strategy) } : {}),
    ...(flags.workload?.length ? { workloads: flags.workload } : {}),
    ...(flags.cpus ? { cpus: parseIntList(flags.cpus, '--cpus', 1, 4096) } : {}),
    ...(flags.kernel !== undefined ? { kernels: splitList(flags.kernel) } : {}),
    ...(flags.seed ? { seeds: parseIntList(flags.seed, '--seed', 0, 2 ** 31 - 1) } : {}),
    ...(flags.machine ? { machine: flags.machine } : {}),
    ...(flags.check ? { check: true } : {}),
    ...(flags.jobs ? { jobs: parseIntList(flags.jobs, '--jobs', 1, 256)[0] as number } : {}),
    ...(shard ? { shard: { index: shard.index, count: shard.count } } : {}),
    ...(flags.costs ? { costs: flags.costs } : {}),
    // --no-throughput: none; --time: that budget; neither: the suite's, or the default.
    ...(!flags.throughput
      ? { throughput: false }
      : flags.time
        ? { throughput: { timeMs: parseIntList(flags.time, '--time', 1, 600_000)[0] as number } }
        : {}),
  };
  // Validate everything (and learn the suite's time budget) before making the output folder.
  const plan = await planBenchmark(options);
  const dir = prepareOutDir(flags.out, new Date());
  const result = emptyResult();
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.on('SIGINT', onSigint);
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        { stream: process.stderr, format: ' {bar} {value}/{total} {task}', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(plan.cells.length, 0, { task: '' });
  let lastWrite = Date.now();
  try {
    await runBenchmark({
      ...options,
      throughput: plan.timeMs === null ? false : { timeMs: plan.timeMs },
      signal: abort.signal,
      result,
      onProgress(done, total, record) {
        bar?.setTotal(total);
        bar?.update(done, { task: `${record.strategy} · ${record.workload}` });
        // Keep finished cells on disk as the run goes, so even a hard kill loses little.
        if (Date.now() - lastWrite > 2000) {
          writeResults(dir, result, formats, report);
          lastWrite = Date.now();
        }
      },
    });
  } finally {
    bar?.stop();
    process.removeListener('SIGINT', onSigint);
    writeResults(dir, result, formats, report);
  }
  process.stdout.write(renderTables(result.records, Boolean(process.stdout.isTTY) && !process.env.NO_COLOR));
  const files = formats.map((f) => `${dir}/${EXPORTERS.find((e) => e.format === f)?.file}`).join(', ');
  if (result.interrupted) {
    const timedCells = plan.timeMs === null ? 0 : plan.cells.filter((c) => c.timed).length;
    const timed = result.records.filter((r) => r.ops_per_sec !== null).length;
    const timing = timedCells ? ` (${timed} of ${timedCells} timed)` : '';
    process.stderr.write(
      `l2bench: interrupted; kept ${result.records.length} of ${plural(plan.cells.length, 'cell')}${timing} in ${files}\n`,
    );
    return 130;
  }
  process.stdout.write(`${plural(plan.cells.length, 'cell')}; results in ${files}\n`);
  return 0;
}
