import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { runOk } from './host.ts';
import { INIT_SCRIPT } from './init.ts';
import { ModuleTree } from './modules.ts';
import { GUEST_KERNEL } from './packages.ts';

/** Drivers every boot has: the exchange share (virtio_pci, 9p) and the four DMA devices. */
export const BASE_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'virtio_blk', 'virtio_net', 'nvme', 'e1000e'];

/** A file to put into the guest's initramfs: from a host file, or given as text. */
export interface GuestFile {
  /** Absolute path in the guest. */
  readonly path: string;
  readonly from?: string;
  readonly text?: string;
  /** Mode bits (default 0o644; 0o755 for a script). */
  readonly mode?: number;
}

/** The module tree of the unpacked kernel. */
function moduleTree(kernelDir: string): ModuleTree {
  return new ModuleTree(join(kernelDir, 'lib', 'modules', GUEST_KERNEL.release));
}

/** A staging folder written as a newc cpio archive (what the kernel unpacks as its initramfs), atomically. */
async function writeCpio(stage: string, out: string, signal?: AbortSignal): Promise<void> {
  const temp = `${out}.${process.pid}.tmp`;
  try {
    await runOk(
      'cpio',
      'sh',
      ['-c', 'find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible > "$1"', 'sh', temp],
      { cwd: stage, signal },
    );
    renameSync(temp, out);
  } finally {
    rmSync(temp, { force: true });
  }
}

function put(stage: string, f: GuestFile): void {
  if (!f.path.startsWith('/') || f.path.split('/').includes('..'))
    throw new Error(`guest file ${f.path}: not an absolute path inside the guest`);
  const dest = join(stage, f.path);
  mkdirSync(dirname(dest), { recursive: true });
  if (f.from !== undefined) copyFileSync(f.from, dest);
  else writeFileSync(dest, f.text ?? '');
  chmodSync(dest, f.mode ?? 0o644);
}

/** Module files (paths under lib/modules/RELEASE) as guest files. */
function moduleFiles(kernelDir: string, files: readonly string[]): GuestFile[] {
  const rel = join('lib', 'modules', GUEST_KERNEL.release);
  return files.map((f) => ({ path: `/${rel}/${f}`, from: join(kernelDir, rel, f) }));
}

/**
 * The initramfs every boot starts from: static busybox, the base modules and what they need, and
 * modules.dep (so busybox modprobe loads dependencies). /init comes with each boot's overlay, so a
 * newer l2bench never boots an older /init.
 */
export async function buildBaseInitramfs(
  kernelDir: string,
  busybox: string,
  out: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const stage = mkdtempSync(join(dirname(out), '.stage-'));
  try {
    for (const d of ['proc', 'sys', 'dev', 'tmp', 'lab', 'root', 'etc']) mkdirSync(join(stage, d));
    put(stage, { path: '/bin/busybox', from: busybox, mode: 0o755 });
    const files = moduleTree(kernelDir).closure(BASE_MODULES);
    for (const f of moduleFiles(kernelDir, files)) put(stage, f);
    const rel = join('lib', 'modules', GUEST_KERNEL.release);
    for (const m of ['modules.dep', 'modules.alias', 'modules.builtin', 'modules.order'])
      put(stage, { path: `/${rel}/${m}`, from: join(kernelDir, rel, m) });
    await writeCpio(stage, out, signal);
    return files;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/**
 * A boot's initramfs: the base archive followed by an overlay archive of this boot's files, its
 * script and its extra modules (the kernel unpacks concatenated archives in order, later files
 * over earlier ones).
 */
export async function buildBootInitramfs(o: {
  base: string;
  kernelDir: string;
  runDir: string;
  files: readonly GuestFile[];
  modules: readonly string[];
  signal?: AbortSignal | undefined;
}): Promise<string> {
  const stage = join(o.runDir, 'overlay');
  mkdirSync(stage);
  const moduleList = o.modules.length ? moduleTree(o.kernelDir).closure(o.modules) : [];
  const init: GuestFile = { path: '/init', text: INIT_SCRIPT, mode: 0o755 };
  for (const f of [init, ...o.files, ...moduleFiles(o.kernelDir, moduleList)]) put(stage, f);
  const overlay = join(o.runDir, 'overlay.cpio');
  await writeCpio(stage, overlay, o.signal);
  const out = join(o.runDir, 'initramfs.cpio');
  copyFileSync(o.base, out);
  appendFileSync(out, readFileSync(overlay));
  return out;
}
