import { Command, Option } from '@commander-js/extra-typings';
import { KERNEL_VERSIONS } from '../core/kernel.ts';
import { askGitEarly, VERSION } from '../harness/provenance.ts';
import { FORMATS } from '../results/output-formats.ts';
import { reportFailure } from './failure.ts';

// Each command's module is imported when that command runs: a command loads only the code (and
// the libraries: zod, yaml, koffi, the charts) it uses, so that `l2bench list` starts fast.

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Commander's message without its `error: `, its "(Did you mean --seed?)" line joined to it. */
const oneLine = (text: string): string =>
  text
    .replace(/^error: /, '')
    .trim()
    .replace(/\s*\n\s*/g, ' ');

/** The l2bench command: its own options and error handling, then each group of subcommands. */
function program(): Command {
  const cli = new Command('l2bench')
    .description(
      `Compare IOMMU L2 page-table allocation strategies on a simulated arm64 machine, with the allocators of Linux ${KERNEL_VERSIONS.join(' and ')}`,
    )
    .version(VERSION)
    // Commander's own errors (unknown option or command, missing argument) as one line and exit 2:
    // its "(Did you mean --seed?)" comes on a line of its own, joined here.
    .configureOutput({ outputError: (text, write) => write(`l2bench: ${oneLine(text)} (see --help)\n`) })
    .exitOverride((err) => {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        process.exit(0);
      process.exit(2);
    });
  addRun(cli);
  addReaders(cli);
  addTraceTools(cli);
  addLab(cli);
  addKernel(cli);
  return cli;
}

/** `run`: the run's axes, its measurement, its outputs and its share of the cells. */
function addRun(cli: Command): void {
  cli
    .command('run')
    .description(
      'run strategies × workloads × CPU counts × kernels × seeds (default: the default suite) and write results',
    )
    .option('--suite <file>', 'a suite file (JSON or YAML), or the name of a built-in suite (default)')
    .option(
      '-s, --strategy <list>',
      'strategies, comma-separated: NAME[:key=value,…] or ./module.ts (default: all built-in)',
    )
    .option('-w, --workload <spec>', 'a workload NAME[:key=value,…]; key=a..b sweeps (repeatable)', collect)
    .option('--cpus <list>', "CPU counts of the simulated machine, comma-separated (default: each platform's board)")
    .option('--kernel <list>', 'Linux versions whose allocators to model, comma-separated: 5.1 (default), 6.1, 6.18')
    .option(
      '--platform <list>',
      'platforms, comma-separated (default mt8173): each on its board, under the kernels it runs (l2bench list platforms)',
    )
    .option('--seed <list>', 'seeds for the workload generators, comma-separated (default 1)')
    .option(
      '--machine <k=v,…>',
      "machine, instead of the platform board's: dram=SIZE, base=ADDR, fragment=FRACTION of ZONE_DMA32 taken at boot",
    )
    .option('--check', 'run every strategy under the invariant checker (default: those loaded from a file only)')
    .option('--no-check', 'run no strategy under the checker, not even one loaded from a file')
    .addOption(new Option('--no-throughput', 'skip the throughput measurement (memory metrics only)'))
    .option('--time <ms>', 'time budget per cell for throughput, in ms, spread over its rounds (default 100)')
    .option('--rounds <n>', 'rounds of timing per cell, each in a fresh worker thread (default 8)')
    .option('--format <list>', `output formats: ${FORMATS.join(', ')}`, 'csv,json')
    .option('-o, --out <dir>', 'output folder (default: a new runs/<timestamp>/)')
    .option(
      '-j, --jobs <n>',
      'worker threads for the exact metrics (default: one per CPU; throughput is timed one cell at a time)',
    )
    .option(
      '--shard <i/n|auto>',
      'run only shard i of n of the cells (auto: from a Slurm, AWS Batch or Kubernetes array job); `l2bench merge` joins them',
    )
    .option(
      '--costs <file>',
      'a cost table (YAML) overriding units or mappings of the shipped one, for kernel_ns_per_op',
    )
    .addOption(
      new Option('--objective <figure>', 'what md/html reports rank memory by: peak (default) or mean footprint')
        .choices(['peak', 'mean'] as const)
        .default('peak' as const),
    )
    .option('--cell-timeout <seconds>', 'stop a cell running longer (its metrics, or a round of its timing): it fails')
    .action(async (opts) => {
      // The run's first worker thread loads its code while the main thread loads the run's: a plan
      // naming strategy modules replaces it (startSpareWorker), one that fails leaves it unused.
      // git, asked for the run's provenance, answers meanwhile too.
      (await import('../harness/spare-worker.ts')).startSpareWorker([]);
      askGitEarly();
      const { runCommand } = await import('./commands/run.ts');
      process.exitCode = await runCommand(opts);
    });
}

/** The commands that read what runs wrote, or what l2bench knows: list, report, compare, merge. */
function addReaders(cli: Command): void {
  cli
    .command('list')
    .description('list the built-in strategies or workloads with their parameters, or the platforms with their facts')
    .argument('<what>', 'strategies | workloads | platforms')
    .action(async (what) => {
      const { listCommand } = await import('./commands/list.ts');
      process.stdout.write(listCommand(what));
    });
  cli
    .command('report')
    .description('write the design-decision report (report.md, report.html) from a saved results.json')
    .argument('<results.json>', 'a run written by l2bench run')
    .option('--format <list>', 'report formats: md, html', 'md,html')
    .option('--costs <file>', 'recompute the modelled kernel cost with this cost table (YAML) over the shipped one')
    .addOption(
      new Option('--objective <figure>', 'rank memory by peak footprint (the memory the system must have) or mean')
        .choices(['peak', 'mean'] as const)
        .default('peak' as const),
    )
    .option('-o, --out <dir>', 'output folder (default: beside results.json)')
    .action(async (file, opts) => {
      const { reportCommand } = await import('./commands/report.ts');
      for (const f of await reportCommand(file, opts)) process.stdout.write(`${f}\n`);
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
    .action(async (base, next, opts) => {
      const { compareCommand } = await import('./commands/compare.ts');
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
    .option('--partial', 'merge shards that are not complete (stopped, killed, failed cells): the result says so')
    .action(async (shards, opts) => {
      const { mergeCommand } = await import('./commands/merge.ts');
      for (const f of await mergeCommand(shards, opts)) process.stdout.write(`${f}\n`);
    });
}

/** The commands for real traces: record one, inspect one, and the cache of converted ones. */
function addTraceTools(cli: Command): void {
  cli
    .command('record')
    .description('record kmem (or IOMMU) events through a tracefs instance of its own into a trace file')
    .argument('[command...]', 'after --: a command to run; recording stops when it exits')
    .option('--cache <name>', 'a slab cache (kmem_cache_alloc/free name=; kmalloc caches by size)')
    .option('--size <bytes>', 'allocations of this many bytes (bytes_alloc)')
    .option('--call-site <symbol>', 'only allocations made from this kernel function')
    .option('--iommu', 'iommu:map and iommu:unmap instead of kmem events')
    .option('--duration <seconds>', 'stop after this many seconds (default: Ctrl-C or the command)')
    .option('-o, --out <file>', 'the trace to write (gzip when it ends in .gz); must not exist')
    .option('--buffer-kb <n>', "the instance's buffer_size_kb, per CPU (default 8192)")
    .option('--allow-loss', 'exit 0 even when the kernel lost events (default: exit 4, the trace kept and marked)')
    .action(async (command, opts) => {
      const { recordCommand } = await import('./commands/record.ts');
      process.exitCode = await recordCommand(opts, command);
    });
  const trace = cli.command('trace').description('inspect real traces');
  trace
    .command('stats')
    .description(
      'what a trace holds: events, allocations, frees, skipped frees, peak live, lifetimes (an IOMMU trace: maps, unmaps, sizes, 1 MiB slots, lifetimes, unmatched events)',
    )
    .argument('<file>', 'a native (alloc,ID[,CPU]) or ftrace kmem trace, or an iommu:map/unmap trace')
    .option('--size <bytes>', 'table size: ftrace allocations kept when bytes_alloc equals it', '1024')
    .option('--cache <name>', 'keep one slab cache (kmalloc events: kmalloc-1k)')
    .option('--site <function>', 'keep one call_site function')
    .action(async (file, opts) => {
      const { traceStatsCommand } = await import('./commands/trace.ts');
      process.stdout.write(traceStatsCommand(file, opts));
    });
  cli
    .command('cache')
    .description('the event cache: where traces converted once are kept, for every later cell, round and run')
    .argument('[action]', 'clear: remove every entry')
    .action(async (action) => {
      const { cacheCommand } = await import('./commands/cache.ts');
      process.stdout.write(cacheCommand(action));
    });
}

/** `lab info`, `lab prepare` and `capture`: the guest lab, and real IOMMU traces from its drivers. */
function addLab(cli: Command): void {
  const lab = cli
    .command('lab')
    .description(
      'the guest lab: a Debian Linux 6.1 guest under QEMU (TCG) with an emulated VT-d IOMMU and real drivers',
    );
  lab
    .command('info')
    .description('what the lab has ready and what is missing (exit 1 when a guest cannot boot)')
    .option('--json', 'one JSON object')
    .action(async (opts) => {
      const { labInfoCommand } = await import('./commands/lab.ts');
      const { output, exitCode } = labInfoCommand(opts);
      process.stdout.write(output);
      process.exitCode = exitCode;
    });
  lab
    .command('prepare')
    .description(
      'install QEMU and busybox, download and unpack the guest kernel, build the initramfs (root; reuses what is there)',
    )
    .action(async () => {
      const { labPrepareCommand } = await import('./commands/lab.ts');
      process.exitCode = await labPrepareCommand();
    });
  cli
    .command('capture')
    .description(
      "boot the guest lab, run a workload, and write each device's iommu:map/unmap trace, a shared-domain trace and a manifest",
    )
    .option('-w, --workload <name>', 'what runs in the guest (--list names them)')
    .option('--invalidation <mode>', 'strict (iommu.strict=1, the default) or lazy (iommu.strict=0)')
    .option('--vcpus <n>', "the guest's vCPUs: 1 (default) or 2")
    .option('-o, --out <dir>', 'the folder to write (must not exist)')
    .option('--keep-raw', "also keep the guest's own trace, probe hits included (guest-raw.trace.gz)")
    .option('--timeout <seconds>', 'stop a guest that has not finished by then (default 600)')
    .option('--list', 'list the workloads')
    .option('--verbose', "show the guest's console")
    .action(async (opts) => {
      const { captureCommand } = await import('./commands/capture.ts');
      process.exitCode = await captureCommand(opts);
    });
}

/** `kernel info` and `kernel check`: the live kernel as the oracle of the SLUB 6.18 model. */
function addKernel(cli: Command): void {
  const kernel = cli
    .command('kernel')
    .description(
      'check the models against a kernel: the running one (SLUB 6.18, msg_msg-* caches driven by System V messages), or a Linux 6.1 guest of the lab (--guest: every strategy, through a test module)',
    );
  kernel
    .command('info')
    .description(
      'whether this kernel can serve as the oracle, and why not: version, root, the cache, KFENCE, CPUs, limits',
    )
    .option('--bucket <size>', 'msg_msg bucket: 64, 96, 128, 192, 256, 512, 1k, 2k, 4k', '1k')
    .option('--json', 'one JSON object')
    .action(async (opts) => {
      const { kernelInfoCommand } = await import('./commands/kernel.ts');
      const { output, exitCode } = kernelInfoCommand(opts);
      process.stdout.write(output);
      process.exitCode = exitCode;
    });
  kernel
    .command('check')
    .description('replay workloads on the live cache and on the 6.18 model, comparing sysfs counters every K events')
    .option('-w, --workload <spec>', 'a workload NAME[:key=value,…] (repeatable)', collect)
    .option('--cpus <n>', "the workload's CPU count; CPUs beyond the online ones are folded (default: online CPUs)")
    .option('--every <k>', 'compare after every K events (and after the last)', '1')
    .option('--shrink-every <k>', 'shrink the cache and the model after every K events, then compare')
    .option(
      '--flush-every <k>',
      "flush every CPU's slabs of the cache and the model after every K events, then compare",
    )
    .option('--bucket <size>', 'msg_msg bucket: 64, 96, 128, 192, 256, 512, 1k, 2k, 4k', '1k')
    .option('--seed <n>', "the workload's seed", '1')
    .option('--max-events <n>', 'replay at most N events of each workload')
    .option('-o, --out <dir>', 'write the checkpoints as DIR/checkpoints.csv')
    .option('--json', 'one JSON object')
    .option(
      '--model-cpu-partial <n>',
      "give the model another cpu_partial than sysfs's, to see what a divergence looks like",
    )
    .option(
      '--guest <kernel>',
      "instead of the running kernel: a guest of the lab (6.1), where a test module drives the kernel's own allocators",
    )
    .option('--strategy <list>', 'with --guest: slab-dma32, genalloc, page-frag, full-page, dma-pool, or all', 'all')
    .action(async (opts) => {
      if (opts.guest !== undefined) {
        const { kernelGuestCheckCommand } = await import('./commands/kernel-guest.ts');
        process.exitCode = await kernelGuestCheckCommand({ ...opts, guest: opts.guest });
        return;
      }
      const { kernelCheckCommand } = await import('./commands/kernel.ts');
      process.exitCode = await kernelCheckCommand(opts);
    });
}

program().parseAsync(process.argv).catch(reportFailure);
