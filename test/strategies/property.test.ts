import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GiB, MiB } from '../../core/sizes.ts';
import { STRATEGIES } from '../../strategies/index.ts';
import { Machine } from '../../strategies/machine/machine.ts';
import { instance } from '../helpers.ts';

const op = fc.record({
  strategy: fc.nat({ max: STRATEGIES.length - 1 }),
  free: fc.boolean(),
  cpu: fc.nat({ max: 7 }),
  pick: fc.nat(),
});

describe('every strategy under the invariant checker, sharing one machine', () => {
  it('never breaks an invariant, and held + free pages always equal the machine', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom(0, 1 / 8, 1 / 4),
        fc.array(op, { maxLength: 400 }),
        (cpus, fragmentDma32, ops) => {
          // 32 MiB of DMA32 below 4 GiB and 16 MiB of Normal above it: small enough to run out.
          const machine = new Machine({ cpus, dramBase: 4 * GiB - 32 * MiB, dramBytes: 48 * MiB, fragmentDma32 });
          const instances = STRATEGIES.map((s) => instance(s, machine));
          const live: number[][] = STRATEGIES.map(() => []);
          const reserved = machine.reservedPages();
          for (const o of ops) {
            const { tables } = instances[o.strategy] as (typeof instances)[number];
            const mine = live[o.strategy] as number[];
            const cpu = o.cpu % cpus;
            if (o.free && mine.length > 0) {
              const [addr] = mine.splice(o.pick % mine.length, 1) as [number];
              tables.free(addr, cpu);
            } else {
              const addr = tables.alloc(cpu);
              if (addr >= 0) mine.push(addr);
            }
            const held = instances.reduce((n, i) => n + i.account.counters.held, 0);
            expect(held + reserved + machine.freePages()).toBe(machine.totalPages);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
