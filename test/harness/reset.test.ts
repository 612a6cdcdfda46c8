import { describe, expect, it } from 'vitest';
import { MiB } from '../../core/sizes.ts';
import { planBenchmark } from '../../harness/benchmark.ts';
import { type Cell, Machines, measureCell } from '../../harness/cell.ts';
import { MAX_ORDER } from '../../strategies/machine/constants.ts';
import { GFP_ATOMIC, GFP_DMA32, GFP_KERNEL } from '../../strategies/machine/gfp.ts';
import { Machine } from '../../strategies/machine/machine.ts';

/** Everything a strategy can observe of a machine, as bytes and lists. */
function state(m: Machine) {
  const lists: number[][] = [];
  for (let z = 0; z < m.zones.length; z++) for (let o = 0; o < MAX_ORDER; o++) lists.push(m.buddy.freeList(z, o));
  return {
    owner: Buffer.from(m.owner.buffer).toString('base64'),
    freeOrder: Buffer.from(m.buddy.freeOrder.buffer).toString('base64'),
    lists,
    nrFree: [...m.buddy.nrFree],
    zoneFreePages: [...m.buddy.zoneFreePages],
    accounts: m.accounts.length,
  };
}

describe('Machine.reset', () => {
  it.each([
    ['16 MiB', { dramBase: 0, dramBytes: 16 * MiB }],
    ['fragment=0.25 across two zones', { dramBase: 4000 * MiB, dramBytes: 256 * MiB, fragmentDma32: 0.25 }],
  ])('restores the boot state exactly after allocations, frees and page->private writes (%s)', (_, options) => {
    const fresh = state(new Machine(options));
    const m = new Machine(options);
    for (let round = 0; round < 3; round++) {
      const a = m.account('a');
      const b = m.account('b');
      const held: [typeof a, number, number][] = [];
      for (let i = 0; i < 300; i++) {
        const account = i % 3 ? a : b;
        const order = (i * 7 + round) % 5;
        const addr = account.allocPages(i % 2 ? GFP_KERNEL : GFP_ATOMIC | GFP_DMA32, order);
        if (addr < 0) continue;
        account.setPrivate(addr, i);
        held.push([account, addr, order]);
      }
      // Free about half, in a scrambled order, so merges and tail queueing happen too.
      for (let i = 0; i < held.length; i += 2) {
        const [account, addr, order] = held[(i * 37) % held.length] as [typeof a, number, number];
        if (account.holds(addr) && account.compoundHead(addr) === addr) account.freePages(addr, order);
      }
      expect(state(m)).not.toEqual(fresh);
      m.reset();
      expect(state(m)).toEqual(fresh);
      // The next account gets the first id again, as on a fresh machine.
      expect(m.account('again').id).toBe(new Machine(options).account('x').id);
      m.reset();
    }
  });
});

const STRATEGIES = [
  'slab-dma32',
  'genalloc',
  'genalloc:algo=best',
  'page-frag',
  'full-page',
  'slab-normal',
  'dma-pool',
  './examples/my-strategy.ts',
];
const WORKLOADS = [
  'hold:tables=1',
  'hold:tables=300',
  'churn:live=200,ops=4000,order=random,cpus=spread',
  'frag-adversary',
  'iommu:scenario=camera',
  'trace:file=test/fixtures/ftrace-kmalloc-1k.txt',
];

async function cells(machine: string): Promise<Cell[]> {
  const plan = await planBenchmark({ strategies: STRATEGIES, workloads: WORKLOADS, machine, throughput: false });
  return plan.cells;
}

describe('a reset machine replays a cell to exactly the record of a fresh one', () => {
  it.each([
    ['the default machine', ''],
    ['fragment=0.25', 'fragment=0.25'],
    ['dram=2G,base=3G,fragment=0.5', 'dram=2G,base=3G,fragment=0.5'],
  ])('%s: every strategy and workload, on one machine reused in a scrambled order', async (_, machine) => {
    const all = await cells(machine);
    const fresh = all.map((c) => measureCell(c));
    const machines = new Machines();
    // A scrambled order, so each cell starts from a machine another strategy and workload dirtied.
    const order = all.map((_, i) => (i * 17) % all.length);
    expect(new Set(order).size).toBe(all.length);
    const reused = new Array(all.length);
    for (const i of order) {
      const c = all[i] as Cell;
      reused[i] = measureCell(c, machines.get(c.machine));
    }
    expect(reused).toEqual(fresh);
    // Twice on the same machine in a row, too.
    const c = all[all.length - 1] as Cell;
    const m = machines.get(c.machine);
    expect(measureCell(c, m)).toEqual(fresh[all.length - 1]);
    expect(measureCell(c, m)).toEqual(fresh[all.length - 1]);
  });
});
