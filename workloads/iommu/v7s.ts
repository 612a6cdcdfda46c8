/**
 * io-pgtable-arm-v7s (v5.1) for one domain, as far as L2 tables go, with the IOMMU core's page
 * size choice on top. Page sizes 4K, 64K (16 L2 entries), 1M sections and 16M supersections (16 L1
 * entries). An L2 table is allocated when a 4K or 64K mapping lands in an empty L1 slot, or when
 * part of a section is unmapped (arm_v7s_split_blk_unmap); it is freed when a 1M/16M unmap
 * reaches its L1 slot, when a section is mapped over it, or at teardown; never because it became
 * empty. Table events go to the sink; the page table itself holds only what decides them.
 */

export const SZ_4K = 0x1000;
export const SZ_64K = 0x10000;
export const SZ_1M = 0x100000;
export const SZ_16M = 0x1000000;
/** pgsize_bitmap after v7s masks it: 4K | 64K | 1M | 16M. */
const PGSIZES = [SZ_16M, SZ_1M, SZ_64K, SZ_4K];

const L1_ENTRIES = 4096;
const EMPTY = 0;
const TABLE = 1;
const SECTION = 2;
const SUPERSECTION = 3;

/** Where L2-table allocations and frees go (the workload's event writer). */
export interface TableSink {
  allocTable(slot: number): void;
  freeTable(slot: number): void;
}

/** Why a map or unmap could not be done, as the kernel returns it. */
export type PgtableResult = 'ok' | 'EEXIST' | 'EINVAL';

export class V7sPageTable {
  /** What each L1 entry holds. */
  readonly #l1 = new Uint8Array(L1_ENTRIES);
  /** Valid L2 entries of each slot's table: 256 bits as 8 words. */
  readonly #l2 = new Uint32Array(L1_ENTRIES * 8);

  constructor(readonly sink: TableSink) {}

  /** L1 slots that point to an L2 table now. */
  get tables(): number {
    let n = 0;
    for (let i = 0; i < L1_ENTRIES; i++) if (this.#l1[i] === TABLE) n++;
    return n;
  }

  /** What an L1 slot holds: 'empty' | 'table' | 'section' | 'supersection'. */
  slot(index: number): string {
    return ['empty', 'table', 'section', 'supersection'][this.#l1[index] as number] as string;
  }

  /**
   * iommu_map(): step with the largest page size that the remaining size and the alignment of
   * (iova | paddr) allow; on failure, unmap what was mapped.
   */
  iommuMap(iova: number, paddr: number, size: number): PgtableResult {
    let done = 0;
    while (done < size) {
      const pgsize = pickPageSize(iova + done, paddr + done, size - done);
      const r = this.#map(iova + done, pgsize);
      if (r !== 'ok') {
        if (done > 0) this.iommuUnmap(iova, done);
        return r;
      }
      done += pgsize;
    }
    return 'ok';
  }

  /** iommu_unmap(): page sizes by the alignment of the IOVA alone; stops at the first failure. Returns bytes unmapped. */
  iommuUnmap(iova: number, size: number): number {
    let done = 0;
    while (done < size) {
      const pgsize = pickPageSize(iova + done, 0, size - done);
      const n = this.#unmap(iova + done, pgsize);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  /** arm_v7s_free_pgtable(): every L2 table goes. */
  teardown(): void {
    for (let i = 0; i < L1_ENTRIES; i++) {
      if (this.#l1[i] === TABLE) this.#freeTable(i);
      this.#l1[i] = EMPTY;
    }
  }

  /** __arm_v7s_map() for one page of size pgsize. */
  #map(iova: number, pgsize: number): PgtableResult {
    const slot = Math.floor(iova / SZ_1M);
    if (pgsize >= SZ_1M) {
      const n = pgsize / SZ_1M;
      // arm_v7s_init_pte: tables under the new leaf are unmapped (and freed) first.
      for (let i = 0; i < n; i++) {
        const kind = this.#l1[slot + i];
        if (kind === TABLE) this.#unmap((slot + i) * SZ_1M, SZ_1M);
        else if (kind !== EMPTY) return 'EEXIST';
      }
      this.#l1.fill(n > 1 ? SUPERSECTION : SECTION, slot, slot + n);
      return 'ok';
    }
    const kind = this.#l1[slot];
    if (kind === SECTION || kind === SUPERSECTION) return 'EEXIST';
    if (kind === EMPTY) {
      this.#l1[slot] = TABLE;
      this.sink.allocTable(slot);
    }
    const first = (iova & (SZ_1M - 1)) / SZ_4K;
    const n = pgsize / SZ_4K;
    for (let e = first; e < first + n; e++) if (this.#testL2(slot, e)) return 'EEXIST';
    for (let e = first; e < first + n; e++) this.#setL2(slot, e, true);
    return 'ok';
  }

  /** __arm_v7s_unmap() of one page of size pgsize: bytes unmapped, 0 when nothing valid was there. */
  #unmap(iova: number, pgsize: number): number {
    const slot = Math.floor(iova / SZ_1M);
    if (pgsize >= SZ_1M) {
      const n = pgsize / SZ_1M;
      for (let i = 0; i < n; i++) if (this.#l1[slot + i] === EMPTY) return 0;
      // A 1M unmap of one slot of a supersection splits it into sections first (arm_v7s_split_cont).
      if (n === 1 && this.#l1[slot] === SUPERSECTION) this.#splitSupersection(slot);
      for (let i = 0; i < n; i++) {
        if (this.#l1[slot + i] === TABLE) this.#freeTable(slot + i);
        this.#l1[slot + i] = EMPTY;
      }
      return pgsize;
    }
    const kind = this.#l1[slot];
    if (kind === EMPTY) return 0;
    if (kind === SUPERSECTION) this.#splitSupersection(slot);
    if (this.#l1[slot] === SECTION) {
      // arm_v7s_split_blk_unmap: a new table maps the rest of the section.
      this.sink.allocTable(slot);
      this.#l1[slot] = TABLE;
      this.#l2.fill(0xffffffff, slot * 8, slot * 8 + 8);
      const first = (iova & (SZ_1M - 1)) / SZ_4K;
      for (let e = first; e < first + pgsize / SZ_4K; e++) this.#setL2(slot, e, false);
      return pgsize;
    }
    const first = (iova & (SZ_1M - 1)) / SZ_4K;
    const n = pgsize / SZ_4K;
    for (let e = first; e < first + n; e++) if (!this.#testL2(slot, e)) return 0;
    // A table left empty stays: only an L1-level unmap frees it.
    for (let e = first; e < first + n; e++) this.#setL2(slot, e, false);
    return pgsize;
  }

  #splitSupersection(slot: number): void {
    const first = slot - (slot % 16);
    this.#l1.fill(SECTION, first, first + 16);
  }

  #freeTable(slot: number): void {
    this.#l2.fill(0, slot * 8, slot * 8 + 8);
    this.sink.freeTable(slot);
  }

  #testL2(slot: number, entry: number): boolean {
    return ((this.#l2[slot * 8 + (entry >>> 5)] as number) & (1 << (entry & 31))) !== 0;
  }

  #setL2(slot: number, entry: number, valid: boolean): void {
    const w = slot * 8 + (entry >>> 5);
    const bit = 1 << (entry & 31);
    this.#l2[w] = valid ? (this.#l2[w] as number) | bit : (this.#l2[w] as number) & ~bit;
  }
}

/** iommu_pgsize(): the largest supported page size ≤ size and aligned like addrMerge (0: any). */
export function pickPageSize(iova: number, paddr: number, size: number): number {
  for (const pgsize of PGSIZES) {
    // Page sizes are powers of two: masks, not a float fmod of 33-bit addresses (the hot line of the model).
    if (pgsize <= size && (iova & (pgsize - 1)) === 0 && (paddr & (pgsize - 1)) === 0) return pgsize;
  }
  throw new RangeError(`no page size fits iova 0x${iova.toString(16)} size 0x${size.toString(16)}`);
}
