import { InputError } from '../../core/errors.ts';
import { GUEST_KERNELS, type GuestCheckResult, GuestRefusal, runGuestCheck } from '../../kernel/guest/check.ts';
import { GuestProtocolError } from '../../kernel/guest/protocol.ts';
import { LabError } from '../../kernel/lab/errors.ts';
import { CacheBusyError, takeCacheLockNow, takeCacheLockWaiting } from '../../kernel/live/cache-lock.ts';
import type { HeldLock } from '../../os/lock.ts';

export interface GuestCheckFlags {
  guest: string;
  strategy?: string;
  workload?: string[];
  seed?: string;
  json?: boolean;
}

/**
 * `l2bench kernel check --guest 6.1`: prints the report; the exit code is 0 on agreement, 1 on a
 * divergence or a guest that failed, 2 for bad input or a lab that is not ready, 130 interrupted.
 */
export async function kernelGuestCheckCommand(flags: GuestCheckFlags): Promise<number> {
  if (!(GUEST_KERNELS as readonly string[]).includes(flags.guest)) {
    throw new InputError(`--guest ${flags.guest}: the guest lab runs Linux ${GUEST_KERNELS.join(', ')} only`);
  }
  const seed = flags.seed === undefined ? undefined : Number(flags.seed);
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0)) {
    throw new InputError(`--seed ${flags.seed}: expected a whole number`);
  }
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result: GuestCheckResult;
  let lock = null as HeldLock | null;
  try {
    result = await runGuestCheck({
      // The live check's lock, once the inputs are checked: one check that drives a kernel at a time on this machine.
      beforeWork: async () => {
        const wait = process.env.L2BENCH_LOCK_WAIT_MS;
        lock = wait ? await takeCacheLockWaiting(Number(wait) || 0) : takeCacheLockNow();
      },
      onBoot: (events) =>
        process.stderr.write(`l2bench: kernel check: booting the Linux ${flags.guest} guest for ${events} events\n`),
      workloads: flags.workload ?? [],
      strategies: (flags.strategy ?? 'all').split(',').map((s) => s.trim()),
      ...(seed !== undefined ? { seed } : {}),
      signal: abort.signal,
    });
  } catch (e) {
    if (e instanceof GuestRefusal || e instanceof CacheBusyError) throw new InputError(`kernel check: ${e.message}`);
    if (e instanceof LabError) {
      process.stderr.write(`l2bench: kernel check: ${e.message}\n`);
      return e.exitCode === 2 ? 2 : e.exitCode;
    }
    if (e instanceof GuestProtocolError) {
      process.stderr.write(`l2bench: kernel check: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    lock?.release();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  process.stdout.write(flags.json ? `${JSON.stringify(guestJson(result), null, 2)}\n` : guestText(result));
  return result.firstDivergence ? 1 : 0;
}

function guestJson(r: GuestCheckResult) {
  return {
    agreement: r.firstDivergence === null,
    guest: r.guest,
    models: { kernel: '6.1', cpus: r.guest.cpus },
    events_checked: r.eventsChecked,
    first_divergence: r.firstDivergence,
    workloads: r.results.map((w) => ({
      workload: w.workload,
      events: w.events,
      strategies: w.strategies.map((s) => ({
        strategy: s.strategy,
        matches: s.matches,
        compared: s.compared,
        first_divergence: s.firstDivergence,
      })),
    })),
    wall_seconds: Number(r.wallSeconds.toFixed(1)),
  };
}

function guestText(r: GuestCheckResult): string {
  const out = [
    `guest Linux ${r.guest.release} (Debian ${r.guest.version}), ${r.guest.cpus} vCPUs, the kernel's own allocators through kernel/guest-module; models: --kernel 6.1 on ${r.guest.cpus} CPUs`,
    'compared after every event: pages held and the offset within the container (slab-dma32: slabs, partial, cpu_slabs, slabs_cpu_partial instead of offsets, its freelists being shuffled; page-frag: also the page refcount)',
  ];
  for (const w of r.results) {
    out.push(
      `${w.workload}: ${w.events} events; ${w.strategies.map((s) => `${s.strategy} ${s.matches}`).join(', ')} agree`,
    );
  }
  const d = r.firstDivergence;
  if (d) {
    out.push(
      `first divergence in ${d.workload}: ${d.strategy} after event ${d.event} (${d.kind} of table ${d.id} on CPU ${d.cpu}); differs: ${d.fields.join(', ')}`,
      `  ${''.padEnd(18)}${'kernel'.padEnd(12)}model`,
      ...Object.keys(d.kernel).map(
        (f) =>
          `  ${f.padEnd(18)}${String(d.kernel[f]).padEnd(12)}${d.model[f]}${d.kernel[f] !== d.model[f] ? '   <' : ''}`,
      ),
    );
  } else {
    const checked = Object.entries(r.eventsChecked).map(([s, n]) => `${s} ${n}`);
    out.push(`agreement: every event agrees (${checked.join(', ')}); ${r.wallSeconds.toFixed(0)} s`);
  }
  return `${out.join('\n')}\n`;
}
