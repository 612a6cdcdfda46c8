import type { ParamDefs, ParamValues } from '../core/params.ts';
import { formatSpec } from '../core/spec.ts';
import type { WorkloadCategory } from '../core/workload-kind.ts';

/** Event kinds. */
export const ALLOC = 0;
export const FREE = 1;

/**
 * A run of events in flat typed arrays: event i allocates or frees table id[i] on CPU cpu[i]. The
 * one shape of events, whether a chunk of a stream or a whole stream held in memory (`holdEvents`).
 * Table ids are non-negative and reused after a free, so the largest id stays near the peak number
 * of live tables, not the length of the stream. A producer may reuse a chunk's arrays for the next
 * chunk: a consumer must finish with a chunk before asking for the next.
 */
export interface EventChunk {
  readonly length: number;
  readonly kind: Uint8Array;
  readonly id: Int32Array;
  readonly cpu: Uint16Array;
  /** Every id of the chunk is below this (1 + the largest id its producer had written): an id-indexed table's size. */
  readonly ids: number;
}

/** A workload instance: a deterministic, restartable stream of event chunks. */
export interface Workload {
  /** Canonical spec, `name:key=value,…` with every parameter, as it appears in results. */
  readonly spec: string;
  readonly kind: string;
  readonly category: WorkloadCategory;
  readonly params: ParamValues;
  /** A fresh pass over the events; each call starts again from the first event. */
  chunks(): Iterable<EventChunk>;
  /** Where the events come from, for provenance (a trace's file and checksum). */
  readonly info?: Readonly<Record<string, string | number>>;
  /**
   * Events the kernel lost while recording the trace this workload replays (the `# lost_events:`
   * header `l2bench record` and `l2bench capture` write): the replay misses them. Absent (0) for a
   * generated workload.
   */
  readonly lostEvents?: number;
  /**
   * What the user should know about how it replays (a trace's CPUs folded onto fewer simulated
   * ones), one line each: the caller says it (the CLI on stderr, once); a workload never prints.
   */
  readonly notices?: readonly string[];
  /** How many events a pass gives, when known before it runs (a trace replayed from the event cache): a holder sizes its buffers once. */
  readonly events?: number;
  /** What the last complete pass saw inside the workload's own model (the IOMMU's maps, failures…). */
  lastPass?(): Readonly<Record<string, number>>;
}

export interface WorkloadContext {
  readonly seed: number;
  /** CPUs of the machine, for workloads that spread over them. */
  readonly cpus: number;
}

/** A named kind of workload: `l2bench list workloads` shows its description and params. */
export interface WorkloadKind {
  readonly name: string;
  readonly description: string;
  readonly params: ParamDefs;
  create(params: ParamValues, ctx: WorkloadContext): Workload;
}

/** Events per chunk: large enough to amortise the per-chunk work, small enough to stay in cache. */
export const CHUNK = 4096;

/**
 * Fills chunks and hands each one out when full; used by the generators, and to hold a whole stream
 * (`append`, then one take()). A burst (a teardown, a large unmap) may overfill a chunk: the buffers
 * grow, and `push` keeps saying "full" until take().
 */
export class ChunkWriter {
  #kind: Uint8Array;
  #id: Int32Array;
  #cpu: Uint16Array;
  #length = 0;
  #ids = 0;

  /** Room for `capacity` events before the buffers grow. */
  constructor(capacity = CHUNK) {
    this.#kind = new Uint8Array(capacity);
    this.#id = new Int32Array(capacity);
    this.#cpu = new Uint16Array(capacity);
  }

  /** Add an event; returns true when the chunk is full and should be taken with take(). */
  push(kind: number, id: number, cpu: number): boolean {
    const i = this.#length++;
    if (i === this.#kind.length) this.#grow(i + 1);
    this.#kind[i] = kind;
    this.#id[i] = id;
    this.#cpu[i] = cpu;
    if (id >= this.#ids) this.#ids = id + 1;
    return this.#length >= CHUNK;
  }

  /** Add every event of a chunk. */
  append(chunk: EventChunk): void {
    const at = this.#length;
    if (at + chunk.length > this.#kind.length) this.#grow(at + chunk.length);
    this.#kind.set(chunk.kind, at);
    this.#id.set(chunk.id, at);
    this.#cpu.set(chunk.cpu, at);
    this.#length = at + chunk.length;
    if (chunk.ids > this.#ids) this.#ids = chunk.ids;
  }

  /** The pending events as a chunk (views over the shared buffers), then start a new one. */
  take(): EventChunk {
    const n = this.#length;
    this.#length = 0;
    return {
      length: n,
      kind: this.#kind.subarray(0, n),
      id: this.#id.subarray(0, n),
      cpu: this.#cpu.subarray(0, n),
      ids: this.#ids,
    };
  }

  get pending(): number {
    return this.#length;
  }

  /** Room for `events` at least, doubling. */
  #grow(events: number): void {
    let n = Math.max(this.#kind.length, 1) * 2;
    while (n < events) n *= 2;
    const kind = new Uint8Array(n);
    const id = new Int32Array(n);
    const cpu = new Uint16Array(n);
    kind.set(this.#kind.subarray(0, this.#length));
    id.set(this.#id.subarray(0, this.#length));
    cpu.set(this.#cpu.subarray(0, this.#length));
    this.#kind = kind;
    this.#id = id;
    this.#cpu = cpu;
  }
}

/**
 * Canonical spec of a workload, as results name it: `name:k=v,…` in declaration order, with every
 * numeric parameter, every identifying one, and the others that differ from their defaults.
 */
export function specString(name: string, defs: ParamDefs, values: ParamValues): string {
  const shown = Object.entries(defs)
    .filter(([k, def]) => def.kind === 'int' || (def.kind === 'choice' && def.identifies) || values[k] !== def.default)
    .map(([k]) => [k, values[k] as string | number] as const);
  return formatSpec(name, shown);
}
