/** Sizes of the simulated arm64 machine with 4 KiB pages (Linux v5.1). */
export const PAGE_SIZE = 4096;
/** MAX_ORDER 11: buddy orders 0..10, the largest block is 4 MiB. */
export const MAX_ORDER = 11;
export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
/** An io-pgtable-arm-v7s L2 table: 256 entries of 4 bytes, 1 KiB-aligned (ARM_V7S_TABLE_SHIFT 10). */
export const TABLE_SIZE = 1024;
/** The L1 entry stores bits [31:10] of the L2 table's address: tables must lie below this. */
export const DMA32_LIMIT = 4 * GiB;
/** One L2 table per L1 entry: 4096 at most per page table. */
export const MAX_TABLES_PER_PGTABLE = 4096;

/** Human-readable physical address, as the kernel prints it. */
export function hex(addr: number): string {
  return `0x${addr.toString(16).padStart(9, '0')}`;
}

/**
 * IS_ALIGNED(x, a) for a power-of-two `a`: exactly `x % a === 0` for any finite x, without the
 * float modulo (a call to C's fmod) that `%` compiles to on addresses above 2^31.
 */
export function isAligned(x: number, a: number): boolean {
  return Math.floor(x / a) * a === x;
}
