import { createHash } from 'node:crypto';
import { parseParams } from '../core/params.ts';
import { ALLOC, type Workload } from '../workloads/events.ts';
import { findWorkload } from '../workloads/index.ts';

/** Build a workload from `name` and raw params, as the CLI would. */
export function workload(name: string, raw: Record<string, string> = {}, seed = 1, cpus = 4): Workload {
  const kind = findWorkload(name);
  if (!kind) throw new Error(`no workload ${name}`);
  return kind.create(parseParams(name, kind.params, raw), { seed, cpus });
}

export interface Drained {
  events: number;
  allocs: number;
  frees: number;
  peakLive: number;
  finalLive: number;
  maxId: number;
  cpus: Set<number>;
  /** sha256 of the whole event sequence. */
  digest: string;
}

/** Replay a workload's events into counters, checking that ids are used consistently. */
export function drain(w: Workload): Drained {
  const live = new Set<number>();
  const hash = createHash('sha256');
  const out: Drained = {
    events: 0,
    allocs: 0,
    frees: 0,
    peakLive: 0,
    finalLive: 0,
    maxId: -1,
    cpus: new Set(),
    digest: '',
  };
  for (const c of w.chunks()) {
    for (let i = 0; i < c.length; i++) {
      const id = c.id[i] as number;
      if (c.kind[i] === ALLOC) {
        if (live.has(id)) throw new Error(`id ${id} allocated while live`);
        live.add(id);
        out.allocs++;
        out.peakLive = Math.max(out.peakLive, live.size);
      } else {
        if (!live.delete(id)) throw new Error(`id ${id} freed while not live`);
        out.frees++;
      }
      out.maxId = Math.max(out.maxId, id);
      out.cpus.add(c.cpu[i] as number);
    }
    out.events += c.length;
    hash.update(c.kind).update(new Uint8Array(c.id.buffer, c.id.byteOffset, c.id.byteLength));
    hash.update(new Uint8Array(c.cpu.buffer, c.cpu.byteOffset, c.cpu.byteLength));
  }
  out.finalLive = live.size;
  out.digest = hash.digest('hex');
  return out;
}
