import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from './errors.ts';
import { sha256File } from './hash.ts';
import { runOk, which } from './host.ts';
import { BASE_MODULES, buildBaseInitramfs } from './initramfs.ts';
import { candidateVersion, GUEST_KERNEL, HOST_PACKAGES, haveApt, installedVersion } from './packages.ts';
import { labDir, labFiles } from './paths.ts';
import { type LabState, readLabState, writeLabState } from './state.ts';

export interface PrepareOptions {
  readonly dir?: string;
  readonly signal?: AbortSignal;
  /** Progress, a line per step. */
  readonly onStep?: (line: string) => void;
}

export interface PrepareResult {
  readonly state: LabState;
  /** What differs from what l2bench pins (another kernel version served by the mirror). */
  readonly notes: string[];
  /** Steps skipped because the lab already had them. */
  readonly reused: string[];
}

const APT_ENV = { DEBIAN_FRONTEND: 'noninteractive' };

type LabFiles = ReturnType<typeof labFiles>;

/**
 * One prepare's steps, with what they share: progress lines, the seconds each took, the notes and
 * what was reused, and apt-get update run at most once, when a step first needs it.
 */
class Preparation {
  readonly seconds: Record<string, number> = {};
  readonly notes: string[] = [];
  readonly reused: string[] = [];
  readonly step: (line: string) => void;
  #updated = false;

  constructor(
    readonly files: LabFiles,
    readonly signal: AbortSignal | undefined,
    onStep: ((line: string) => void) | undefined,
  ) {
    this.step = onStep ?? (() => undefined);
  }

  /** Runs f, recording how long it took under `name` (failed or not). */
  async timed<T>(name: string, f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      this.seconds[name] = Math.round(performance.now() - t0) / 1000;
    }
  }

  /** apt-get update, the first time a step needs the package lists. */
  async update(): Promise<void> {
    if (this.#updated) return;
    this.#updated = true;
    this.step('apt-get update (the package lists)');
    await this.timed('apt_update', () =>
      runOk('apt-get update', 'apt-get', ['-q', 'update'], { env: APT_ENV, signal: this.signal }),
    );
  }

  /** 1. Host packages, and the headers for out-of-tree modules. */
  async hostPackages(wanted: readonly string[]): Promise<void> {
    const missing = wanted.filter((p) => installedVersion(p) === undefined);
    if (!missing.length) {
      this.reused.push('host packages');
      return;
    }
    if (process.getuid?.() !== 0)
      throw new LabError(
        `installing ${missing.join(', ')} needs root (apt-get install): run l2bench lab prepare as root`,
      );
    if (missing.some((p) => candidateVersion(p) === undefined)) await this.update();
    const unknown = missing.filter((p) => candidateVersion(p) === undefined);
    if (unknown.length)
      throw new LabError(`the package mirror does not serve ${unknown.join(', ')} (apt-cache policy: no candidate)`);
    this.step(`apt-get install --no-install-recommends ${missing.join(' ')}`);
    await this.timed('apt_install', () =>
      runOk('apt-get install', 'apt-get', ['-q', '-y', 'install', '--no-install-recommends', ...missing], {
        env: APT_ENV,
        signal: this.signal,
      }),
    );
  }

  /** 2. The guest kernel package: downloaded once, kept with its sha256 (reused when the file still has it). */
  async guestKernel(previous: LabState | undefined): Promise<LabState['kernel']> {
    const kernel = previous?.kernel;
    const debPath = kernel ? join(this.files.debs, kernel.deb) : '';
    if (
      kernel &&
      existsSync(debPath) &&
      (await this.timed('deb_check', async () => sha256File(debPath))) === kernel.deb_sha256
    ) {
      this.reused.push(`${kernel.package} ${kernel.version}`);
      return kernel;
    }
    return await this.timed('download', () =>
      download(this.files.debs, () => this.update(), this.step, this.notes, this.signal),
    );
  }

  /** 3. Unpacked, with modules.dep (Debian's package has none: depmod runs when it is installed). */
  async unpack(kernel: LabState['kernel'], busybox: string): Promise<void> {
    const files = this.files;
    const unpackedFor = join(files.kernel, '.deb-sha256');
    const unpacked =
      existsSync(unpackedFor) && statSync(files.kernel).isDirectory() && readText(unpackedFor) === kernel.deb_sha256;
    if (unpacked) {
      this.reused.push('unpacked kernel');
      return;
    }
    this.step(`dpkg-deb -x ${kernel.deb} (about 400 MB) and busybox depmod`);
    await this.timed('unpack', () => this.#unpackInto(kernel, busybox));
  }

  /** Unpack and depmod in a temporary folder, renamed over the old one only when both worked. */
  async #unpackInto(kernel: LabState['kernel'], busybox: string): Promise<void> {
    const files = this.files;
    const temp = `${files.kernel}.${process.pid}.tmp`;
    rmSync(temp, { recursive: true, force: true });
    try {
      await runOk('dpkg-deb -x', 'dpkg-deb', ['-x', join(files.debs, kernel.deb), temp], { signal: this.signal });
      await runOk('depmod', busybox, ['depmod', '-b', temp, GUEST_KERNEL.release], { signal: this.signal });
      writeFileSync(join(temp, '.deb-sha256'), kernel.deb_sha256);
      rmSync(files.kernel, { recursive: true, force: true });
      renameSync(temp, files.kernel);
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  }

  /** 4. The base initramfs: the modules it holds. */
  async initramfs(busybox: string): Promise<string[]> {
    this.step(`initramfs: busybox and ${BASE_MODULES.join(', ')} with their dependencies`);
    const files = this.files;
    return await this.timed('initramfs', () => buildBaseInitramfs(files.kernel, busybox, files.initramfs, this.signal));
  }

  /** What lab.json records: the kernel, the initramfs, the host packages' versions, the seconds. */
  labState(kernel: LabState['kernel'], modules: LabState['initramfs']['modules'], wanted: readonly string[]): LabState {
    return {
      l2bench_lab: 1,
      prepared: new Date().toISOString(),
      kernel,
      initramfs: {
        sha256: sha256File(this.files.initramfs),
        bytes: statSync(this.files.initramfs).size,
        base_modules: BASE_MODULES,
        modules,
      },
      host_packages: Object.fromEntries(wanted.map((p) => [p, installedVersion(p) ?? 'not installed'])),
      seconds: this.seconds,
    };
  }
}

/**
 * Prepare the guest lab, or bring it up to date, reusing what is there: install the host packages
 * and the guest kernel's headers (apt-get --no-install-recommends), download the guest kernel
 * package (apt-get download; never installed), check its version against the pinned one and record
 * its sha256, unpack it (dpkg-deb -x) and write its modules.dep (busybox depmod), build the base
 * initramfs, and record all of it in lab.json. Each step writes to a temporary name and renames,
 * so an interrupted prepare leaves the lab as it was. Failures are LabErrors (one line).
 */
export async function prepareLab(o: PrepareOptions = {}): Promise<PrepareResult> {
  const dir = o.dir ?? labDir();
  const files = labFiles(dir);
  const p = new Preparation(files, o.signal, o.onStep);
  if (!haveApt()) throw new LabError("the guest lab needs Debian's apt-get and dpkg, and this host has neither");
  mkdirSync(files.debs, { recursive: true });
  const wanted = [...HOST_PACKAGES.map((h) => h.package), GUEST_KERNEL.headers];
  await p.hostPackages(wanted);
  const busybox = which('busybox');
  if (!busybox) throw new LabError('busybox is installed but not on PATH');
  const kernel = await p.guestKernel(safeState(dir));
  await p.unpack(kernel, busybox);
  const modules = await p.initramfs(busybox);
  const state = p.labState(kernel, modules, wanted);
  writeLabState(dir, state);
  return { state, notes: p.notes, reused: p.reused };
}

function safeState(dir: string): LabState | undefined {
  try {
    return readLabState(dir);
  } catch {
    return undefined;
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * apt-get download the guest kernel into debs/ (through a temporary folder), check what came, and
 * note when the mirror served another version than the pinned one.
 */
async function download(
  debs: string,
  update: () => Promise<void>,
  step: (line: string) => void,
  notes: string[],
  signal: AbortSignal | undefined,
): Promise<LabState['kernel']> {
  const pkg = GUEST_KERNEL.package;
  let served = candidateVersion(pkg);
  if (served === undefined) {
    await update();
    served = candidateVersion(pkg);
  }
  if (served === undefined)
    throw new LabError(
      `the package mirror no longer serves ${pkg} (apt-cache policy: no candidate after apt-get update); l2bench's lab is pinned to ${GUEST_KERNEL.version}`,
    );
  if (served !== GUEST_KERNEL.version)
    notes.push(
      `the mirror serves ${pkg} ${served}, not ${GUEST_KERNEL.version} (the version l2bench pins and its shipped captures were made with): the lab uses ${served} and every capture records it`,
    );
  step(`apt-get download ${pkg}=${served} (about 70 MB)`);
  const temp = join(debs, `.download-${process.pid}`);
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp);
  try {
    // As root apt drops to the _apt user, which cannot write here: download as the caller.
    const sandbox = process.getuid?.() === 0 ? ['-o', 'APT::Sandbox::User=root'] : [];
    await runOk(`apt-get download ${pkg}`, 'apt-get', ['-q', ...sandbox, 'download', `${pkg}=${served}`], {
      cwd: temp,
      signal,
    });
    const got = readdirSync(temp).filter((f) => f.endsWith('.deb'));
    if (got.length !== 1) throw new LabError(`apt-get download ${pkg} left ${got.length} .deb files, not 1`);
    const file = got[0] as string;
    const fields = await runOk('dpkg-deb -f', 'dpkg-deb', ['-f', join(temp, file), 'Package', 'Version']);
    const pkgField = /^Package: (\S+)/m.exec(fields.stdout)?.[1];
    const version = /^Version: (\S+)/m.exec(fields.stdout)?.[1];
    if (pkgField !== pkg || version !== served)
      throw new LabError(`${file}: holds ${pkgField} ${version}, not ${pkg} ${served}`);
    const sha256 = sha256File(join(temp, file));
    for (const old of readdirSync(debs)) if (old.endsWith('.deb')) rmSync(join(debs, old));
    renameSync(join(temp, file), join(debs, file));
    return {
      package: pkg,
      version,
      expected_version: GUEST_KERNEL.version,
      release: GUEST_KERNEL.release,
      deb: file,
      deb_sha256: sha256,
      deb_bytes: statSync(join(debs, file)).size,
    };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
