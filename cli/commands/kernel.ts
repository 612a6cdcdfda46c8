import { InputError } from '../../core/errors.ts';
import { CacheBusyError, cacheLockPath } from '../../kernel/live/cache-lock.ts';
import { CheckInterrupted, KernelRefusal, runKernelCheck } from '../../kernel/live/check.ts';
import type { CheckResult, CheckState } from '../../kernel/live/check-types.ts';
import { LibcError } from '../../kernel/live/libc.ts';
import { LiveCacheError } from '../../kernel/live/msg-cache.ts';
import { BUCKETS, type Bucket, type KernelInfo, probeKernel } from '../../kernel/live/probe.ts';

function bucketFlag(text: string | undefined): Bucket {
  const b = (text ?? '1k') as Bucket;
  if (!BUCKETS.includes(b))
    throw new InputError(`--bucket ${text}: not a msg_msg bucket (allowed: ${BUCKETS.join(', ')})`);
  return b;
}

function intFlag(text: string | undefined, what: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
    throw new InputError(`${what} ${text}: expected a whole number from ${min} to ${max}`);
  }
  return Number(text);
}

/** `l2bench kernel info`: text or JSON, and the exit code (0 usable, 1 not). */
export function kernelInfoCommand(flags: { bucket?: string; json?: boolean }): { output: string; exitCode: number } {
  const info = probeKernel(bucketFlag(flags.bucket));
  return {
    output: flags.json ? `${JSON.stringify(infoJson(info), null, 2)}\n` : infoText(info),
    exitCode: info.usable ? 0 : 1,
  };
}

function infoJson(i: KernelInfo) {
  return {
    usable: i.usable,
    problems: i.problems,
    kernel: i.release,
    model: i.model,
    root: i.root,
    cache: i.bucket.cache,
    cache_exists: i.cacheExists,
    message_text_bytes: [i.bucket.minText, i.bucket.maxText],
    geometry: i.geometry && {
      order: i.geometry.order,
      objs_per_slab: i.geometry.objsPerSlab,
      cpu_partial: i.geometry.cpuPartial,
      min_partial: i.geometry.minPartial,
      object_size: i.geometry.objectSize,
      sheaf_capacity: i.geometry.sheafCapacity,
      aliases: i.geometry.aliases,
    },
    objects: i.objects,
    slabs: i.slabs,
    busy_queues: i.busyQueues.map((q) => q.msqid),
    queues: i.queues,
    kfence_sample_interval: i.kfence,
    online_cpus: i.cpus,
    sysv_limits: i.limits,
    lock: cacheLockPath(),
  };
}

function infoText(i: KernelInfo): string {
  const g = i.geometry;
  const mark = (ok: boolean) => (ok ? 'ok ' : 'NO ');
  const plain = '   ';
  const lines = [
    `${mark(i.model !== null)}kernel          ${i.release}: ${i.model ? `the SLUB ${i.model} model applies (6.8–6.18)` : 'no model applies (the 6.18 model covers 6.8–6.18)'}`,
    `${mark(i.root)}root            ${i.root ? 'yes' : 'no: the sysfs slab files are root-only (mode 0400)'}`,
    `${mark(i.cacheExists && (g?.aliases ?? 0) === 0)}cache           ${i.cachePath}: ${
      i.cacheExists
        ? g
          ? `dedicated (CONFIG_SLAB_BUCKETS), aliases ${g.aliases}${g.aliases ? ' (merged)' : ' (unmerged)'}`
          : 'exists (unreadable without root)'
        : 'missing (no CONFIG_SLAB_BUCKETS, or merged)'
    }; messages of ${i.bucket.minText}..${i.bucket.maxText} bytes of text land in it`,
    g
      ? `${plain}geometry        order ${g.order}, objs_per_slab ${g.objsPerSlab}, cpu_partial ${g.cpuPartial}, min_partial ${g.minPartial}, object_size ${g.objectSize}`
      : `${plain}geometry        unknown`,
    g
      ? `${mark(g.sheafCapacity === 0)}sheaf_capacity  ${g.sheafCapacity}${g.sheafCapacity ? ' (sheaves: the 6.18 rules do not hold)' : ''}`
      : `${plain}sheaf_capacity  unknown`,
    `${mark(i.busyQueues.length === 0)}in use          ${
      i.busyQueues.length
        ? `yes: queues ${i.busyQueues.map((q) => q.msqid).join(', ')} may hold messages of that size`
        : `no System V queue holds messages of that size (${i.queues} queue(s) in /proc/sysvipc/msg)`
    }${i.objects !== null ? `; objects ${i.objects}, slabs ${i.slabs}${i.objects && !i.busyQueues.length ? ' (idle CPU slabs; a check shrinks them first)' : ''}` : ''}`,
    `${mark(!(i.kfence && i.kfence > 0))}kfence          ${
      i.kfence === null
        ? 'not built in'
        : i.kfence === 0
          ? 'off (sample_interval 0)'
          : `on (sample_interval ${i.kfence} ms): it can break the match`
    }`,
    `${plain}cpus            ${i.cpus.length} online (${i.cpus.join(', ')})`,
    i.limits
      ? `${plain}sysv limits     msgmnb ${i.limits.msgmnb}, msgmni ${i.limits.msgmni}, msgmax ${i.limits.msgmax}`
      : `${plain}sysv limits     unknown`,
    `${plain}lock            ${cacheLockPath()}`,
    i.usable ? 'usable: yes' : `usable: no: ${i.problems.join('; ')}`,
  ];
  return `${lines.join('\n')}\n`;
}

export interface CheckFlags {
  workload?: string[];
  cpus?: string;
  every?: string;
  shrinkEvery?: string;
  flushEvery?: string;
  bucket?: string;
  out?: string;
  json?: boolean;
  maxEvents?: string;
  seed?: string;
  modelCpuPartial?: string;
}

/**
 * `l2bench kernel check`: prints the report; returns the exit code (0 agreement, 1 divergence, a
 * model that threw or a failed send/receive, 2 bad input or a kernel that cannot serve, 128 + the
 * signal's number when SIGINT, SIGTERM or SIGHUP stopped it, as a run).
 */
export async function kernelCheckCommand(flags: CheckFlags): Promise<number> {
  const bucket = bucketFlag(flags.bucket);
  const every = intFlag(flags.every, '--every', 1, 2 ** 31 - 1);
  const shrinkEvery = intFlag(flags.shrinkEvery, '--shrink-every', 1, 2 ** 31 - 1);
  const flushEvery = intFlag(flags.flushEvery, '--flush-every', 1, 2 ** 31 - 1);
  const cpus = intFlag(flags.cpus, '--cpus', 1, 4096);
  const maxEvents = intFlag(flags.maxEvents, '--max-events', 1, 2 ** 31 - 1);
  const seed = intFlag(flags.seed, '--seed', 0, 2 ** 31 - 1);
  const modelCpuPartial = intFlag(flags.modelCpuPartial, '--model-cpu-partial', 0, 100_000);
  let result: CheckResult;
  try {
    result = await runKernelCheck({
      workloads: flags.workload ?? [],
      bucket,
      // A script may queue up behind another instance: L2BENCH_LOCK_WAIT_MS waits that long for the lock.
      ...(process.env.L2BENCH_LOCK_WAIT_MS
        ? { lock: 'wait' as const, lockTimeoutMs: Number(process.env.L2BENCH_LOCK_WAIT_MS) || 0 }
        : { lock: 'fail' as const }),
      ...(every !== undefined ? { every } : {}),
      ...(shrinkEvery !== undefined ? { shrinkEvery } : {}),
      ...(flushEvery !== undefined ? { flushEvery } : {}),
      ...(cpus !== undefined ? { cpus } : {}),
      ...(maxEvents !== undefined ? { maxEvents } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(modelCpuPartial !== undefined ? { modelCpuPartial } : {}),
      ...(flags.out ? { outDir: flags.out } : {}),
    });
  } catch (e) {
    if (e instanceof KernelRefusal || e instanceof CacheBusyError) throw new InputError(`kernel check: ${e.message}`);
    if (e instanceof LiveCacheError || e instanceof LibcError) {
      // The live cache failed (a send, a receive, a queue): everything was cleaned up already.
      process.stderr.write(`l2bench: kernel check failed: ${e.message}\n`);
      return 1;
    }
    if (e instanceof CheckInterrupted) {
      process.stderr.write(`l2bench: kernel check ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
  for (const note of new Set(result.results.flatMap((w) => w.notices)))
    process.stderr.write(`l2bench: note: ${note}\n`);
  process.stdout.write(flags.json ? `${JSON.stringify(checkJson(result), null, 2)}\n` : checkText(result));
  const failed = result.modelError;
  if (failed) {
    // What was checked before it (a divergence included) is reported above.
    process.stderr.write(
      `l2bench: kernel check: the model threw after event ${failed.event} of ${failed.workload} (${failed.step}): ${failed.message}; the check stopped there\n`,
    );
  }
  return result.firstDivergence || failed ? 1 : 0;
}

function checkJson(r: CheckResult) {
  return {
    agreement: r.firstDivergence === null && r.modelError === null,
    checkpoints: r.checkpoints,
    matches: r.matches,
    first_divergence: r.firstDivergence,
    model_error: r.modelError,
    kernel: r.kernel,
    cache: r.cache,
    geometry: r.geometry,
    online_cpus: r.cpus,
    workload_cpus: r.workloadCpus,
    fold: r.fold,
    message_text_bytes: r.textBytes,
    messages_per_queue: r.perQueue,
    every: r.every,
    workloads: r.results.map((w) => ({
      workload: w.workload,
      events: w.events,
      checkpoints: w.checkpoints,
      matches: w.matches,
      events_per_sec: Math.round(w.eventsPerSec),
      seconds: Number(w.seconds.toFixed(3)),
      peak_slabs: w.peakSlabs,
      final: w.final,
      queues: w.queues,
      truncated: w.truncated,
      shrinks: w.maintenance.shrinks,
      flushes: w.maintenance.flushes,
      maintenance_skipped: w.maintenance.skipped,
      first_divergence: w.firstDivergence,
      model_error: w.modelError,
    })),
    csv: r.csv,
  };
}

function side(s: CheckState): string[] {
  return [
    String(s.slabs),
    String(s.partial),
    String(s.cpu_slabs),
    `${s.slabs_cpu_partial} (${s.by_cpu.map((n, i) => `C${i}=${n}`).join(' ')})`,
    String(s.objects),
    String(s.total_objects),
  ];
}

/** What was compared after: an event, a shrink or flush made after the event, or the last event. */
function stepText(d: { kind: string; id: number; cpu: number; onCpu: number }): string {
  if (d.kind !== 'alloc' && d.kind !== 'free') return d.kind === 'end' ? 'the last event' : `a ${d.kind} after it`;
  return `${d.kind} of table ${d.id} on CPU ${d.cpu}${d.onCpu !== d.cpu ? ` → online CPU ${d.onCpu}` : ''}`;
}

function maintenanceText(m: { shrinks: number; flushes: number; skipped: number }): string {
  const made = [m.shrinks ? `${m.shrinks} shrinks` : '', m.flushes ? `${m.flushes} flushes` : ''].filter(Boolean);
  if (m.skipped) made.push(`${m.skipped} skipped with slabs on several CPUs`);
  return made.length ? `; ${made.join(', ')}` : '';
}

function checkText(r: CheckResult): string {
  const g = r.geometry;
  const out = [
    `kernel ${r.kernel}, ${r.cache}: order ${g.order}, ${g.objsPerSlab} objects per slab, cpu_partial ${g.cpuPartial}, min_partial ${g.minPartial}; ${r.cpus.length} online CPUs; ${r.textBytes}-byte messages, ${r.perQueue} per queue`,
  ];
  if (r.fold) out.push(r.fold);
  for (const w of r.results) {
    out.push(
      `${w.workload}: ${w.events} events, ${w.checkpoints} checkpoints (every ${r.every}${maintenanceText(w.maintenance)}), ${w.matches} match, ${Math.round(w.eventsPerSec)} events/s; peak ${w.peakSlabs.live} slabs (model ${w.peakSlabs.model}), final slabs ${w.final.live.slabs} partial ${w.final.live.partial} cpu_slabs ${w.final.live.cpu_slabs} slabs_cpu_partial ${w.final.live.slabs_cpu_partial}${w.truncated ? ' (cut at --max-events)' : ''}${w.modelError ? ' (stopped: the model threw)' : ''}`,
    );
  }
  const d = r.firstDivergence;
  if (d) {
    const labels = ['slabs', 'partial', 'cpu_slabs', 'slabs_cpu_partial', 'objects', 'total_objects'];
    const live = side(d.live);
    const model = side(d.model);
    const width = Math.max(...live.map((s) => s.length), 4);
    out.push(
      `first divergence in ${d.workload} after event ${d.event} (${stepText(d)}); differs: ${d.fields.join(', ')}`,
      `  ${''.padEnd(18)}${'live'.padEnd(width + 2)}model`,
      ...labels.map(
        (l, i) =>
          `  ${l.padEnd(18)}${(live[i] as string).padEnd(width + 2)}${model[i]}${live[i] !== model[i] ? '   <' : ''}`,
      ),
    );
  } else if (!r.modelError) {
    out.push(`agreement: ${r.matches} of ${r.checkpoints} checkpoints match`);
  }
  if (r.csv) out.push(`checkpoints in ${r.csv}`);
  return `${out.join('\n')}\n`;
}
