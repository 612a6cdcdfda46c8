import { describe, expect, it } from 'vitest';
import { resolveSpec } from '../../core/spec.ts';
import type { ModelFault, ModelSetup } from '../../kernel/live/model-protocol.ts';
import { ModelThread, type Replayed } from '../../kernel/live/model-thread.ts';
import { GFP_KERNEL } from '../../strategies/machine/gfp.ts';
import { WORKLOADS } from '../../workloads/index.ts';

// The model thread of `kernel check`, without a live kernel: what it answers for a workload whose
// counters the live kernel showed (kernel-check.test.ts), and how it stops when its model hangs or throws.

/** msg_msg-1k on a 2-CPU 6.18 kernel, as sysfs shows it: order 2, 16 objects, cpu_partial 24, min_partial 5. */
const setup = (fault: ModelFault | null, steps: ModelSetup['schedule']['steps'] = []): ModelSetup => ({
  input: {
    kernel: '6.18',
    cpus: 2,
    objectSize: 1024,
    geometry: { order: 2, objectsPerSlab: 16, cpuPartial: 24, minPartial: 5 },
    callerGfp: GFP_KERNEL,
  },
  cache: 'msg_msg-1k',
  schedule: { every: 1, steps },
  variantsModule: null,
  fault,
});

/** A workload's events in one batch. */
function eventsOf(spec: string) {
  const { item, params } = resolveSpec(spec, 'workload', WORKLOADS);
  const kind: number[] = [];
  const id: number[] = [];
  const cpu: number[] = [];
  for (const c of item.create(params, { seed: 1, cpus: 2 }).chunks()) {
    for (let i = 0; i < c.length; i++) {
      kind.push(c.kind[i] as number);
      id.push(c.id[i] as number);
      cpu.push(c.cpu[i] as number);
    }
  }
  return { kind: Uint8Array.from(kind), id: Int32Array.from(id), cpu: Uint16Array.from(cpu), last: true, drop: [] };
}

/** Checkpoint k's four counters. */
const at = (r: Replayed, k: number) => Array.from(r.counters.subarray(k * 4, k * 4 + 4));

describe('the model thread of kernel check', () => {
  it('answers the counters the live kernel shows: ramp of 100 freed in order, 200 checkpoints, final 7 3 4 3', async () => {
    const thread = await ModelThread.start(setup(null));
    try {
      thread.workload(null);
      const r = await thread.replay(eventsOf('ramp:peak=100,order=fifo'));
      expect(r.failure).toBeNull();
      expect(r.counters.length).toBe(200 * 4);
      // After the 100 allocations: 7 slabs, 6 full and CPU 0's active one.
      expect(at(r, 99)).toEqual([7, 0, 1, 0]);
      expect(at(r, 199)).toEqual([7, 3, 4, 3]);
    } finally {
      thread.stop();
    }
  }, 60_000);

  it('stops the workload before an event its model throws at, with where and why', async () => {
    const thread = await ModelThread.start(setup({ kind: 'throw', at: 50 }));
    try {
      thread.workload(null);
      const r = await thread.replay(eventsOf('ramp:peak=100,order=fifo'));
      expect(r.failure).toEqual({
        event: 49,
        step: 'alloc',
        message: 'injected model fault at event 50 (L2BENCH_TEST_MODEL_FAULT)',
      });
      expect(r.counters.length).toBe(49 * 4);
    } finally {
      thread.stop();
    }
  }, 60_000);

  it('is stopped while its model loops for ever: the awaited answer fails with the reason given', async () => {
    const thread = await ModelThread.start(setup({ kind: 'hang', at: 50 }));
    thread.workload(null);
    const answer = thread.replay(eventsOf('ramp:peak=100,order=fifo'));
    thread.stop(new Error('stopped by the test'));
    await expect(answer).rejects.toThrow('stopped by the test');
    // Once stopped, nothing more is sent.
    await expect(thread.replay(eventsOf('hold:tables=1'))).rejects.toThrow('stopped by the test');
  }, 60_000);
});
