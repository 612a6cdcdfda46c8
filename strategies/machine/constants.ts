/** The buddy allocator's limits (Linux v5.1 arm64, 4 KiB pages); the page and table sizes are in core/sizes.ts. */

/** MAX_ORDER 11: buddy orders 0..10, the largest block is 4 MiB. */
export const MAX_ORDER = 11;

/** Human-readable physical address, as the kernel prints it. */
export function hex(addr: number): string {
  return `0x${addr.toString(16).padStart(9, '0')}`;
}

/**
 * IS_ALIGNED(x, a) for a power of two `a` ≤ 2^31: exactly `x % a === 0` for any finite x, without a
 * float modulo (a call to C's fmod on addresses above 2^31) or a division: an integer's remainder
 * modulo a divisor of 2^32 is its low 32 bits' (ToUint32 takes them exactly, at any magnitude).
 */
export function isAligned(x: number, a: number): boolean {
  return Math.floor(x) === x && ((x >>> 0) & (a - 1)) === 0;
}
