/** Sizes every floor speaks of: the simulated arm64 machine's 4 KiB pages and the v7s L2 table. */
export const PAGE_SIZE = 4096;
export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
/** An io-pgtable-arm-v7s L2 table: 256 entries of 4 bytes, 1 KiB-aligned (ARM_V7S_TABLE_SHIFT 10). */
export const TABLE_SIZE = 1024;
/** The L1 entry stores bits [31:10] of the L2 table's address: tables must lie below this. */
export const DMA32_LIMIT = 4 * GiB;
/** One L2 table per L1 entry: 4096 at most per page table. */
export const MAX_TABLES_PER_PGTABLE = 4096;
