import type { FullRecord } from '../core/record.ts';
import { ResultsError } from './errors.ts';
import { type MissingCell, RUN_SCHEMA, type RunSource, type RunSummary } from './run-schema.ts';
import { NO_MISSING } from './run-source.ts';

/** A shard as merge reads it: where it is, and the run (read as a stream). */
interface Shard {
  path: string;
  run: RunSource;
}

/** What an incomplete shard lacks, in a few words: its cells, and whether it was stopped, failed or never finished. */
function lacking(run: RunSource): string {
  const { records, missing } = run.summary();
  const failed = missing.failed + missing.timeout;
  const notTimed = missing['not timed'];
  const all = failed + notTimed + missing['not run'];
  const why = [
    run.header.interrupted ? 'interrupted' : '',
    failed ? `${failed} failed` : '',
    !run.header.interrupted && missing['not run'] ? 'never finished (killed, or still running)' : '',
    !failed && notTimed === all && records === run.header.cells ? `${notTimed} not fully timed` : '',
  ].filter(Boolean);
  return `${records} of ${run.header.cells} cells, ${why.join(', ') || 'never finished (killed, or still running)'}`;
}

/** The shards that are not complete, each named with what it lacks: `DIR (shard 3/3: 2 of 4 cells, interrupted)`. */
export function incompleteShards(shards: readonly Shard[]): string[] {
  return shards
    .filter(({ run }) => !run.header.complete)
    .map(({ path, run }) => {
      const shard = run.header.provenance.plan?.shard;
      return `${path} (shard ${shard?.index}/${shard?.count}: ${lacking(run)})`;
    });
}

/**
 * The items of several streams, each in plan order, as one stream in plan order (a k-way merge on
 * the plan position): memory holds one item a stream. A stream out of order is refused.
 */
function* inPlanOrder<T>(
  streams: readonly { path: string; items: Iterable<T> }[],
  position: (item: T) => number,
  what: string,
): Generator<T> {
  const heads = streams.map(({ path, items }) => ({
    path,
    it: items[Symbol.iterator](),
    item: undefined as T | undefined,
    last: -1,
  }));
  const advance = (h: (typeof heads)[number]) => {
    const next = h.it.next();
    h.item = next.done ? undefined : next.value;
    if (h.item !== undefined) {
      const p = position(h.item);
      if (p < h.last) throw new ResultsError(`${h.path}: ${what} out of plan order (cell ${p} after cell ${h.last})`);
      h.last = p;
    }
  };
  for (const h of heads) advance(h);
  for (;;) {
    let best: (typeof heads)[number] | undefined;
    for (const h of heads) {
      if (h.item !== undefined && (best === undefined || position(h.item) < position(best.item as T))) best = h;
    }
    if (!best) return;
    yield best.item as T;
    advance(best);
  }
}

const positionOfRecord = (r: FullRecord) => r.detail.cell ?? Number.MAX_SAFE_INTEGER;
const positionOfMissing = (m: MissingCell) => m.cell ?? Number.MAX_SAFE_INTEGER;

/**
 * Join the shards of one run (`l2bench run --shard i/n`) into the run they are parts of: every
 * shard of the same plan (same l2bench version and plan hash), each once, none missing; records in
 * plan order, exactly as a single run would have written them. `path` names each shard in errors.
 * A shard that is not complete (stopped, killed, with failed cells) is refused, naming it, unless
 * `partial`: the run is then joined as it is, and marked incomplete.
 */
export function mergeRuns(shards: readonly Shard[], options: { partial?: boolean } = {}): RunSource {
  const first = shards[0];
  if (!first) throw new ResultsError('merge: no shards to join');
  const plan = first.run.header.provenance.plan;
  if (!plan?.shard) throw new ResultsError(`${first.path}: not a shard (it was not run with --shard)`);
  const seen = new Map<number, string>();
  for (const { path, run } of shards) {
    const p = run.header.provenance;
    if (!p.plan?.shard) throw new ResultsError(`${path}: not a shard (it was not run with --shard)`);
    const version = first.run.header.provenance.l2bench_version;
    if (p.l2bench_version !== version) {
      throw new ResultsError(`${path}: l2bench ${p.l2bench_version}, but ${first.path} is ${version}`);
    }
    if (p.plan.sha256 !== plan.sha256 || p.plan.shard.count !== plan.shard.count) {
      throw new ResultsError(
        `${path}: a shard of another run (different suite, options or shard count than ${first.path})`,
      );
    }
    const other = seen.get(p.plan.shard.index);
    if (other)
      throw new ResultsError(`${path}: shard ${p.plan.shard.index}/${p.plan.shard.count} again (also ${other})`);
    seen.set(p.plan.shard.index, path);
  }
  const missing = Array.from({ length: plan.shard.count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length)
    throw new ResultsError(`merge: shards ${missing.map((i) => `${i}/${plan.shard?.count}`).join(', ')} are missing`);
  const incomplete = incompleteShards(shards);
  if (incomplete.length && !options.partial) {
    const which =
      incomplete.length === 1
        ? `${incomplete[0]} is incomplete; rerun it`
        : `${incomplete.length} shards are incomplete: ${incomplete.join(', ')}; rerun them`;
    throw new ResultsError(`merge: ${which}, or give --partial to merge what there is`);
  }
  return joined(shards, { cells: plan.cells, sha256: plan.sha256 });
}

/** The shards as one run, read from them as it is read: records and missing cells in plan order. */
function joined(shards: readonly Shard[], plan: { cells: number; sha256: string }): RunSource {
  const summary: RunSummary = { records: 0, missing: NO_MISSING() };
  for (const { run } of shards) {
    const s = run.summary();
    summary.records += s.records;
    for (const reason of Object.keys(summary.missing) as MissingCell['reason'][])
      summary.missing[reason] += s.missing[reason];
  }
  const head = (shards[0] as Shard).run.header;
  return {
    header: {
      schema: RUN_SCHEMA,
      provenance: { ...head.provenance, plan: { ...plan, shard: null } },
      // Stopped by a signal: a shard was. Failed cells or a killed shard are not an interruption.
      interrupted: shards.some(({ run }) => run.header.interrupted),
      complete: shards.every(({ run }) => run.header.complete) && summary.records === plan.cells,
      cells: plan.cells,
    },
    records: () =>
      inPlanOrder(
        shards.map(({ path, run }) => ({ path, items: run.records() })),
        positionOfRecord,
        'records',
      ),
    missing: () =>
      inPlanOrder(
        shards.map(({ path, run }) => ({ path, items: run.missing() })),
        positionOfMissing,
        'missing cells',
      ),
    summary: () => summary,
  };
}
