import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { EXPORTERS } from '../../results/index.ts';
import type { RunResult } from '../../results/run.ts';
import { prepareOutDir, writeAtomic } from '../../results/write.ts';
import { STRATEGIES } from '../../strategies/index.ts';
import type { Strategy } from '../../strategies/types.ts';
import type { Cell } from '../cell.ts';
import { isModuleSpec, loadStrategyModule } from '../load-strategy.ts';
import { parseIntList, parseMachine } from '../machine-options.ts';
import { expandPlan, type Plan } from '../matrix.ts';
import { provenance } from '../provenance.ts';
import { runCells } from '../run.ts';
import { splitList, UsageError } from '../spec.ts';
import { loadSuite, resolveSuitePaths } from '../suite.ts';
import { renderTables } from '../table.ts';

export interface RunFlags {
  suite?: string;
  strategy?: string;
  workload?: string[];
  cpus?: string;
  seed?: string;
  machine?: string;
  check?: boolean;
  throughput: boolean;
  time?: string;
  format: string;
  out?: string;
}

const DEFAULT_TIME_MS = 100;

/** Load strategy modules named by path, and give every strategy spec by name. */
async function resolveStrategies(specs: readonly string[]): Promise<{ specs: string[]; extra: Strategy[] }> {
  const extra: Strategy[] = [];
  const out: string[] = [];
  for (const spec of specs) {
    if (!isModuleSpec(spec)) {
      out.push(spec);
      continue;
    }
    const loaded = await loadStrategyModule(spec);
    if (STRATEGIES.some((s) => s.name === loaded.strategy.name)) {
      throw new UsageError(`--strategy ${spec}: its name '${loaded.strategy.name}' is a built-in strategy's`);
    }
    extra.push(loaded.strategy);
    out.push(loaded.spec);
  }
  return { specs: out, extra };
}

/** The plans of a run: the suite's groups (flags override its settings), or one plan from the flags. */
async function plans(flags: RunFlags): Promise<{ plans: Plan[]; suite: string; timeMs: number | null }> {
  if (flags.suite && flags.workload?.length) throw new UsageError('--suite and --workload cannot be used together');
  const suiteName = flags.suite ?? (flags.workload?.length ? undefined : 'default');
  const loaded = suiteName ? loadSuite(suiteName) : undefined;
  const suite = loaded?.suite;
  const machineText = flags.machine ?? suiteMachine(suite);
  const machine = parseMachine(machineText);
  const cpus = flags.cpus ? parseIntList(flags.cpus, '--cpus', 1, 4096) : (suite?.cpus ?? [4]);
  const seeds = flags.seed ? parseIntList(flags.seed, '--seed', 0, 2 ** 31 - 1) : (suite?.seeds ?? [1]);
  const check = flags.check ?? suite?.check ?? false;
  const strategyList = flags.strategy
    ? splitList(flags.strategy)
    : (suite?.strategies ?? STRATEGIES.map((s) => s.name));
  const { specs, extra } = await resolveStrategies(strategyList);
  let timeMs: number | null = null;
  if (flags.throughput && suite?.throughput !== false) {
    timeMs = flags.time
      ? (parseIntList(flags.time, '--time', 1, 600_000)[0] as number)
      : (suite?.throughput?.time_ms ?? DEFAULT_TIME_MS);
  }
  const base = { cpus, seeds, machine, check, extraStrategies: extra };
  if (!suite)
    return {
      plans: [{ ...base, strategies: specs, workloads: flags.workload ?? [], throughput: true }],
      suite: '',
      timeMs,
    };
  const groupPlans = suite.groups.map((g) => ({
    ...base,
    strategies: flags.strategy ? specs : (g.strategies ?? specs),
    workloads: g.workloads.map((w) => resolveSuitePaths(w, loaded?.file ?? '')),
    throughput: g.throughput ?? true,
  }));
  return { plans: groupPlans, suite: loaded?.file ?? '', timeMs };
}

function suiteMachine(suite: ReturnType<typeof loadSuite>['suite'] | undefined): string | undefined {
  const m = suite?.machine;
  if (!m) return undefined;
  const parts = Object.entries(m).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(',') : undefined;
}

function writeRun(dir: string, formats: readonly string[], run: RunResult): void {
  for (const format of formats) {
    const exporter = EXPORTERS.find((e) => e.format === format);
    if (exporter) writeAtomic(join(dir, exporter.file), exporter.render(run));
  }
}

/** `l2bench run`: returns the exit code. */
export async function runCommand(flags: RunFlags): Promise<number> {
  const formats = splitList(flags.format);
  for (const f of formats) {
    if (!EXPORTERS.some((e) => e.format === f)) {
      throw new UsageError(
        `--format ${flags.format}: unknown format '${f}' (allowed: ${EXPORTERS.map((e) => e.format).join(', ')})`,
      );
    }
  }
  const { plans: planList, suite, timeMs } = await plans(flags);
  // Every spec is validated here, before anything is written.
  const cells: Cell[] = planList.flatMap((p) => expandPlan(p));
  if (cells.length === 0) throw new UsageError('nothing to run: no workload or no strategy');
  const now = new Date();
  const dir = prepareOutDir(flags.out, now);
  const result: RunResult = {
    schema: 'l2bench-run/1',
    provenance: {
      ...provenance({ ...(planList[0] as Plan).machine }, now),
      suite,
      throughput_time_ms: timeMs,
    },
    records: [],
    interrupted: false,
  };
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.on('SIGINT', onSigint);
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        { stream: process.stderr, format: ' {bar} {value}/{total} {task}', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(1, 0, { task: '' });
  let lastWrite = Date.now();
  try {
    const outcome = await runCells(cells, {
      throughput: timeMs === null ? null : { timeMs },
      signal: abort.signal,
      records: result.records,
      onProgress(done, total, record) {
        bar?.setTotal(total);
        bar?.update(done, { task: `${record.strategy} · ${record.workload}` });
        if (Date.now() - lastWrite > 2000) {
          writeRun(dir, formats, result);
          lastWrite = Date.now();
        }
      },
    });
    result.interrupted = outcome.interrupted;
  } finally {
    bar?.stop();
    process.removeListener('SIGINT', onSigint);
    writeRun(dir, formats, result);
  }
  process.stdout.write(renderTables(result.records, Boolean(process.stdout.isTTY) && !process.env.NO_COLOR));
  const files = formats.map((f) => join(dir, EXPORTERS.find((e) => e.format === f)?.file ?? f)).join(', ');
  if (result.interrupted) {
    process.stderr.write(`l2bench: interrupted; kept ${result.records.length} of ${cells.length} cells in ${files}\n`);
    return 130;
  }
  process.stdout.write(`${cells.length} cells; results in ${files}\n`);
  return 0;
}
