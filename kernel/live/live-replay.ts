import { writeSync } from 'node:fs';
import { ALLOC } from '../../workloads/events.ts';
import type { Divergence, Maintenance, VariantDivergence } from './check-types.ts';
import { COUNTERS, type ModelFailure, type Schedule, type Step, type VariantFailure } from './model-protocol.ts';
import type { Replayed } from './model-thread.ts';
import type { MsgMsgCache } from './msg-cache.ts';
import { flushCache, type LiveCounters, readObjects, type SlabCounters, shrinkCache } from './probe.ts';

/** A batch of a workload's events: kind, table id and the workload's CPU of each; `last` ends the workload. */
export interface Batch {
  readonly kind: Uint8Array;
  readonly id: Int32Array;
  readonly cpu: Uint16Array;
  readonly last: boolean;
}

/** The first divergence, whose model side (the model's full sysfs view) is asked for once the workload ends. */
export interface FoundDivergence extends Omit<Divergence, 'model'> {
  /** The checkpoint's number in the workload (0-based): where the model's view is taken. */
  readonly checkpoint: number;
  readonly modelCounters: LiveCounters;
}

interface VariantState {
  readonly name: string;
  live: boolean;
  divergence: VariantDivergence | null;
}

export interface ReplayContext {
  /** The online CPUs: model CPU i is cpus[i]. */
  readonly cpus: readonly number[];
  readonly schedule: Schedule;
  readonly csvFd: number;
  /** Test hook: throw after this many events, to prove the cleanup. */
  readonly faultAt: number | undefined;
}

const zero = (): LiveCounters => ({ slabs: 0, partial: 0, cpu_slabs: 0, slabs_cpu_partial: 0 });

/**
 * One workload on the live msg_msg cache, batch by batch: the model thread has replayed each batch
 * already and answered with its models' counters at every checkpoint, and whether each shrink or
 * flush is made; this drives the live cache through the same events and steps, reads its counters
 * at the same checkpoints and compares.
 */
export class LiveReplay {
  readonly live = zero();
  /** The model's counters at the last checkpoint. */
  readonly want = zero();
  events = 0;
  checkpoints = 0;
  matches = 0;
  peakLive = 0;
  peakModel = 0;
  firstDivergence: FoundDivergence | null = null;
  modelError: ModelFailure | null = null;
  readonly maintenance: Maintenance = { shrinks: 0, flushes: 0, skipped: 0 };
  readonly variants: VariantState[];
  /** Variants seen to differ since the last batch sent: the model thread stops replaying them. */
  #lost: number[] = [];
  #csv = '';

  constructor(
    private readonly spec: string,
    private readonly c: ReplayContext,
    private readonly driver: MsgMsgCache,
    private readonly counters: SlabCounters,
    variantNames: readonly string[],
  ) {
    this.variants = variantNames.map((name) => ({ name, live: true, divergence: null }));
  }

  /** The variants lost since the last call, for the next batch sent. */
  takeLost(): number[] {
    return this.#lost.splice(0);
  }

  /**
   * Drive the live cache through a batch the model thread answered. Returns false when a model
   * threw in it: the workload stops before the failing event or step (modelError says where).
   */
  batch(b: Batch, r: Replayed): boolean {
    const n = this.c.cpus.length;
    const failure = r.failure;
    const stopAt = failure && (failure.step === 'alloc' || failure.step === 'free') ? failure.event : -1;
    const failures = [...r.variantFailures];
    let cp = 0;
    let made = 0;
    for (let i = 0; i < b.kind.length; i++) {
      if (this.events === stopAt) return this.#stop(failures, cp, failure);
      const kind = b.kind[i] as number;
      const id = b.id[i] as number;
      const wcpu = b.cpu[i] as number;
      if (kind === ALLOC) this.driver.alloc(id, wcpu % n);
      else this.driver.free(id, wcpu % n);
      this.events++;
      if (this.c.faultAt !== undefined && this.events >= this.c.faultAt) {
        throw new Error(`injected fault after ${this.events} events`);
      }
      if (this.events % this.c.schedule.every === 0) {
        // No counters for this checkpoint: the model threw reading them.
        if (cp * 4 >= r.counters.length) return this.#stop(failures, cp, failure);
        this.#checkpoint(r, failures, cp++, kind === ALLOC ? 'alloc' : 'free', id, wcpu);
      }
      for (const s of this.c.schedule.steps) {
        if (this.events % s.every !== 0) continue;
        // No answer for this step: the model threw in it.
        if (made >= r.made.length) return this.#stop(failures, cp, failure);
        if (r.made[made++] === 0) {
          this.maintenance.skipped++;
          continue;
        }
        if (cp * 4 >= r.counters.length) return this.#stop(failures, cp, failure);
        if (s.step === 'shrink') {
          shrinkCache(this.counters.cache);
          this.maintenance.shrinks++;
        } else {
          flushCache(this.counters.cache);
          this.maintenance.flushes++;
        }
        this.#checkpoint(r, failures, cp++, s.step, -1, -1);
      }
    }
    if (failure) return this.#stop(failures, cp, failure);
    // The last event is always a checkpoint.
    if (b.last && this.events % this.c.schedule.every !== 0 && this.events > 0)
      this.#checkpoint(r, failures, cp++, 'end', -1, -1);
    if (cp * 4 !== r.counters.length) {
      throw new Error(`the model thread answered ${r.counters.length / 4} checkpoints where the check made ${cp}`);
    }
    this.#variantFailures(failures, Number.POSITIVE_INFINITY);
    this.flushCsv();
    return true;
  }

  #stop(failures: VariantFailure[], cp: number, failure: ModelFailure | null): false {
    if (!failure) throw new Error('the model thread answered fewer checkpoints than the check made');
    this.modelError = failure;
    this.#variantFailures(failures, cp);
    this.flushCsv();
    return false;
  }

  /** Variants that threw before checkpoint `cp` of the batch (and have not differed before): lost with the error. */
  #variantFailures(failures: VariantFailure[], cp: number): void {
    for (let k = failures.length - 1; k >= 0; k--) {
      const f = failures[k] as VariantFailure;
      if (f.checkpointsBefore > cp) continue;
      failures.splice(k, 1);
      this.#lose(f.variant, f.step, f.id, f.cpu, [], f.event, f.message);
    }
  }

  /** Read the live counters after `step` and compare every model's (checkpoint j of the batch) with them. */
  #checkpoint(r: Replayed, failures: VariantFailure[], j: number, step: Step, id: number, wcpu: number): void {
    const { live, want } = this;
    this.counters.read(live);
    const m = r.counters;
    want.slabs = m[j * 4] as number;
    want.partial = m[j * 4 + 1] as number;
    want.cpu_slabs = m[j * 4 + 2] as number;
    want.slabs_cpu_partial = m[j * 4 + 3] as number;
    this.checkpoints++;
    const same =
      live.slabs === want.slabs &&
      live.partial === want.partial &&
      live.cpu_slabs === want.cpu_slabs &&
      live.slabs_cpu_partial === want.slabs_cpu_partial;
    if (same) this.matches++;
    else if (!this.firstDivergence) this.firstDivergence = this.#found(step, id, wcpu);
    if (failures.length) this.#variantFailures(failures, j);
    const nv = this.variants.length;
    const vc = r.variantCounters;
    for (let v = 0; v < nv; v++) {
      if (!(this.variants[v] as VariantState).live) continue;
      const at = (j * nv + v) * 4;
      if (
        live.slabs !== vc[at] ||
        live.partial !== vc[at + 1] ||
        live.cpu_slabs !== vc[at + 2] ||
        live.slabs_cpu_partial !== vc[at + 3]
      ) {
        const fields = COUNTERS.filter((f, k) => live[f] !== vc[at + k]);
        this.#lose(v, step, id, wcpu, fields, this.events);
      }
    }
    if (live.slabs > this.peakLive) this.peakLive = live.slabs;
    if (want.slabs > this.peakModel) this.peakModel = want.slabs;
    if (this.c.csvFd < 0) return;
    const spec = this.spec.includes(',') ? `"${this.spec}"` : this.spec;
    const what = step === 'alloc' || step === 'free' ? `${step},${id},${wcpu}` : `${step},,`;
    this.#csv += `${spec},${this.events},${what},${live.slabs},${want.slabs},${live.partial},${want.partial},${live.cpu_slabs},${want.cpu_slabs},${live.slabs_cpu_partial},${want.slabs_cpu_partial},${same ? 1 : 0}\n`;
    if (this.#csv.length > 1 << 16) this.flushCsv();
  }

  /** The live side of the first divergence, read now; the model's view is asked for later. */
  #found(kind: Step, id: number, cpu: number): FoundDivergence {
    const { cpus } = this.c;
    const byCpuLive = this.counters.cpuPartialByCpu();
    const fields = COUNTERS.filter((f) => this.live[f] !== this.want[f]);
    return {
      event: this.events,
      kind,
      id,
      cpu,
      onCpu: cpu < 0 ? -1 : (cpus[cpu % cpus.length] as number),
      live: {
        ...this.live,
        by_cpu: cpus.map((c) => byCpuLive[c] ?? 0),
        ...readObjects(this.counters.cache),
      },
      fields,
      checkpoint: this.checkpoints - 1,
      modelCounters: { ...this.want },
    };
  }

  flushCsv(): void {
    if (this.c.csvFd >= 0 && this.#csv) writeSync(this.c.csvFd, this.#csv);
    this.#csv = '';
  }

  #lose(v: number, step: Step, id: number, cpu: number, fields: string[], event: number, error?: string): void {
    const s = this.variants[v] as VariantState;
    if (!s.live) return;
    s.live = false;
    s.divergence = { workload: this.spec, event, step, id, cpu, fields, ...(error ? { error } : {}) };
    this.#lost.push(v);
  }
}
