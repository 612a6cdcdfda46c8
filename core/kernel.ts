/**
 * The Linux versions whose allocator behaviour l2bench models. Adding one here does not compile
 * until every strategy that branches on the kernel, and every per-kernel table of the report, says
 * what it does under it: they `switch` over a KernelVersion with `unknownKernel` as the default, or
 * keep a `Record<KernelVersion, …>`.
 */
export const KERNEL_VERSIONS = ['5.1', '6.1', '6.18'] as const;

export type KernelVersion = (typeof KERNEL_VERSIONS)[number];

/**
 * The kernel of the v5.1 decision: modelled unless asked otherwise, the base the report compares
 * newer kernels against, and the kernel of records written before the kernel axis.
 */
export const DEFAULT_KERNEL: KernelVersion = '5.1';

/** The `default:` of a switch over a KernelVersion: the switch does not compile while it leaves a kernel out. */
export function unknownKernel(kernel: never): never {
  throw new Error(`no model for kernel ${String(kernel)}`);
}

export function isKernelVersion(text: string): text is KernelVersion {
  return (KERNEL_VERSIONS as readonly string[]).includes(text);
}

/** Kernel names in version order, each part compared as a number: 5.1, 6.2, 6.18. */
export function compareKernels(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.localeCompare(b);
}
