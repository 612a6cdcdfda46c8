import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../core/errors.ts';
import { packageFile } from '../../core/package-file.ts';
import { resolveSpec } from '../../core/spec.ts';
import { expandSweep } from '../../core/spec-ranges.ts';
import type { Workload } from '../../workloads/events.ts';
import { WORKLOADS } from '../../workloads/index.ts';
import { bootGuest } from '../lab/guest.ts';
import { labInfo, loadLab } from '../lab/info.ts';
import { buildModule } from '../lab/module-build.ts';
import { labDir } from '../lab/paths.ts';
import { compareStrategy, type GuestDivergence, type StrategyComparison } from './compare.ts';
import { eventLines, GUEST_STRATEGIES, type GuestReport, type GuestStrategy, parseResults } from './protocol.ts';

/** The guest's vCPUs: the module pins each event to the CPU it names (workload CPUs folded onto them). */
export const GUEST_CPUS = 2;
/** The one kernel a guest of the lab runs. */
export const GUEST_KERNELS = ['6.1'] as const;

export interface GuestCheckOptions {
  /** Workload specs as `l2bench run --workload` takes them (sweeps expand into several). */
  readonly workloads: readonly string[];
  /** Strategy names (slab-dma32, genalloc, page-frag, full-page, dma-pool), or all of them. */
  readonly strategies?: readonly string[];
  readonly seed?: number;
  /** Stops the guest (LabInterrupted). */
  readonly signal?: AbortSignal;
  /** The lab folder (default: the lab's own). */
  readonly labDir?: string;
  /**
   * Called once the inputs and the lab are checked, before any work: the caller takes the live
   * check's lock there, so that bad input is refused in one line whoever holds it.
   */
  readonly beforeWork?: () => Promise<void>;
  /** Called once everything is checked and the module built, as the guest boots. */
  readonly onBoot?: (events: number) => void;
}

/** What a guest reported: each workload's events as the kernel's allocators served them. */
export interface GuestRun {
  readonly guest: GuestCheckResult['guest'];
  readonly workloads: readonly Workload[];
  /** Per workload, each strategy's reports by its letter, in event order. */
  readonly reports: readonly ReadonlyMap<string, readonly GuestReport[]>[];
  readonly strategies: readonly GuestStrategy[];
  readonly wallSeconds: number;
}

interface GuestWorkloadCheck {
  readonly workload: string;
  readonly events: number;
  readonly strategies: readonly StrategyComparison[];
}

export interface GuestCheckResult {
  /** The guest kernel (its release and Debian version) and its vCPUs. */
  readonly guest: { readonly release: string; readonly version: string; readonly cpus: number };
  readonly results: readonly GuestWorkloadCheck[];
  /** Events compared per strategy, over every workload. */
  readonly eventsChecked: Readonly<Record<string, number>>;
  readonly firstDivergence: (GuestDivergence & { readonly workload: string }) | null;
  readonly wallSeconds: number;
}

/** The lab cannot boot a guest or build its module: one line saying what is missing. */
export class GuestRefusal extends Error {
  override name = 'GuestRefusal';
}

function pickStrategies(names: readonly string[] | undefined): GuestStrategy[] {
  if (!names || names.length === 0 || (names.length === 1 && names[0] === 'all')) return [...GUEST_STRATEGIES];
  return names.map((n) => {
    const s = GUEST_STRATEGIES.find((g) => g.strategy === n || g.strategy.split(':')[0] === n);
    if (!s) {
      throw new InputError(
        `not a strategy the guest module drives (allowed: all, ${GUEST_STRATEGIES.map((g) => g.strategy.split(':')[0]).join(', ')})`,
        { option: 'strategies', value: n },
      );
    }
    return s;
  });
}

/**
 * `l2bench kernel check --guest 6.1`: replay each workload in a Linux 6.1 guest of the lab, where
 * the test module (kernel/guest-module/) drives the kernel's own allocators event by event on the
 * CPU each event names, and in l2bench's 6.1 models on as many CPUs; compare, after every event,
 * the pages each strategy holds and the table's offset within its container (SLUB: the sysfs slab
 * counters, its freelists being shuffled). Page addresses themselves are not compared: the guest's
 * page allocator has a boot history of its own. The caller holds the live check's lock (a kernel
 * tool imports no other: the CLI and the tests take it); the guest is stopped
 * and the module with it on every way out, and the exchange folder removed.
 */
export async function runGuestCheck(o: GuestCheckOptions): Promise<GuestCheckResult> {
  const run = await runGuest(o);
  const results: GuestWorkloadCheck[] = [];
  const eventsChecked: Record<string, number> = Object.fromEntries(run.strategies.map((s) => [s.strategy, 0]));
  let firstDivergence: GuestCheckResult['firstDivergence'] = null;
  for (const [i, w] of run.workloads.entries()) {
    const reports = run.reports[i] as ReadonlyMap<string, readonly GuestReport[]>;
    const compared = run.strategies.map((s) =>
      compareStrategy(s, w, reports.get(s.letter) ?? [], { cpus: GUEST_CPUS, kernel: '6.1' }),
    );
    for (const c of compared) eventsChecked[c.strategy] = (eventsChecked[c.strategy] ?? 0) + c.matches;
    results.push({ workload: w.spec, events: compared[0]?.events ?? 0, strategies: compared });
    const d = compared.find((c) => c.firstDivergence)?.firstDivergence;
    if (d) {
      firstDivergence = { ...d, workload: w.spec };
      break;
    }
  }
  return { guest: run.guest, results, eventsChecked, firstDivergence, wallSeconds: run.wallSeconds };
}

/** Boot the guest, replay every workload through the module, and return what the kernel reported. */
export async function runGuest(o: GuestCheckOptions): Promise<GuestRun> {
  if (o.workloads.length === 0) {
    throw new InputError('kernel check --guest needs a workload (e.g. churn:live=64,ops=2000)', {
      option: 'workloads',
    });
  }
  const strategies = pickStrategies(o.strategies);
  const seed = o.seed ?? 1;
  const workloads: Workload[] = o.workloads.flatMap((w) =>
    expandSweep(w).map((spec) => {
      const { item, params } = resolveSpec(spec, 'workload', WORKLOADS);
      return item.create(params, { seed, cpus: GUEST_CPUS });
    }),
  );
  const dir = o.labDir ?? labDir();
  const info = labInfo(dir);
  if (!info.ready || !info.modulesReady || !info.state) {
    throw new GuestRefusal(
      `the guest lab is not ready: ${info.problems.join('; ') || 'not prepared'} (run l2bench lab prepare as root)`,
    );
  }
  await o.beforeWork?.();
  const share = mkdtempSync(join(tmpdir(), 'l2bench-guest-check-'));
  const started = performance.now();
  try {
    const [ko] = await buildModule(packageFile('kernel/guest-module'), join(share, '.module'), {
      signal: o.signal,
      dir,
    });
    let lines = 0;
    let events = 0;
    const script: string[] = [];
    for (const [i, w] of workloads.entries()) {
      const text = strategies.map((s) => eventLines(s.letter, w.chunks(), GUEST_CPUS)).join('');
      writeFileSync(join(share, `w${i}.events`), text);
      const n = text.split('\n').length - 1;
      lines = Math.max(lines, n);
      events += n;
      script.push(
        `insmod /l2bench_alloc.ko results_mib=RESULTS_MIB || exit 10`,
        `cat /lab/w${i}.events > /sys/kernel/debug/l2bench/events || exit 11`,
        `cat /sys/kernel/debug/l2bench/results > /lab/w${i}.results || exit 12`,
        'rmmod l2bench_alloc || exit 13',
      );
    }
    // A result line is at most about 80 bytes.
    const resultsMib = Math.ceil((lines * 80) / 2 ** 20) + 1;
    o.onBoot?.(events);
    const boot = await bootGuest({
      share,
      files: [{ path: '/l2bench_alloc.ko', from: ko as string }],
      script: script.join('\n').replaceAll('RESULTS_MIB', String(resultsMib)),
      vcpus: GUEST_CPUS,
      devices: [],
      // Measured: 3,000 to 12,000 events/s of guest time under TCG; a hung guest is stopped.
      timeoutSeconds: 120 + Math.ceil(events / 200),
      signal: o.signal,
      lab: loadLab(dir),
    });
    if (boot.status !== 0) {
      const tail = boot.console.trim().split('\n').slice(-3).join(' | ');
      throw new GuestRefusal(`the guest's script failed (exit ${boot.status}): ${tail}`);
    }
    return {
      guest: { release: info.state.kernel.release, version: info.state.kernel.version, cpus: GUEST_CPUS },
      workloads,
      reports: workloads.map((_, i) => parseResults(readFileSync(join(share, `w${i}.results`), 'latin1'))),
      strategies,
      wallSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    rmSync(share, { recursive: true, force: true });
  }
}
