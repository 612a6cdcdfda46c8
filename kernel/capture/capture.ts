import { existsSync, mkdirSync, renameSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { type CaptureManifest, MANIFEST } from '../../workloads/iommu/manifest.ts';
import { LabError, LabInterrupted, labInput } from '../lab/errors.ts';
import { bootGuest } from '../lab/guest.ts';
import { type Lab, loadLab } from '../lab/info.ts';
import { removeStale } from '../lab/stale.ts';
import { type CaptureSource, captureManifest, qemuVersion, traceHeader } from './describe.ts';
import { readGuestFacts } from './guest-facts.ts';
import { captureScript, GUEST_OUTPUT } from './guest-script.ts';
import { writeFailure } from './gzip-lines.ts';
import { type SplitResult, splitCapture } from './split.ts';
import { CAPTURE_WORKLOADS, type CaptureWorkload, captureWorkload } from './workloads.ts';

export interface CaptureOptions {
  readonly workload: string;
  /** Lazy invalidation (iommu.strict=0) instead of strict. */
  readonly lazy?: boolean;
  readonly vcpus?: 1 | 2;
  /** The folder to write; it must not exist (its parent must). */
  readonly out: string;
  /** Keep the guest's own trace (probe hits included) as guest-raw.trace.gz. */
  readonly keepRaw?: boolean;
  /** Stop a guest that has not finished after this many seconds (default 600). */
  readonly timeoutSeconds?: number;
  readonly signal?: AbortSignal | undefined;
  readonly onConsole?: ((line: string) => void) | undefined;
  readonly lab?: Lab;
}

export interface CaptureResult {
  readonly dir: string;
  readonly manifest: CaptureManifest;
  /** Wall seconds: the boot (QEMU started to powered off) and the host's split. */
  readonly bootSeconds: number;
  readonly splitSeconds: number;
}

const MEMORY_MIB = 1536;

/** The options checked, in the order a bad one is named: workload, vCPUs, --out and its parent. */
function checkOptions(o: CaptureOptions): { w: CaptureWorkload; vcpus: 1 | 2; out: string; parent: string } {
  const w = captureWorkload(o.workload);
  if (!w) throw labInput(`workload ${o.workload}: unknown (known: ${CAPTURE_WORKLOADS.map((x) => x.name).join(', ')})`);
  const vcpus = o.vcpus ?? 1;
  if (vcpus !== 1 && vcpus !== 2) throw labInput(`vcpus ${vcpus}: the lab boots 1 or 2 vCPUs`);
  const out = resolve(o.out);
  if (existsSync(out)) throw labInput(`${o.out}: exists (capture never overwrites)`);
  const parent = dirname(out);
  if (!existsSync(parent) || !statSync(parent).isDirectory()) throw labInput(`${o.out}: no folder ${parent}`);
  return { w, vcpus, out, parent };
}

/** Boot the guest with the capture script; a script that failed is named by its last FAILED line. */
async function bootCapture(o: CaptureOptions, lab: Lab, script: string, share: string, vcpus: 1 | 2) {
  const boot = await bootGuest({
    lab,
    script,
    share,
    vcpus,
    strict: !o.lazy,
    memoryMiB: MEMORY_MIB,
    timeoutSeconds: o.timeoutSeconds ?? 600,
    signal: o.signal,
    onConsole: o.onConsole,
  });
  if (boot.status !== 0) {
    const why = boot.console
      .split('\n')
      .filter((l) => l.startsWith('l2bench-capture: FAILED'))
      .pop();
    throw new LabError(`the capture failed in the guest (exit ${boot.status})${why ? `: ${why.slice(24)}` : ''}`);
  }
  return boot;
}

/** Split the guest's trace into the stage, each file headed by where it came from; a failed write names its file. */
function splitGuestTrace(o: CaptureOptions, w: CaptureWorkload, lab: Lab, share: string, stage: string, vcpus: 1 | 2) {
  const rawFile = join(share, GUEST_OUTPUT.trace);
  if (!existsSync(rawFile)) throw new LabError('the guest wrote no trace');
  const facts = readGuestFacts(share);
  const qemu = qemuVersion(lab.qemu);
  const invalidation = o.lazy ? 'lazy' : 'strict';
  const source: CaptureSource = {
    workload: w,
    kernel: lab.state.kernel,
    qemu: qemu.short,
    vcpus,
    invalidation,
    lost: facts.ring.lost,
  };
  let split: SplitResult;
  try {
    split = splitCapture({
      raw: rawFile,
      outDir: stage,
      devices: facts.devices,
      vcpus,
      header: (what) => traceHeader(source, what),
      keepRaw: o.keepRaw ?? false,
    });
  } catch (e) {
    if (e instanceof LabError || !(e instanceof Error && 'code' in e)) throw e;
    throw writeFailure(stage, e);
  }
  return { split, facts, qemu };
}

function writeManifest(stage: string, manifest: CaptureManifest): void {
  try {
    writeFileSync(join(stage, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  } catch (e) {
    throw writeFailure(join(stage, MANIFEST), e);
  }
}

/** A guest that could not write the trace, or a write here that failed: say when the disk is why. */
function diskFullOr(e: unknown, parent: string, out: string): unknown {
  if (!(e instanceof LabInterrupted) && nearlyFull(parent))
    return new LabError(
      `no space left on the device holding ${out}: the capture kept nothing (${(e as Error).message})`,
    );
  return e;
}

/**
 * Capture a workload's IOMMU mappings in the guest: boot it with the capture script, then split
 * what it recorded into one trace per device, a shared-domain trace and (when any) the events no
 * probe named, gzip, with a manifest giving every version, command line, count and sha256. All of
 * it is written in a temporary folder beside --out, renamed into place at the end: an interrupted,
 * hung or failed capture (a full disk too) leaves nothing but its one-line error, and no QEMU.
 */
export async function capture(o: CaptureOptions): Promise<CaptureResult> {
  const { w, vcpus, out, parent } = checkOptions(o);
  const lab = o.lab ?? loadLab();
  const stage = join(parent, `.${basename(out)}.${process.pid}.tmp`);
  removeStale(parent, new RegExp(`^\\.${basename(out).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)\\.tmp$`));
  rmSync(stage, { recursive: true, force: true });
  try {
    const share = join(stage, 'guest');
    mkdirSync(share, { recursive: true });
    const script = captureScript(w);
    const boot = await bootCapture(o, lab, script, share, vcpus);
    const t0 = performance.now();
    const { split, facts, qemu } = splitGuestTrace(o, w, lab, share, stage, vcpus);
    rmSync(share, { recursive: true, force: true });
    const manifest = captureManifest({
      workload: w,
      script,
      vcpus,
      lazy: Boolean(o.lazy),
      lab,
      boot,
      share,
      qemu: qemu.line,
      facts,
      split,
      memoryMiB: MEMORY_MIB,
    });
    writeManifest(stage, manifest);
    renameSync(stage, out);
    return { dir: out, manifest, bootSeconds: boot.wallSeconds, splitSeconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    throw diskFullOr(e, parent, o.out);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** Whether the file system holding dir has less than 4 MiB left for us. */
function nearlyFull(dir: string): boolean {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize < 4 << 20;
  } catch {
    return false;
  }
}
