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

type LabFiles = ReturnType<typeof labFiles>;

function aptItem(apt: boolean): LabItem {
  return {
    name: 'apt',
    ok: apt,
    detail: apt ? "Debian's apt and dpkg" : 'no apt-get or dpkg-query: the lab needs a Debian host',
  };
}

/** A host package: found by the command it provides, with its installed version when dpkg knows it. */
function hostPackageItem(p: (typeof HOST_PACKAGES)[number]): LabItem {
  const version = installedVersion(p.package);
  const path = which(p.command);
  return {
    name: p.package,
    ok: path !== undefined,
    detail: path
      ? `${version ? `${version}, ` : ''}${path}: ${p.why}`
      : `${p.command} not found: ${p.why} (l2bench lab prepare installs ${p.package})`,
  };
}

/** What prepare recorded, or why it cannot be read. */
function tryReadState(dir: string): { state: LabState | undefined; problem: string | undefined } {
  try {
    return { state: readLabState(dir), problem: undefined };
  } catch (e) {
    return { state: undefined, problem: (e as Error).message };
  }
}

/** The guest kernel: downloaded, unpacked, with modules.dep. */
function kernelItem(files: LabFiles, state: LabState | undefined, stateProblem: string | undefined): LabItem {
  const k = state?.kernel;
  const vmlinuz = join(files.kernel, 'boot', `vmlinuz-${GUEST_KERNEL.release}`);
  const depFile = join(files.kernel, 'lib', 'modules', GUEST_KERNEL.release, 'modules.dep');
  const ok = k !== undefined && existsSync(vmlinuz) && existsSync(depFile) && existsSync(join(files.debs, k.deb));
  return {
    name: 'kernel',
    ok,
    detail:
      ok && k
        ? `${k.package} ${k.version} (sha256 ${k.deb_sha256.slice(0, 16)}…)${
            k.version === k.expected_version ? '' : `, not the pinned ${k.expected_version}: the mirror served another`
          }, unpacked in ${files.kernel}`
        : (stateProblem ??
          `${GUEST_KERNEL.package} not downloaded and unpacked (l2bench lab prepare fetches it with apt-get download)`),
  };
}

/** The base initramfs: there, of the recorded size, built for this l2bench's modules. */
function initramfsItem(files: LabFiles, state: LabState | undefined): LabItem {
  const ok =
    state !== undefined &&
    existsSync(files.initramfs) &&
    statSync(files.initramfs).size === state.initramfs.bytes &&
    state.initramfs.base_modules.join() === BASE_MODULES.join();
  return {
    name: 'initramfs',
    ok,
    detail:
      ok && state
        ? `${files.initramfs} (${(state.initramfs.bytes / 1e6).toFixed(1)} MB, busybox and ${state.initramfs.modules.length} modules)`
        : state !== undefined && state.initramfs.base_modules.join() !== BASE_MODULES.join()
          ? 'the base initramfs was built by another l2bench, for other modules (l2bench lab prepare rebuilds it)'
          : 'the base initramfs is not built (l2bench lab prepare builds it)',
  };
}

/** The guest kernel's headers and a toolchain, for out-of-tree modules. */
function headersItem(): LabItem {
  const headers = installedVersion(GUEST_KERNEL.headers);
  const toolchain = ['make', 'gcc'].filter((c) => which(c) === undefined);
  const ok = headers !== undefined && existsSync(join(headersDir(), 'Makefile')) && toolchain.length === 0;
  return {
    name: 'headers',
    ok,
    detail: ok
      ? `${GUEST_KERNEL.headers} ${headers}: out-of-tree modules build with make -C ${headersDir()} M=DIR modules`
      : headers === undefined
        ? `${GUEST_KERNEL.headers} not installed: needed only to build modules for the guest (l2bench lab prepare installs it)`
        : `${toolchain.join(' and ')} not found: needed to build modules for the guest`,
  };
}

/** Which version of the guest kernel the mirror serves (asked only when the kernel is missing). */
function mirrorItem(): LabItem {
  const served = candidateVersion(GUEST_KERNEL.package);
  return {
    name: 'mirror',
    ok: served !== undefined,
    detail:
      served === undefined
        ? `apt-cache knows no ${GUEST_KERNEL.package} (prepare runs apt-get update first; the mirror may no longer serve it)`
        : `serves ${GUEST_KERNEL.package} ${served}${served === GUEST_KERNEL.version ? ' (the pinned version)' : `, not the pinned ${GUEST_KERNEL.version}`}`,
  };
}

/** What is ready and what is missing, without changing anything. */
export function labInfo(dir = labDir()): LabInfo {
  const files = labFiles(dir);
  const items: LabItem[] = [];
  const bootNeeds: string[] = [];
  const add = (item: LabItem, forBoot = true) => {
    items.push(item);
    if (!item.ok && forBoot) bootNeeds.push(item.name);
  };
  const apt = haveApt();
  add(aptItem(apt), false);
  for (const p of HOST_PACKAGES) add(hostPackageItem(p), p.package !== 'qemu-utils');
  const { state, problem } = tryReadState(dir);
  const kernel = kernelItem(files, state, problem);
  add(kernel);
  add(initramfsItem(files, state));
  const headers = headersItem();
  add(headers, false);
  if (!kernel.ok && apt) items.push(mirrorItem());
  const problems = items.filter((i) => !i.ok).map((i) => `${i.name}: ${i.detail}`);
  return {
    dir,
    ready: bootNeeds.length === 0,
    modulesReady: headers.ok,
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
