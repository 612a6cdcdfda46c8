import { Command, Option } from '@commander-js/extra-typings';
import { EXPORTERS } from '../../results/index.ts';
import { VERSION } from '../provenance.ts';
import { compareCommand } from './commands/compare.ts';
import { listCommand } from './commands/list.ts';
import { mergeCommand } from './commands/merge.ts';
import { reportCommand } from './commands/report.ts';
import { runCommand } from './commands/run.ts';
import { traceStatsCommand } from './commands/trace.ts';
import { reportFailure } from './failure.ts';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function program(): Command {
  const cli = new Command('l2bench')
    .description('Compare IOMMU L2 page-table allocation strategies on a simulated Linux v5.1 machine')
    .version(VERSION)
    // Commander's own errors (unknown option or command, missing argument) as one line and exit 2.
    .configureOutput({
      outputError: (text, write) => write(`l2bench: ${text.replace(/^error: /, '').trim()} (see --help)\n`),
    })
    .exitOverride((err) => {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        process.exit(0);
      process.exit(2);
    });
  cli
    .command('run')
    .description('run strategies × workloads × CPU counts × seeds (default: the default suite) and write results')
    .option('--suite <file>', 'a suite file (JSON or YAML), or the name of a built-in suite (default)')
    .option(
      '-s, --strategy <list>',
      'strategies, comma-separated: NAME[:key=value,…] or ./module.ts (default: all built-in)',
    )
    .option('-w, --workload <spec>', 'a workload NAME[:key=value,…]; key=a..b sweeps (repeatable)', collect)
    .option('--cpus <list>', 'CPU counts of the simulated machine, comma-separated (default 4)')
    .option('--seed <list>', 'seeds for the workload generators, comma-separated (default 1)')
    .option('--machine <k=v,…>', 'machine: dram=SIZE, base=ADDR, fragment=FRACTION of ZONE_DMA32 taken at boot')
    .option('--check', 'run every strategy under the invariant checker')
    .addOption(new Option('--no-throughput', 'skip the throughput measurement (memory metrics only)'))
    .option('--time <ms>', 'time budget per cell for throughput, in ms, spread over its rounds (default 100)')
    .option('--rounds <n>', 'rounds of timing per cell, each in a fresh worker thread (default 8)')
    .option('--format <list>', `output formats: ${EXPORTERS.map((e) => e.format).join(', ')}`, 'csv,json')
    .option('-o, --out <dir>', 'output folder (default: a new runs/<timestamp>/)')
    .option('-j, --jobs <n>', 'worker threads for the exact metrics (throughput is timed one cell at a time)')
    .option('--shard <i/n>', 'run only shard i of n of the cells; `l2bench merge` joins the shards')
    .option('--cell-timeout <seconds>', 'stop a cell running longer (its metrics, or a round of its timing): it fails')
    .action(async (opts) => {
      process.exitCode = await runCommand(opts);
    });
  cli
    .command('list')
    .description('list the built-in strategies or workloads with their parameters')
    .argument('<what>', 'strategies | workloads')
    .action((what) => {
      process.stdout.write(listCommand(what));
    });
  cli
    .command('report')
    .description('write the design-decision report (report.md, report.html) from a saved results.json')
    .argument('<results.json>', 'a run written by l2bench run')
    .option('--format <list>', 'report formats: md, html', 'md,html')
    .option('-o, --out <dir>', 'output folder (default: beside results.json)')
    .action((file, opts) => {
      for (const f of reportCommand(file, opts)) process.stdout.write(`${f}\n`);
    });
  cli
    .command('compare')
    .description(
      'compare two runs cell by cell: exact metrics exactly, throughput by the Mann–Whitney U test of its rounds',
    )
    .argument('<base>', 'the base run: results.json, or the folder holding it')
    .argument('<new>', 'the new run: results.json, or the folder holding it')
    .option('--all', 'also show unchanged and not significant rows')
    .option('--fail-on-regression <pct>', 'exit 1 when a metric worsens by more than PCT percent')
    .option('--format <format>', 'text | md', 'text')
    .option('--noise <pct>', 'throughput changes of at most PCT percent are noise', '2')
    .action((base, next, opts) => {
      const { output, exitCode } = compareCommand(base, next, opts);
      process.stdout.write(output);
      process.exitCode = exitCode;
    });
  cli
    .command('merge')
    .description('join the shards of a run (l2bench run --shard i/n) into one run: CSV, JSON and reports')
    .argument('<shards...>', 'the shard folders (or their results.json)')
    .option('--format <list>', 'output formats', 'csv,json')
    .option('-o, --out <dir>', 'output folder (default: a new runs/<timestamp>/)')
    .action((shards, opts) => {
      for (const f of mergeCommand(shards, opts)) process.stdout.write(`${f}\n`);
    });
  const trace = cli.command('trace').description('inspect real traces');
  trace
    .command('stats')
    .description('what a trace holds: events, allocations, frees, skipped frees, peak live, lifetimes')
    .argument('<file>', 'a native (alloc,ID[,CPU]) or ftrace kmem trace')
    .option('--size <bytes>', 'table size: ftrace allocations kept when bytes_alloc equals it', '1024')
    .option('--cache <name>', 'keep one slab cache (kmalloc events: kmalloc-1k)')
    .option('--site <function>', 'keep one call_site function')
    .action((file, opts) => {
      process.stdout.write(traceStatsCommand(file, opts));
    });
  return cli;
}

program().parseAsync(process.argv).catch(reportFailure);
