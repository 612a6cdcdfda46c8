import { describe, expect, it } from 'vitest';
import { drain, workload } from '../workload-helpers.ts';

describe('synthetic generators: counts and peak live in closed form', () => {
  it.each([1, 100, 4096])('hold:tables=%i allocates N on CPU 0 and frees none', (n) => {
    const d = drain(workload('hold', { tables: String(n) }));
    expect([d.events, d.allocs, d.frees, d.peakLive, d.finalLive]).toEqual([n, n, 0, n, n]);
    expect([...d.cpus]).toEqual([0]);
  });

  it.each([
    [10, 0],
    [10, 1],
    [256, 1001],
    [2000, 100000],
  ])('churn:live=%i,ops=%i: L + N events, L + ⌊N/2⌋ allocations, peak L', (live, ops) => {
    for (const order of ['fifo', 'lifo', 'random']) {
      const d = drain(workload('churn', { live: String(live), ops: String(ops), order }));
      expect(d.events).toBe(live + ops);
      expect(d.allocs).toBe(live + Math.floor(ops / 2));
      expect(d.frees).toBe(Math.ceil(ops / 2));
      expect(d.peakLive).toBe(live);
      expect(d.maxId).toBeLessThan(live); // ids are reused
    }
  });

  it('churn orders free the oldest, the newest, or a random table', () => {
    // After the warm-up of ids 0..3, the first free takes id 0 (fifo) or id 3 (lifo).
    const firstFree = (order: string) => {
      for (const c of workload('churn', { live: '4', ops: '2', order }).chunks()) return c.id[4];
      return undefined;
    };
    expect(firstFree('fifo')).toBe(0);
    expect(firstFree('lifo')).toBe(3);
  });

  it('ramp and sawtooth: 2NK events, peak N, nothing left', () => {
    const r = drain(workload('ramp', { peak: '1000' }));
    expect([r.events, r.peakLive, r.finalLive]).toEqual([2000, 1000, 0]);
    const s = drain(workload('sawtooth', { peak: '300', cycles: '7', order: 'random' }));
    expect([s.events, s.allocs, s.peakLive, s.finalLive]).toEqual([2 * 300 * 7, 2100, 300, 0]);
  });

  it('handoff: 2NR events, peak N; round r allocates on CPU r mod C and frees everything on the next CPU', () => {
    const d = drain(workload('handoff', { tables: '5', rounds: '3' }, 1, 2));
    expect([d.events, d.allocs, d.frees, d.peakLive, d.finalLive]).toEqual([30, 15, 15, 5, 0]);
    const events: string[] = [];
    for (const c of workload('handoff', { tables: '2', rounds: '3' }, 1, 2).chunks()) {
      for (let i = 0; i < c.length; i++) events.push(`${c.kind[i] === 0 ? 'a' : 'f'}${c.id[i]}@${c.cpu[i]}`);
    }
    // fifo: the oldest first; CPU 1 frees round 0's tables before it ever allocates.
    expect(events).toEqual([
      'a0@0',
      'a1@0',
      'f0@1',
      'f1@1',
      'a1@1',
      'a0@1',
      'f1@0',
      'f0@0',
      'a0@0',
      'a1@0',
      'f0@1',
      'f1@1',
    ]);
    // One CPU: every event on CPU 0.
    expect([...drain(workload('handoff', { rounds: '2' }, 1, 1)).cpus]).toEqual([0]);
  });

  it('frag-adversary: N + 2(N − ⌈N/keep⌉) events, peak N, N live at the end', () => {
    const d = drain(workload('frag-adversary', { tables: '4096' }));
    expect(d.events).toBe(4096 + 2 * (4096 - 128));
    expect([d.peakLive, d.finalLive]).toEqual([4096, 4096]);
    const odd = drain(workload('frag-adversary', { tables: '100', keep: '32' }));
    expect(odd.events).toBe(100 + 2 * (100 - 4)); // kept ids 0, 32, 64, 96
  });

  it('worst-case: 4096 live, then all freed', () => {
    const d = drain(workload('worst-case'));
    expect([d.events, d.peakLive, d.finalLive]).toEqual([8192, 4096, 0]);
  });

  it('cpus=spread spreads allocations and frees over every CPU', () => {
    const d = drain(workload('churn', { live: '64', ops: '64', cpus: 'spread' }, 1, 4));
    expect([...d.cpus].sort()).toEqual([0, 1, 2, 3]);
  });

  it('is deterministic per seed, and the seed matters where the pattern is random', () => {
    const a = drain(workload('churn', { live: '500', ops: '5000', order: 'random' }, 7));
    const b = drain(workload('churn', { live: '500', ops: '5000', order: 'random' }, 7));
    const c = drain(workload('churn', { live: '500', ops: '5000', order: 'random' }, 8));
    expect(a.digest).toBe(b.digest);
    expect(a.digest).not.toBe(c.digest);
    // A second pass over the same workload object replays the same events.
    const w = workload('sawtooth', { peak: '50', cycles: '3', order: 'random' }, 3);
    expect(drain(w).digest).toBe(drain(w).digest);
  });
});
