import { join } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { EXPORTERS } from '../results/index.ts';
import type { RunResult } from '../results/run.ts';
import { OutDirError, prepareOutDir, writeAtomic } from '../results/write.ts';
import { InvariantError } from '../strategies/checker.ts';
import { STRATEGIES } from '../strategies/index.ts';
import { type ParamDefs, ParamError } from '../strategies/params.ts';
import { WORKLOADS } from '../workloads/index.ts';
import { DEFAULT_WORKLOADS } from './default-suite.ts';
import { parseIntList, parseMachine } from './machine-options.ts';
import { expandPlan } from './matrix.ts';
import { provenance, VERSION } from './provenance.ts';
import type { CellRecord } from './record.ts';
import { runCells } from './run.ts';
import { splitList, UsageError } from './spec.ts';
import { summarise } from './summary.ts';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function describeParams(params: ParamDefs): string {
  return Object.entries(params)
    .map(([k, d]) =>
      d.kind === 'int'
        ? `      ${k}=${d.min}..${d.max} (default ${d.default}): ${d.description}`
        : d.kind === 'choice'
          ? `      ${k}=${d.choices.join('|')} (default ${d.default}): ${d.description}`
          : `      ${k}=TEXT${d.default ? ` (default ${d.default})` : ''}: ${d.description}`,
    )
    .join('\n');
}

function writeRun(dir: string, formats: readonly string[], run: RunResult): void {
  for (const format of formats) {
    const exporter = EXPORTERS.find((e) => e.format === format);
    if (exporter) writeAtomic(join(dir, exporter.file), exporter.render(run));
  }
}

async function run(opts: {
  strategy?: string;
  workload?: string[];
  cpus: string;
  seed: string;
  machine?: string;
  check?: boolean;
  throughput: boolean;
  format: string;
  out?: string;
}): Promise<number> {
  const formats = splitList(opts.format);
  for (const f of formats) {
    if (!EXPORTERS.some((e) => e.format === f)) {
      throw new UsageError(
        `--format ${opts.format}: unknown format '${f}' (allowed: ${EXPORTERS.map((e) => e.format).join(', ')})`,
      );
    }
  }
  const machine = parseMachine(opts.machine);
  const plan = {
    strategies: opts.strategy ? splitList(opts.strategy) : STRATEGIES.map((s) => s.name),
    workloads: opts.workload?.length ? opts.workload : [...DEFAULT_WORKLOADS],
    cpus: parseIntList(opts.cpus, '--cpus', 1, 4096),
    seeds: parseIntList(opts.seed, '--seed', 0, 2 ** 31 - 1),
    machine,
    check: opts.check ?? false,
  };
  const cells = expandPlan(plan);
  const now = new Date();
  const dir = prepareOutDir(opts.out, now);
  const result: RunResult = {
    schema: 'l2bench-run/1',
    provenance: provenance({ ...machine }, now),
    records: [],
    interrupted: false,
  };
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  let lastWrite = Date.now();
  let outcome: { records: CellRecord[]; interrupted: boolean };
  try {
    outcome = await runCells(cells, {
      signal: abort.signal,
      onCell: (record) => {
        result.records.push(record);
        // Keep finished cells on disk as the run goes, so even a hard kill loses little.
        if (Date.now() - lastWrite > 2000) {
          writeRun(dir, formats, result);
          lastWrite = Date.now();
        }
      },
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
    writeRun(dir, formats, result);
  }
  result.interrupted = outcome.interrupted;
  writeRun(dir, formats, result);
  process.stdout.write(summarise(result.records));
  if (outcome.interrupted) {
    process.stderr.write(`l2bench: interrupted; kept ${result.records.length} of ${cells.length} cells in ${dir}\n`);
    return 130;
  }
  process.stdout.write(`${cells.length} cells; results in ${dir}\n`);
  return 0;
}

function program(): Command {
  const cli = new Command('l2bench')
    .description('Compare IOMMU L2 page-table allocation strategies on a simulated Linux v5.1 machine')
    .version(VERSION);
  cli
    .command('run')
    .description('run strategies × workloads × CPU counts × seeds, write results')
    .option('-s, --strategy <list>', 'strategies, comma-separated, each NAME or NAME:key=value (default: all built-in)')
    .option(
      '-w, --workload <spec>',
      'a workload NAME or NAME:key=value,… (repeatable; default: the default suite)',
      collect,
    )
    .option('--cpus <list>', 'CPU counts of the simulated machine (nr_cpu_ids)', '4')
    .option('--seed <list>', 'seeds for the workload generators', '1')
    .option('--machine <k=v,…>', 'machine options: dram=SIZE, base=ADDR, fragment=FRACTION of ZONE_DMA32')
    .option('--check', 'run every strategy under the invariant checker')
    .addOption(new Option('--no-throughput', 'skip the throughput measurement'))
    .option('--format <list>', `output formats (${EXPORTERS.map((e) => e.format).join(', ')})`, 'csv,json')
    .option('-o, --out <dir>', 'output folder (default: a new results/<timestamp>/)')
    .action(async (opts) => {
      process.exitCode = await run(opts);
    });
  cli
    .command('list')
    .description('list built-in strategies or workloads with their parameters')
    .argument('<what>', 'strategies | workloads')
    .action((what) => {
      const items = what === 'strategies' ? STRATEGIES : what === 'workloads' ? WORKLOADS : undefined;
      if (!items) throw new UsageError(`list ${what}: allowed: strategies, workloads`);
      for (const item of items) {
        process.stdout.write(`${item.name}\n    ${item.description}\n`);
        const params = describeParams(item.params);
        if (params) process.stdout.write(`${params}\n`);
      }
    });
  return cli;
}

/** Known failures print one line and exit non-zero; anything else is a bug, said as such. */
function fail(e: unknown): void {
  const known = [UsageError, ParamError, OutDirError, RangeError, InvariantError];
  if (known.some((k) => e instanceof k)) {
    process.stderr.write(`l2bench: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const err = e as NodeJS.ErrnoException;
  if (err?.code && err.path) {
    process.stderr.write(`l2bench: ${err.path}: ${err.message}\n`);
  } else {
    process.stderr.write(`l2bench: internal error: ${err?.message ?? String(e)} (L2BENCH_DEBUG=1 shows the stack)\n`);
    if (process.env.L2BENCH_DEBUG) console.error(e);
  }
  process.exitCode = 1;
}

program().parseAsync(process.argv).catch(fail);
