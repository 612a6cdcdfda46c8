import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from './errors.ts';
import { which } from './host.ts';
import { BASE_MODULES } from './initramfs.ts';
import { candidateVersion, GUEST_KERNEL, HOST_PACKAGES, haveApt, installedVersion } from './packages.ts';
import { labDir, labFiles } from './paths.ts';
import { type LabState, readLabState } from './state.ts';

/** One thing the lab needs, and whether it is there. */
interface LabItem {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface LabInfo {
  readonly dir: string;
  /** Everything a boot needs is there: QEMU, the kernel, the initramfs. */
  readonly ready: boolean;
  /** Out-of-tree modules can be built for the guest (the kernel's headers, make, gcc). */
  readonly modulesReady: boolean;
  /** What is missing, one line each. */
  readonly problems: string[];
  readonly items: LabItem[];
  readonly state: LabState | undefined;
}

/** The headers' build folder on the host (linux-headers-RELEASE installs it). */
export const headersDir = () => `/usr/src/linux-headers-${GUEST_KERNEL.release}`;

/** What is ready and what is missing, without changing anything. */
export function labInfo(dir = labDir()): LabInfo {
  const files = labFiles(dir);
  const items: LabItem[] = [];
  const bootNeeds: string[] = [];
  const add = (name: string, ok: boolean, detail: string, forBoot = true) => {
    items.push({ name, ok, detail });
    if (!ok && forBoot) bootNeeds.push(name);
  };
  const apt = haveApt();
  add('apt', apt, apt ? "Debian's apt and dpkg" : 'no apt-get or dpkg-query: the lab needs a Debian host', false);
  for (const p of HOST_PACKAGES) {
    const version = installedVersion(p.package);
    const path = which(p.command);
    add(
      p.package,
      path !== undefined,
      path
        ? `${version ? `${version}, ` : ''}${path}: ${p.why}`
        : `${p.command} not found: ${p.why} (l2bench lab prepare installs ${p.package})`,
      p.package !== 'qemu-utils',
    );
  }
  let state: LabState | undefined;
  let stateProblem: string | undefined;
  try {
    state = readLabState(dir);
  } catch (e) {
    stateProblem = (e as Error).message;
  }
  const k = state?.kernel;
  const vmlinuz = join(files.kernel, 'boot', `vmlinuz-${GUEST_KERNEL.release}`);
  const depFile = join(files.kernel, 'lib', 'modules', GUEST_KERNEL.release, 'modules.dep');
  const kernelOk = k !== undefined && existsSync(vmlinuz) && existsSync(depFile) && existsSync(join(files.debs, k.deb));
  add(
    'kernel',
    kernelOk,
    kernelOk && k
      ? `${k.package} ${k.version} (sha256 ${k.deb_sha256.slice(0, 16)}…)${
          k.version === k.expected_version ? '' : `, not the pinned ${k.expected_version}: the mirror served another`
        }, unpacked in ${files.kernel}`
      : (stateProblem ??
          `${GUEST_KERNEL.package} not downloaded and unpacked (l2bench lab prepare fetches it with apt-get download)`),
  );
  const cpioOk =
    state !== undefined &&
    existsSync(files.initramfs) &&
    statSync(files.initramfs).size === state.initramfs.bytes &&
    state.initramfs.base_modules.join() === BASE_MODULES.join();
  add(
    'initramfs',
    cpioOk,
    cpioOk && state
      ? `${files.initramfs} (${(state.initramfs.bytes / 1e6).toFixed(1)} MB, busybox and ${state.initramfs.modules.length} modules)`
      : state !== undefined && state.initramfs.base_modules.join() !== BASE_MODULES.join()
        ? 'the base initramfs was built by another l2bench, for other modules (l2bench lab prepare rebuilds it)'
        : 'the base initramfs is not built (l2bench lab prepare builds it)',
  );
  const headers = installedVersion(GUEST_KERNEL.headers);
  const toolchain = ['make', 'gcc'].filter((c) => which(c) === undefined);
  const headersOk = headers !== undefined && existsSync(join(headersDir(), 'Makefile')) && toolchain.length === 0;
  add(
    'headers',
    headersOk,
    headersOk
      ? `${GUEST_KERNEL.headers} ${headers}: out-of-tree modules build with make -C ${headersDir()} M=DIR modules`
      : headers === undefined
        ? `${GUEST_KERNEL.headers} not installed: needed only to build modules for the guest (l2bench lab prepare installs it)`
        : `${toolchain.join(' and ')} not found: needed to build modules for the guest`,
    false,
  );
  if (!kernelOk && apt) {
    const served = candidateVersion(GUEST_KERNEL.package);
    items.push({
      name: 'mirror',
      ok: served !== undefined,
      detail:
        served === undefined
          ? `apt-cache knows no ${GUEST_KERNEL.package} (prepare runs apt-get update first; the mirror may no longer serve it)`
          : `serves ${GUEST_KERNEL.package} ${served}${served === GUEST_KERNEL.version ? ' (the pinned version)' : `, not the pinned ${GUEST_KERNEL.version}`}`,
    });
  }
  const problems = items.filter((i) => !i.ok).map((i) => `${i.name}: ${i.detail}`);
  return {
    dir,
    ready: bootNeeds.length === 0,
    modulesReady: headersOk,
    problems,
    items,
    state,
  };
}

/** A prepared lab, ready to boot. */
export interface Lab {
  readonly dir: string;
  readonly state: LabState;
  readonly qemu: string;
  readonly vmlinuz: string;
  readonly kernelDir: string;
  readonly initramfs: string;
  readonly runs: string;
}

/** The prepared lab, or one line saying what is missing (exit 1). */
export function loadLab(dir = labDir()): Lab {
  const info = labInfo(dir);
  if (!info.ready || !info.state) {
    const missing = info.items.filter(
      (i) => !i.ok && i.name !== 'headers' && i.name !== 'qemu-utils' && i.name !== 'mirror',
    );
    throw new LabError(
      `the guest lab is not ready (${missing.map((i) => i.name).join(', ')} missing: ${missing[0]?.detail ?? 'see l2bench lab info'}); run l2bench lab prepare as root`,
    );
  }
  const files = labFiles(dir);
  return {
    dir,
    state: info.state,
    qemu: which('qemu-system-x86_64') as string,
    vmlinuz: join(files.kernel, 'boot', `vmlinuz-${GUEST_KERNEL.release}`),
    kernelDir: files.kernel,
    initramfs: files.initramfs,
    runs: files.runs,
  };
}
