import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DEVICES, type DeviceName } from './devices.ts';
import { LabError, LabInterrupted, labInput } from './errors.ts';
import { type Lab, loadLab } from './info.ts';
import { CONSOLE_MARK, GUEST_SCRIPT, STATUS_FILE } from './init.ts';
import { buildBootInitramfs, type GuestFile } from './initramfs.ts';
import { QemuProcess } from './qemu.ts';
import { removeStale } from './stale.ts';

/** What to boot: the API for anything that runs code in the guest (captures, test modules). */
export interface BootOptions {
  /**
   * A busybox sh script the guest runs as root once its file systems and the share are up, in
   * /lab (the share); its exit status is BootResult.status. Device drivers are not loaded yet:
   * `modprobe virtio_blk virtio_net nvme e1000e` loads them (they probe the devices at once).
   */
  readonly script: string;
  /**
   * A host folder the guest sees, read-write, at /lab (9p): files put there before the boot are
   * the guest's input, files the guest writes there are its output. The caller owns it.
   */
  readonly share: string;
  /** Files added to the initramfs (absolute guest paths), e.g. a module built with buildModule(). */
  readonly files?: readonly GuestFile[];
  /** Modules of the guest kernel to add, with their dependencies (the base has the device and share drivers). */
  readonly modules?: readonly string[];
  /** The DMA devices (default: all four), each in its own IOMMU group. */
  readonly devices?: readonly DeviceName[];
  /** 1 or 2 (default 1). */
  readonly vcpus?: 1 | 2;
  /** iommu.strict=1 (default): unmaps invalidate the IOTLB at once; false: lazy (a flush queue). */
  readonly strict?: boolean;
  /** Guest memory in MiB (default 1536). */
  readonly memoryMiB?: number;
  /** More kernel parameters. */
  readonly cmdline?: readonly string[];
  /** Stop the guest after this many seconds of wall time (default 300): a hung guest is an error. */
  readonly timeoutSeconds?: number;
  /** Stop the guest when aborted (the CLI aborts on SIGINT and SIGTERM). */
  readonly signal?: AbortSignal | undefined;
  /** Each line of the serial console, as it comes. */
  readonly onConsole?: ((line: string) => void) | undefined;
  /** QEMU's process id, once it is started. */
  readonly onStart?: ((pid: number) => void) | undefined;
  /** A prepared lab (default: loadLab()). */
  readonly lab?: Lab;
}

export interface BootResult {
  /** The script's exit status. */
  readonly status: number;
  /** The serial console: the kernel's messages (quiet) and the script's output. */
  readonly console: string;
  /** Guest uptime when /init was ready to run the script (guest seconds, emulated). */
  readonly readySeconds: number | undefined;
  readonly wallSeconds: number;
  /** The kernel command line and QEMU's arguments, for a manifest. */
  readonly cmdline: string;
  readonly qemuArgs: readonly string[];
}

const DEFAULT_TIMEOUT = 300;

/** The guest's kernel command line. */
function guestCmdline(strict: boolean, extra: readonly string[] = []): string {
  return [
    'console=ttyS0',
    'quiet',
    'panic=-1',
    // Under TCG on a loaded host the IO-APIC timer check can miss its ticks and panic ("timer doesn't
    // work through Interrupt-remapped IO-APIC"); the check proves nothing about an emulated timer.
    'no_timer_check',
    'intel_iommu=on',
    'iommu.passthrough=0',
    `iommu.strict=${strict ? 1 : 0}`,
    ...extra,
  ].join(' ');
}

/** QEMU's arguments: TCG, q35 with split irqchip, an emulated VT-d with interrupt remapping, the devices, the share. */
function qemuArgs(o: {
  vmlinuz: string;
  initramfs: string;
  cmdline: string;
  share: string;
  vcpus: number;
  memoryMiB: number;
  devices: readonly DeviceName[];
}): string[] {
  return [
    ...['-accel', 'tcg', '-machine', 'q35,kernel-irqchip=split', '-cpu', 'qemu64'],
    ...['-smp', String(o.vcpus), '-m', String(o.memoryMiB)],
    ...['-nodefaults', '-display', 'none', '-no-reboot', '-serial', 'stdio', '-monitor', 'none'],
    ...['-device', 'intel-iommu,intremap=on'],
    ...['-kernel', o.vmlinuz, '-initrd', o.initramfs, '-append', o.cmdline],
    ...DEVICES.filter((d) => o.devices.includes(d.name)).flatMap((d) => d.qemu),
    // No iommu_platform: virtio-9p bypasses the IOMMU, so the share adds no iommu event.
    ...['-virtfs', `local,path=${o.share.replaceAll(',', ',,')},mount_tag=lab,security_model=none,id=lab`],
  ];
}

type QemuEnd = Awaited<ReturnType<QemuProcess['wait']>>;

/** The boot's vCPUs, once they and the share are checked. */
function checkBoot(o: BootOptions): 1 | 2 {
  const vcpus = o.vcpus ?? 1;
  if (vcpus !== 1 && vcpus !== 2) throw labInput(`vcpus ${vcpus}: the lab boots 1 or 2 vCPUs`);
  if (!existsSync(o.share) || !statSync(o.share).isDirectory()) throw labInput(`share ${o.share}: not a folder`);
  return vcpus;
}

/** A fresh folder for this boot's files, under the lab's runs (those of dead processes removed first). */
function makeRunDir(lab: Lab): string {
  mkdirSync(lab.runs, { recursive: true });
  removeStale(lab.runs, /^boot-(\d+)-/);
  return mkdtempSync(join(lab.runs, `boot-${process.pid}-`));
}

/**
 * Run QEMU until it exits, times out or is aborted, and stop it whatever happens; the guest's
 * uptime when /init said it was ready, read from the console as it comes.
 */
async function runQemu(
  qemuBinary: string,
  args: readonly string[],
  consoleLog: string,
  timeout: number,
  o: BootOptions,
): Promise<{ end: QemuEnd; readySeconds: number | undefined }> {
  let readySeconds: number | undefined;
  const qemu = new QemuProcess(qemuBinary, args, {
    consoleLog,
    onConsole: (line) => {
      const ready = line.startsWith(`${CONSOLE_MARK} ready at `)
        ? Number.parseFloat(line.split(' ')[3] ?? '')
        : Number.NaN;
      if (!Number.isNaN(ready)) readySeconds = ready;
      o.onConsole?.(line);
    },
  });
  if (qemu.pid !== undefined) o.onStart?.(qemu.pid);
  let end: QemuEnd;
  try {
    end = await qemu.wait(timeout * 1000, o.signal);
  } finally {
    await qemu.kill();
  }
  return { end, readySeconds };
}

/** An abort, a timeout or a QEMU that failed, as the error that says so. */
function checkEnd(end: QemuEnd, timeout: number, consoleText: string): void {
  const tail = lastLines(consoleText);
  if (end.how === 'aborted') throw new LabInterrupted('the guest');
  if (end.how === 'timeout')
    throw new LabError(
      `the guest did not finish within ${timeout} s (hung?): QEMU was stopped${tail ? `; console: ${tail}` : ''}`,
    );
  if (end.code !== 0) {
    const why = end.stderr
      .trim()
      .split('\n')
      .filter((l) => !/hub \d+ is not connected/.test(l))
      .pop();
    throw new LabError(`QEMU failed (exit ${end.code ?? end.signal})${why ? `: ${why}` : ''}`);
  }
}

/** The script's exit status from the share (the file removed), or why the guest never wrote it. */
function readStatus(share: string, consoleText: string): number {
  const statusFile = join(share, STATUS_FILE);
  if (!existsSync(statusFile)) {
    const crash = /^.*(Kernel panic - not syncing|BUG: |Oops: |general protection fault).*$/m.exec(consoleText)?.[0];
    const tail = lastLines(consoleText);
    throw new LabError(
      crash
        ? `the guest kernel crashed before the script finished: ${crash.trim()}`
        : `the guest powered off before its script finished${tail ? `; console: ${tail}` : ''}`,
    );
  }
  const status = Number(readFileSync(statusFile, 'utf8').trim());
  rmSync(statusFile, { force: true });
  return status;
}

/**
 * Boot the guest, run the script, and stop: resolves once QEMU has exited, with the script's
 * status. QEMU is stopped on every way out: the guest powering off, a timeout (LabError), an abort
 * (LabInterrupted), an exception, the process exiting; QEMU runs under setpriv --pdeathsig, so it
 * dies with this process even when that is killed. The boot's own files (initramfs, console log)
 * are removed at the end.
 */
export async function bootGuest(o: BootOptions): Promise<BootResult> {
  const vcpus = checkBoot(o);
  const lab = o.lab ?? loadLab();
  const timeout = o.timeoutSeconds ?? DEFAULT_TIMEOUT;
  const runDir = makeRunDir(lab);
  const t0 = performance.now();
  try {
    const initramfs = await buildBootInitramfs({
      base: lab.initramfs,
      kernelDir: lab.kernelDir,
      runDir,
      files: [...(o.files ?? []), { path: GUEST_SCRIPT, text: o.script, mode: 0o755 }],
      modules: o.modules ?? [],
      signal: o.signal,
    });
    rmSync(join(o.share, STATUS_FILE), { force: true });
    const cmdline = guestCmdline(o.strict ?? true, o.cmdline);
    const args = qemuArgs({
      vmlinuz: lab.vmlinuz,
      initramfs,
      cmdline,
      share: o.share,
      vcpus,
      memoryMiB: o.memoryMiB ?? 1536,
      devices: o.devices ?? DEVICES.map((d) => d.name),
    });
    const consoleLog = join(runDir, 'console.log');
    const { end, readySeconds } = await runQemu(lab.qemu, args, consoleLog, timeout, o);
    const consoleText = existsSync(consoleLog) ? readFileSync(consoleLog, 'utf8') : '';
    checkEnd(end, timeout, consoleText);
    const status = readStatus(o.share, consoleText);
    return {
      status,
      console: consoleText,
      readySeconds,
      wallSeconds: (performance.now() - t0) / 1000,
      cmdline,
      qemuArgs: args,
    };
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

/** The last few meaningful console lines, joined into one. */
function lastLines(text: string, n = 3): string {
  return text
    .split('\n')
    .map((l) => l.replace(/\r$/, '').trim())
    .filter(Boolean)
    .slice(-n)
    .join(' | ');
}
