import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { z } from 'zod';
import { builtOnce } from '../core/built-once.ts';
import { packageFile } from '../core/package-file.ts';
import type { FullRecord } from '../core/record.ts';
import { parseSpec, specName } from '../core/spec.ts';
import { zod } from '../core/zod.ts';
import { ResultsError } from './errors.ts';

/**
 * The modelled kernel cost of a cell: its exact operation counts (allocations, frees, the
 * strategy's work counters, page-allocator calls by order) times a per-unit cost table
 * (results/costs/default.yaml, every value with its source), per event. Deterministic for a seed
 * and a table; a model, not a measurement.
 */

/** A cost table's shape: results.json keeps the table a run used, and readers check it with this. */
function costTableObject() {
  const z = zod();
  const unitShape = z.strictObject({
    ns: z.number().nonnegative(),
    low: z.number().nonnegative(),
    high: z.number().nonnegative(),
    /** The CPU the figure was measured on ('none (estimate)' for an estimate); absent in older tables. */
    measured_on: z.string().min(3).optional(),
    source: z.string().min(8, 'every cost must say where it comes from'),
    /** The figure with `cpus` CPUs allocating at once, where a source measured it. */
    contended: z
      .strictObject({
        cpus: z.number().int().positive(),
        ns: z.number().nonnegative(),
        source: z.string().min(8, 'every cost must say where it comes from'),
      })
      .optional(),
  });

  /** Units paid, each so many times: the cache maintenance of one page-table operation. */
  const countsShape = z.record(z.string(), z.number().int().nonnegative());

  /**
   * The cache maintenance io-pgtable-arm-v7s pays for a table walker that is not DMA-coherent, per
   * operation; the same for every strategy (absent in tables older than it).
   */
  const walkerShape = z.strictObject({
    table_alloc: countsShape,
    table_free: countsShape,
    page_map: countsShape,
    page_unmap: countsShape,
  });

  const unitList = z.array(z.string().min(1));
  const ordersShape = z.record(z.string().regex(/^\d+$/), z.string().min(1));

  const strategyShape = z.strictObject({
    alloc: unitList,
    free: unitList,
    counters: z.record(z.string(), unitList).optional(),
    pages: z.strictObject({ alloc: unitList, free: unitList }).optional(),
  });

  return z.strictObject({
    units: z.record(z.string(), unitShape),
    page_allocator: z.strictObject({ alloc: ordersShape, free: ordersShape }),
    strategies: z.record(z.string(), strategyShape),
    walker: walkerShape.optional(),
  });
}

/** Built at first use: a run reads the compiled table, and checks a table only when it parses one. */
export const costTableShape = builtOnce(costTableObject);

export type CostTable = z.infer<ReturnType<typeof costTableShape>>;

/** A cost table as a run records it: where it came from and its hash. */
export interface CostsProvenance {
  file: string;
  sha256: string;
}

const DEFAULT_FILE = 'results/costs/default.yaml';

/**
 * The shipped table as the build compiled it (scripts/build.js), beside this module in dist/: the
 * YAML's sha256 and the table it parses to, checked. A run reads it instead of parsing the YAML (the
 * yaml parser's loading and the schema pass were the largest part of a run's plan); the YAML stays
 * the file users read and edit, and a compiled table that is not of its text is not used.
 */
const COMPILED_FILE = new URL('./costs/default.json', import.meta.url);

/** The yaml parser, loaded when a YAML table is parsed, not with a run's modules (25 ms). */
const yaml = () => createRequire(import.meta.url)('yaml') as typeof import('yaml');

function parseTable(text: string, file: string, shape: z.ZodType): unknown {
  let data: unknown;
  try {
    data = yaml().parse(text);
  } catch (e) {
    throw new ResultsError(`${file}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const parsed = shape.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ResultsError(`${file}: ${issue?.path.join('.') || '(top level)'}: ${issue?.message}`);
  }
  return parsed.data;
}

/** Every unit a table names must be defined. */
function checkReferences(table: CostTable, file: string): void {
  const need = (unit: string, where: string) => {
    if (!table.units[unit]) throw new ResultsError(`${file}: ${where}: no unit '${unit}' in units`);
  };
  for (const [kind, orders] of Object.entries(table.page_allocator)) {
    for (const [order, unit] of Object.entries(orders)) need(unit, `page_allocator.${kind}.${order}`);
  }
  for (const [name, s] of Object.entries(table.strategies)) {
    try {
      parseEntryKey(name);
    } catch (e) {
      throw new ResultsError(`${file}: strategies.${name}: ${(e as Error).message}`);
    }
    for (const u of s.alloc) need(u, `strategies.${name}.alloc`);
    for (const u of s.free) need(u, `strategies.${name}.free`);
    for (const [c, units] of Object.entries(s.counters ?? {}))
      for (const u of units) need(u, `strategies.${name}.counters.${c}`);
    for (const u of [...(s.pages?.alloc ?? []), ...(s.pages?.free ?? [])]) need(u, `strategies.${name}.pages`);
  }
  for (const [op, counts] of Object.entries(table.walker ?? {}))
    for (const u of Object.keys(counts)) need(u, `walker.${op}`);
}

/**
 * The cost table: the shipped defaults, with `overrides` (a file in the same format) replacing the
 * units, orders and strategies it names. Refused with one line naming the file and field. The
 * defaults come from `compiled` (the build's, COMPILED_FILE) when it is of the shipped YAML.
 */
export function loadCosts(
  overrides?: string,
  compiled: URL | string = COMPILED_FILE,
): { table: CostTable; provenance: CostsProvenance } {
  const defaultText = readFileSync(packageFile(DEFAULT_FILE), 'utf8');
  const table = compiledTable(compiled, sha256Of(defaultText)) ?? parseDefault(defaultText);
  const hash = createHash('sha256').update(defaultText);
  if (overrides !== undefined) {
    let text: string;
    try {
      text = readFileSync(overrides, 'utf8');
    } catch (e) {
      throw new ResultsError(
        `${overrides}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
    hash.update(text);
    const extra = parseTable(text, overrides, costTableShape().partial()) as Partial<CostTable>;
    Object.assign(table.units, extra.units ?? {});
    Object.assign(table.page_allocator.alloc, extra.page_allocator?.alloc ?? {});
    Object.assign(table.page_allocator.free, extra.page_allocator?.free ?? {});
    Object.assign(table.strategies, extra.strategies ?? {});
    if (extra.walker) table.walker = extra.walker;
  }
  checkReferences(table, overrides ?? DEFAULT_FILE);
  return { table, provenance: { file: overrides ?? 'default', sha256: hash.digest('hex') } };
}

const sha256Of = (text: string) => createHash('sha256').update(text).digest('hex');

const parseDefault = (text: string) => parseTable(text, DEFAULT_FILE, costTableShape()) as CostTable;

/** The compiled table (COMPILED_FILE) when it is of the YAML whose sha256 is given; undefined otherwise or when absent. */
function compiledTable(file: URL | string, sha256: string): CostTable | undefined {
  try {
    const compiled = JSON.parse(readFileSync(file, 'utf8')) as { sha256?: unknown; table?: CostTable };
    return compiled.sha256 === sha256 ? compiled.table : undefined;
  } catch {
    // None (a run from the sources, an install without a build) or unreadable: the YAML is parsed.
    return undefined;
  }
}

/** The shipped table compiled for COMPILED_FILE: its YAML's sha256 and the table parsed and checked, as JSON. */
export function compileDefaultCosts(): string {
  const text = readFileSync(packageFile(DEFAULT_FILE), 'utf8');
  const table = parseDefault(text);
  checkReferences(table, DEFAULT_FILE);
  return `${JSON.stringify({ sha256: sha256Of(text), table })}\n`;
}

/**
 * A `strategies` key: `name`, `name:key=value,…`, either with `@KERNEL` (`dma-pool@6.18`,
 * `dma-pool:coherent_pool=0@6.18`) for an entry that applies to that kernel's records only.
 */
function parseEntryKey(key: string): { name: string; params: Readonly<Record<string, string>>; kernel: string | null } {
  const at = key.lastIndexOf('@');
  const kernel = at < 0 ? null : key.slice(at + 1);
  return { ...parseSpec(at < 0 ? key : key.slice(0, at), 'cost-table entry'), kernel };
}

type ParsedEntry = ReturnType<typeof parseEntryKey> & { entry: CostTable['strategies'][string] };

/** Each table's entries with their keys parsed, once: a report costs every record, 10^6 in a large run. */
const parsedCache = new WeakMap<CostTable, readonly ParsedEntry[]>();

function parsedEntries(table: CostTable): readonly ParsedEntry[] {
  let parsed = parsedCache.get(table);
  if (!parsed) {
    parsed = Object.entries(table.strategies).map(([key, entry]) => ({ ...parseEntryKey(key), entry }));
    parsedCache.set(table, parsed);
  }
  return parsed;
}

/**
 * The table's entry for a record's strategy: among the entries whose name is the strategy's, whose
 * parameters all match the record's and whose kernel (if any) is the record's, the one naming the
 * most parameters; at equal parameters, one for the record's kernel before one for every kernel.
 * A v5.1 record never matches an `@6.18` entry, so kernel entries leave v5.1 costs as they are.
 */
function entryFor(r: FullRecord, table: CostTable): CostTable['strategies'][string] | undefined {
  const base = specName(r.strategy);
  const params = r.detail.strategy_params ?? {};
  let best: { entry: CostTable['strategies'][string]; specificity: number } | undefined;
  for (const { name, params: wanted, kernel, entry } of parsedEntries(table)) {
    if (name !== base || (kernel !== null && kernel !== r.kernel)) continue;
    const matches = Object.entries(wanted).every(([k, v]) => String(params[k]) === v);
    const specificity = 2 * Object.keys(wanted).length + (kernel === null ? 0 : 1);
    if (matches && (!best || specificity > best.specificity)) best = { entry, specificity };
  }
  return best?.entry;
}

/** The unit of a page-allocator call of this order: its own, or the next larger order listed. */
function orderUnit(orders: Record<string, string>, order: number): string | undefined {
  const listed = Object.keys(orders)
    .map(Number)
    .filter((o) => o >= order)
    .sort((a, b) => a - b);
  return listed[0] === undefined ? undefined : orders[String(listed[0])];
}

/** How much each unit is scaled (sensitivity); 1 when absent. */
export type UnitScale = Readonly<Record<string, number>>;

/**
 * Each unit's count in a cell: how many times the cell paid it. Null when the table has no entry for
 * the strategy (a user's strategy without a mapping), or a counter or page order it cannot cost.
 */
export function unitCounts(r: FullRecord, table: CostTable): Map<string, number> | null {
  // The sensitivity analysis costs every record under many scales: count its units once per table,
  // for as many records as COUNTS_KEPT; past them the counts kept are dropped and counted anew, so
  // that a run of 10^6 cells does not keep a map for each.
  let kept = countsCache.get(table);
  if (!kept || kept.size >= COUNTS_KEPT) {
    kept = { byRecord: new WeakMap(), size: 0 };
    countsCache.set(table, kept);
  }
  let counts = kept.byRecord.get(r);
  if (counts === undefined) {
    counts = countUnits(r, table);
    kept.byRecord.set(r, counts);
    kept.size++;
  }
  return counts;
}

/** The most records whose unit counts are kept per table: more than an ordinary run has, some 25 MB. */
const COUNTS_KEPT = 1 << 17;

/** Unit counts already worked out, by table and record (a record's counters never change once measured). */
const countsCache = new WeakMap<
  CostTable,
  { byRecord: WeakMap<FullRecord, Map<string, number> | null>; size: number }
>();

function countUnits(r: FullRecord, table: CostTable): Map<string, number> | null {
  const entry = entryFor(r, table);
  if (!entry) return null;
  const counts = new Map<string, number>();
  const pay = (units: readonly string[], n: number) => {
    if (n === 0) return;
    for (const u of units) counts.set(u, (counts.get(u) ?? 0) + n);
  };
  pay(entry.alloc, r.allocs);
  pay(entry.free, r.frees - r.skipped_frees);
  for (const [counter, n] of Object.entries(r.detail.work)) {
    // A failed page allocation costs an attempt, as the allocation would have.
    const page = /^page_(allocs|alloc_failures|frees)_order(\d+)$/.exec(counter);
    if (page) {
      const alloc = page[1] !== 'frees';
      const own = alloc ? entry.pages?.alloc : entry.pages?.free;
      if (own) pay(own, n);
      else {
        const unit = orderUnit(alloc ? table.page_allocator.alloc : table.page_allocator.free, Number(page[2]));
        if (unit === undefined) return null;
        pay([unit], n);
      }
    } else if (entry.counters?.[counter]) {
      pay(entry.counters[counter], n);
    }
    // Other counters (failures, reuses) cost nothing beyond the calls they are part of.
  }
  return counts;
}

/** Modelled kernel nanoseconds per event of a cell, or null when it cannot be costed. */
export function kernelNsPerOp(r: FullRecord, table: CostTable, scale: UnitScale = {}): number | null {
  const counts = unitCounts(r, table);
  if (counts === null || r.events === 0) return counts === null ? null : 0;
  let ns = 0;
  for (const [unit, n] of counts) ns += n * (table.units[unit]?.ns ?? 0) * (scale[unit] ?? 1);
  return ns / r.events;
}

/** The ns of one walker operation (walker.table_alloc…): its units times their counts. */
export function walkerOpNs(counts: Readonly<Record<string, number>>, table: CostTable, scale: UnitScale = {}): number {
  let ns = 0;
  for (const [unit, n] of Object.entries(counts)) ns += n * (table.units[unit]?.ns ?? 0) * (scale[unit] ?? 1);
  return ns;
}

/**
 * The cache maintenance of a table walker that is not DMA-coherent, in ns per event of a cell: each
 * table created (a failed allocation creates none) and each freed. The same for every strategy; null
 * when the table has no walker costs.
 */
export function walkerNsPerOp(r: FullRecord, table: CostTable, scale: UnitScale = {}): number | null {
  if (!table.walker) return null;
  if (r.events === 0) return 0;
  const created = r.allocs - r.alloc_failures;
  const freed = r.frees - r.skipped_frees;
  return (
    (created * walkerOpNs(table.walker.table_alloc, table, scale) +
      freed * walkerOpNs(table.walker.table_free, table, scale)) /
    r.events
  );
}

/** The scale that prices contention: each unit a source measured with CPUs allocating at once, at that figure. */
export function contendedScale(table: CostTable): { scale: UnitScale; cpus: number[] } {
  const scale: Record<string, number> = {};
  const cpus = new Set<number>();
  for (const [name, u] of Object.entries(table.units)) {
    if (!u.contended || u.ns === 0) continue;
    scale[name] = u.contended.ns / u.ns;
    cpus.add(u.contended.cpus);
  }
  return { scale, cpus: [...cpus].sort((a, b) => a - b) };
}
