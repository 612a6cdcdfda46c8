import { cellId } from '../core/cell-key.ts';
import { type FullRecord, recordShape } from '../core/record.ts';
import { ResultsError } from './errors.ts';
import { type MissingCell, missingShape, type RunHeader, type RunSummary } from './run-schema.ts';
import { NO_MISSING } from './run-source.ts';

/** `records[3].strategy` from a zod issue path, under `prefix`. */
export function fieldPath(path: readonly PropertyKey[], prefix = ''): string {
  return `${prefix}${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`.replace(
    /^\./,
    '',
  );
}

/**
 * Cells seen: by plan position, the index each was first read at (4 bytes a cell of the plan, in a
 * growing array); a cell without a position (an older run, a cell built by hand), by its key.
 */
class SeenCells {
  #first = new Int32Array(1024);
  readonly #keys = new Map<string, number>();

  /** The index a cell was first seen at, or −1 if never; `mark` records it at `index`. */
  seen(position: number | undefined, key: () => string, index?: number): number {
    if (position === undefined || position < 0) {
      const k = key();
      const before = this.#keys.get(k);
      if (before === undefined && index !== undefined) this.#keys.set(k, index);
      return before ?? -1;
    }
    if (position >= this.#first.length) {
      if (index === undefined) return -1;
      const grown = new Int32Array(Math.max(this.#first.length * 2, position + 1));
      grown.set(this.#first);
      this.#first = grown;
    }
    const before = (this.#first[position] as number) - 1;
    if (before < 0 && index !== undefined) this.#first[position] = index + 1;
    return before;
  }
}

const describeCell = (c: Pick<FullRecord, 'workload' | 'strategy' | 'cpus' | 'kernel' | 'seed'>) =>
  `${c.workload} ${c.strategy} (cpus=${c.cpus}, kernel=${c.kernel}, seed=${c.seed})`;

/**
 * Everything a results file says, checked against itself as it is read, one record at a time:
 * each record and missing cell against the schema and its own figures (a final or mean footprint
 * above the peak, more failed allocations than allocations), no cell twice, no cell both measured
 * and missing, and at the end the counts against `cells`, `complete` and the shard the run was.
 * The first contradiction is thrown, one line naming the file and the field.
 */
export class RunChecks {
  readonly #file: string;
  readonly #records = new SeenCells();
  readonly #missing = new SeenCells();
  /** The plan and shard the run says it is part of, once its provenance is read. */
  #plan: { cells: number; index: number; count: number } | null = null;
  #count = 0;
  /** Missing cells of a schema that names them (l2bench-run/2). */
  readonly #byReason = NO_MISSING();
  /** Missing cells that have no record: not run, or failed before their exact metrics. */
  #unmeasured = 0;

  constructor(file: string) {
    this.#file = file;
  }

  /** The run's provenance, read before its records: the plan its cells are positions of. */
  provenance(p: RunHeader['provenance']): void {
    if (!p.plan) return;
    const shard = p.plan.shard ?? { index: 1, count: 1 };
    if (!(shard.index >= 1 && shard.index <= shard.count))
      this.fail('provenance.plan.shard', `shard ${shard.index} of ${shard.count}`);
    this.#plan = { cells: p.plan.cells, ...shard };
  }

  fail(field: string, problem: string): never {
    throw new ResultsError(`${this.#file}: invalid l2bench run: ${field}: ${problem}`);
  }

  /** A record as read: checked, and returned with the schema's defaults (an older run's kernel). */
  record(index: number, data: unknown): FullRecord {
    const parsed = recordShape().safeParse(data);
    if (!parsed.success) this.#zod(parsed.error.issues[0], `records[${index}]`);
    const r = parsed.data as FullRecord;
    const field = (k: string) => `records[${index}].${k}`;
    if (r.mean_footprint_bytes > r.peak_footprint_bytes)
      this.fail(
        field('mean_footprint_bytes'),
        `${r.mean_footprint_bytes} is above peak_footprint_bytes ${r.peak_footprint_bytes}`,
      );
    if (r.final_footprint_bytes > r.peak_footprint_bytes)
      this.fail(
        field('final_footprint_bytes'),
        `${r.final_footprint_bytes} is above peak_footprint_bytes ${r.peak_footprint_bytes}`,
      );
    if (r.alloc_failures > r.allocs)
      this.fail(field('alloc_failures'), `${r.alloc_failures} failed allocations of ${r.allocs}`);
    const position = r.detail.cell;
    const plan = this.#plan;
    if (plan && position !== undefined && position >= 0) {
      if (position >= plan.cells || position % plan.count !== plan.index - 1)
        this.fail(
          field('detail.cell'),
          `${position} is not a cell of shard ${plan.index}/${plan.count} of ${plan.cells}`,
        );
    }
    const again = this.#records.seen(position, () => cellId(r), index);
    if (again >= 0) this.fail(`records[${index}]`, `the cell ${describeCell(r)} again (also records[${again}])`);
    this.#count++;
    return r;
  }

  /** A missing cell as read (l2bench-run/2), checked. */
  missing(index: number, data: unknown): MissingCell {
    const parsed = missingShape().safeParse(data);
    if (!parsed.success) this.#zod(parsed.error.issues[0], `missing[${index}]`);
    const m = parsed.data as MissingCell;
    const again = this.#missing.seen(m.cell, () => cellId(m), index);
    if (again >= 0) this.fail(`missing[${index}]`, `the cell ${describeCell(m)} again (also missing[${again}])`);
    const hasRecord =
      m.reason === 'not timed' || ((m.reason === 'failed' || m.reason === 'timeout') && m.step === 'throughput');
    // Records are read first: a cell missing for want of a record cannot have one (a cell named by
    // its position: an older run's missing cells name none).
    const measured = m.cell === undefined ? (hasRecord ? 0 : -1) : this.#records.seen(m.cell, () => '');
    if (hasRecord !== measured >= 0) {
      const why = hasRecord ? 'but it has no record' : `but it has one (records[${measured}])`;
      this.fail(
        `missing[${index}]`,
        `the cell ${describeCell(m)} is ${m.reason}${m.step ? ` at ${m.step}` : ''}, ${why}`,
      );
    }
    if (!hasRecord) this.#unmeasured++;
    this.#byReason[m.reason]++;
    return m;
  }

  #zod(issue: { path: readonly PropertyKey[]; message: string } | undefined, under: string): never {
    return this.fail(issue ? fieldPath(issue.path, under) : under, issue?.message ?? 'invalid');
  }

  /** The counts against the header, once every record and missing cell is read. */
  finish(header: RunHeader, namesMissing: boolean): RunSummary {
    const { cells, complete, interrupted } = header;
    const missing = this.#byReason;
    const all = missing.failed + missing.timeout + missing['not run'] + missing['not timed'];
    if (this.#count > cells) this.fail('cells', `${cells}, but the file holds ${this.#count} records`);
    if (complete && interrupted) this.fail('complete', 'true, but the run was interrupted');
    if (complete && this.#count !== cells)
      this.fail('complete', `true, but ${this.#count} of ${cells} cells have records`);
    if (complete && all > 0) this.fail('complete', `true, but ${all === 1 ? '1 cell is' : `${all} cells are`} missing`);
    if (namesMissing && this.#count + this.#unmeasured !== cells) {
      const without = `${this.#unmeasured} cell${this.#unmeasured === 1 ? '' : 's'} missing without one`;
      this.fail('cells', `${cells}, but ${this.#count} records and ${without} make ${this.#count + this.#unmeasured}`);
    }
    this.#checkShard(header.cells);
    return { records: this.#count, missing: { ...missing } };
  }

  /** The cells of a shard (or of a whole plan) against the plan it names: cells i with i mod count = index − 1. */
  #checkShard(cells: number): void {
    const plan = this.#plan;
    if (!plan) return;
    const share = Math.max(0, Math.ceil((plan.cells - (plan.index - 1)) / plan.count));
    if (cells !== share) {
      const which = plan.count === 1 ? 'its plan' : `shard ${plan.index}/${plan.count} of its plan`;
      this.fail('cells', `${cells}, but ${which} (provenance.plan: ${plan.cells} cells) has ${share}`);
    }
  }
}
