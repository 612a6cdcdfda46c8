import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Where the lab lives: `$L2BENCH_LAB_DIR`, else `$XDG_CACHE_HOME/l2bench/lab`, else
 * `~/.cache/l2bench/lab`. Never inside the repository: it holds a 70 MB kernel package and its
 * 400 MB unpacked tree.
 */
export function labDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.L2BENCH_LAB_DIR) return resolve(env.L2BENCH_LAB_DIR);
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'l2bench', 'lab');
}

/** The files of a prepared lab, under its folder. */
export function labFiles(dir: string) {
  return {
    dir,
    /** What prepare recorded (versions, sha256), written last: its presence means prepared. */
    state: join(dir, 'lab.json'),
    /** The downloaded kernel package. */
    debs: join(dir, 'debs'),
    /** The kernel package unpacked (boot/vmlinuz-…, lib/modules/…), with modules.dep made by depmod. */
    kernel: join(dir, 'kernel'),
    /** The initramfs every boot starts from: busybox, the device and share drivers, the lab's /init. */
    initramfs: join(dir, 'base.cpio'),
    /** One folder per boot (initramfs overlay, exchange share, console log), removed when it stops. */
    runs: join(dir, 'runs'),
  };
}
