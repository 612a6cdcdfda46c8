import { query } from './host.ts';

/**
 * The guest kernel: Debian 12's Linux 6.1 image, downloaded and unpacked, never installed on the
 * host. Debian's mirror serves only the current version of a package, so the version the shipped
 * corpus was captured with is pinned here and what was used is recorded with its sha256.
 */
export const GUEST_KERNEL = {
  package: 'linux-image-6.1.0-57-amd64',
  version: '6.1.192-3',
  /** uname -r, the folder under lib/modules. */
  release: '6.1.0-57-amd64',
  /** For out-of-tree modules: installed on the host (apt-get), it provides /usr/src/linux-headers-RELEASE. */
  headers: 'linux-headers-6.1.0-57-amd64',
} as const;

/** Host packages, installed with apt-get --no-install-recommends, and the command each provides. */
export const HOST_PACKAGES = [
  { package: 'qemu-system-x86', command: 'qemu-system-x86_64', why: 'the emulator (TCG, q35, VT-d)' },
  { package: 'busybox-static', command: 'busybox', why: "the guest's userland and depmod" },
  { package: 'cpio', command: 'cpio', why: 'the initramfs' },
  {
    package: 'qemu-utils',
    command: 'qemu-img',
    why: 'qemu-img, for disk images (the lab itself uses QEMU null-co disks)',
  },
] as const;

/** dpkg-query's output format, in its own field syntax. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's fields, not a template
const DPKG_FORMAT = '${db:Status-Status} ${Version}';

/** The installed version of a Debian package, or undefined when it is not installed. */
export function installedVersion(pkg: string): string | undefined {
  const r = query('dpkg-query', ['-W', `-f=${DPKG_FORMAT}`, pkg]);
  if (r?.code !== 0) return undefined;
  const [status, version] = r.stdout.trim().split(' ');
  return status === 'installed' && version ? version : undefined;
}

/** The version apt would fetch (apt-cache policy's Candidate), or undefined when the mirror has none. */
export function candidateVersion(pkg: string): string | undefined {
  const r = query('apt-cache', ['policy', pkg]);
  if (r?.code !== 0) return undefined;
  const m = /^\s*Candidate:\s*(\S+)/m.exec(r.stdout);
  return m && m[1] !== '(none)' ? m[1] : undefined;
}

/** Whether apt and dpkg are here at all (a Debian-like host). */
export function haveApt(): boolean {
  return query('apt-get', ['--version']) !== undefined && query('dpkg-query', ['--version']) !== undefined;
}
