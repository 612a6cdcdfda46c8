import { capture } from '../../kernel/capture/capture.ts';
import { CAPTURE_WORKLOADS, captureWorkload } from '../../kernel/capture/workloads.ts';
import { LabError, labInput } from '../../kernel/lab/errors.ts';

export interface CaptureFlags {
  workload?: string;
  invalidation?: string;
  vcpus?: string;
  out?: string;
  keepRaw?: boolean;
  timeout?: string;
  list?: boolean;
  verbose?: boolean;
}

/** `l2bench capture --list`: the workloads. */
function listText(): string {
  const width = Math.max(...CAPTURE_WORKLOADS.map((w) => w.name.length));
  return `${CAPTURE_WORKLOADS.map((w) => `${w.name.padEnd(width)}  ${w.description}`).join('\n')}\n`;
}

/**
 * `l2bench capture`: boot the guest, run a workload, write its per-device and shared-domain traces
 * with their manifest. Ctrl-C or SIGTERM stops QEMU and keeps nothing; refusals are one line, exit
 * 2 for bad input and 1 for the environment.
 */
export async function captureCommand(flags: CaptureFlags): Promise<number> {
  if (flags.list) {
    process.stdout.write(listText());
    return 0;
  }
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (!flags.workload) throw labInput('capture: --workload NAME is required (l2bench capture --list names them)');
    if (!captureWorkload(flags.workload))
      throw labInput(
        `--workload ${flags.workload}: unknown (known: ${CAPTURE_WORKLOADS.map((w) => w.name).join(', ')})`,
      );
    if (!flags.out) throw labInput('capture: --out DIR is required');
    const inv = flags.invalidation ?? 'strict';
    if (inv !== 'strict' && inv !== 'lazy') throw labInput(`--invalidation ${inv}: strict or lazy`);
    const vcpus = flags.vcpus === undefined ? 1 : Number(flags.vcpus);
    if (vcpus !== 1 && vcpus !== 2) throw labInput(`--vcpus ${flags.vcpus}: 1 or 2`);
    const timeout = flags.timeout === undefined ? undefined : Number(flags.timeout);
    if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0))
      throw labInput(`--timeout ${flags.timeout}: a whole number of seconds above 0`);
    process.stderr.write(`l2bench: capture: booting the guest for ${flags.workload} (${inv}, ${vcpus} vCPU)\n`);
    const r = await capture({
      workload: flags.workload,
      lazy: inv === 'lazy',
      vcpus,
      out: flags.out,
      keepRaw: flags.keepRaw ?? false,
      ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
      signal: abort.signal,
      onConsole: (line) => {
        if (flags.verbose || line.startsWith('l2bench-')) process.stderr.write(`  guest: ${line}\n`);
      },
    });
    const m = r.manifest;
    const a = m.attribution;
    const [t0, t1] = m.guest.workload_seconds;
    const lines = [
      ...m.devices.map(
        (d) =>
          `device   ${d.name.padEnd(10)} ${d.pci} ${d.driver.padEnd(10)} ${d.maps} maps, ${d.unmaps} unmaps → ${d.file} (IOVA model: ${d.iova_model_matches} of ${d.iova_allocs} ranges where the guest put them)`,
      ),
      `shared   all devices in one domain: ${m.shared.maps} maps, ${m.shared.unmaps} unmaps → ${m.shared.file}${m.shared.iova_failures || m.shared.events_outside || m.shared.frees_unmatched ? ` (left out: ${m.shared.iova_failures} ranges without IOVA space, ${m.shared.events_outside} events outside any range, ${m.shared.frees_unmatched} frees of ranges not allocated in the capture)` : ''}`,
      `attributed ${a.maps_by_arguments + a.maps_by_group} of ${a.maps} maps (${a.maps_by_arguments} by the probe's arguments, ${a.maps_by_group} as part of a scatterlist), ${a.unmaps_by_arguments} of ${a.unmaps} unmaps; ${a.probe_hits_unused} dma_map/dma_unmap probe hits matched no event; ${a.iova_domains} IOVA domains, ${a.iova_domain_conflicts} allocations against their domain's device`,
      ...(m.unattributed
        ? [`UNATTRIBUTED ${m.unattributed.maps} maps, ${m.unattributed.unmaps} unmaps → ${m.unattributed.file}`]
        : []),
      m.tracing.lost_events > 0
        ? `LOST     ${m.tracing.lost_events} events: the traces are incomplete (the manifest and each trace's header say so)`
        : 'lost     0 events',
      ...(m.tracing.probe_misses > 0
        ? [
            `MISSED   ${m.tracing.probe_misses} probe hits (kprobe_profile: ${Object.entries(
              m.tracing.probe_misses_by_probe,
            )
              .map(([p, n]) => `${p} ${n}`)
              .join(', ')}): events after them may lack their device, and the IOVA model may not follow the guest`,
          ]
        : []),
      `time     workload ${(t1 - t0).toFixed(1)} s of guest time (emulated); boot to power-off ${r.bootSeconds.toFixed(1)} s wall, split ${r.splitSeconds.toFixed(1)} s`,
      `wrote    ${r.dir}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof LabError)) throw e;
    process.stderr.write(`l2bench: capture: ${e.message}\n`);
    return e.exitCode;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
