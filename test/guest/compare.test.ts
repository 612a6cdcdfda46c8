import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareStrategy } from '../../kernel/guest/compare.ts';
import { eventLines, GUEST_STRATEGIES, GuestProtocolError, parseResults } from '../../kernel/guest/protocol.ts';
import { workload } from '../workload-helpers.ts';

// test/fixtures/guest-6.1-handoff.results is what kernel/guest-module reported in a Linux 6.1 guest
// (Debian 6.1.0-57-amd64, 6.1.192-3; 2 vCPUs) for handoff:tables=64,rounds=3,order=random with
// seed 1 on 2 CPUs: 384 events through each of the five allocators, one report line each.

const FIXTURE = readFileSync(join(import.meta.dirname, '../fixtures/guest-6.1-handoff.results'), 'latin1');
const handoff = () => workload('handoff', { tables: '64', rounds: '3', order: 'random' }, 1, 2);
const letter = (name: string) => GUEST_STRATEGIES.find((s) => s.strategy === name) as (typeof GUEST_STRATEGIES)[number];

describe("the guest module's reports against the 6.1 models", () => {
  it('agree at every event of a recorded guest run, for each of the five allocators', () => {
    const reports = parseResults(FIXTURE);
    for (const s of GUEST_STRATEGIES) {
      const c = compareStrategy(s, handoff(), reports.get(s.letter) ?? [], { cpus: 2, kernel: '6.1' });
      expect(c.firstDivergence, s.strategy).toBeNull();
      expect(c.matches).toBe(384);
    }
  });

  it('names the event, the strategy and both values where a report differs', () => {
    // The 100th page-frag report with one page more than the kernel held.
    let n = 0;
    const changed = FIXTURE.split('\n')
      .map((line) => {
        if (!line.startsWith('p ') || ++n !== 100) return line;
        const f = line.split(' ');
        f[5] = String(Number(f[5]) + 8);
        return f.join(' ');
      })
      .join('\n');
    const c = compareStrategy(letter('page-frag'), handoff(), parseResults(changed).get('p') ?? [], {
      cpus: 2,
      kernel: '6.1',
    });
    expect(c.matches).toBe(99);
    expect(c.firstDivergence).toMatchObject({ strategy: 'page-frag', event: 100, fields: ['pages'] });
    const d = c.firstDivergence;
    expect((d?.kernel.pages ?? 0) - (d?.model.pages ?? 0)).toBe(8);
  });

  it("compares SLUB by its sysfs counters, never by object offsets (Debian's 6.1 shuffles freelists)", () => {
    const reports = parseResults(FIXTURE).get('s') ?? [];
    // Offsets of a 16-object slab's first allocations are not 0, 1024, 2048…: the freelist is random.
    expect(reports.slice(0, 4).map((r) => r.offset)).not.toEqual([0, 1024, 2048, 3072]);
    expect(compareStrategy(letter('slab-dma32'), handoff(), reports, { cpus: 2, kernel: '6.1' }).compared).toEqual([
      'pages',
      'slabs',
      'partial',
      'cpu_slabs',
      'slabs_cpu_partial',
    ]);
  });

  it('refuses what is not a report: a refused event, a full buffer, a report out of step', () => {
    expect(() => parseResults('E s 1 f 7 -1 0 -1 0 0 0 0\n')).toThrow(GuestProtocolError);
    expect(() => parseResults('X results full\n')).toThrow(/buffer filled at line 1/);
    const reports = parseResults(FIXTURE).get('g') ?? [];
    expect(() => compareStrategy(letter('genalloc'), handoff(), reports.slice(1), { cpus: 2, kernel: '6.1' })).toThrow(
      /report 1 is not event 1/,
    );
  });

  it("writes the module's events with the workload's CPUs folded onto the guest's", () => {
    // 3 workload CPUs: round r allocates on r and frees on r + 1 (mod 3); CPU 2 folds onto 0.
    const w = workload('handoff', { tables: '1', rounds: '3' }, 1, 3);
    expect(eventLines('d', w.chunks(), 2)).toBe('d a 0 0\nd f 0 1\nd a 0 1\nd f 0 0\nd a 0 0\nd f 0 0\n');
  });
});
