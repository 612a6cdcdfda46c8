import { describe, expect, it } from 'vitest';
import { calculateOrder, cpuPartialFor, minPartialFor, slubGeometry } from '../../strategies/slub/geometry.ts';

// calculate_order for 1 KiB objects, worked out by hand from mm/slub.c (v5.1):
// min_objects = 4 × (fls(nr_cpu_ids) + 1), capped at 32 (an order-3 slab); the smallest order
// holding that many objects with no leftover.
describe('SLUB geometry of the 1 KiB v7s cache', () => {
  const cases: [cpus: number, order: number, objects: number][] = [
    [1, 1, 8], // fls 1 → 8 objects → 8 KiB
    [2, 2, 16], // fls 2 → 12 → get_order(12 KiB) = 2
    [4, 2, 16], // fls 3 → 16
    [7, 2, 16], // fls 3 → 16
    [8, 3, 32], // fls 4 → 20 → get_order(20 KiB) = 3
    [64, 3, 32], // fls 7 → 32
    [128, 3, 32], // fls 8 → 36, capped at 32
  ];
  it.each(cases)('%i CPUs: order %i, %i objects per slab', (cpus, order, objects) => {
    const g = slubGeometry(1024, cpus);
    expect(g.order).toBe(order);
    expect(g.objects).toBe(objects);
  });

  it('falls back to s->min = order 0 with 4 objects', () => {
    const g = slubGeometry(1024, 4);
    expect([g.minOrder, g.minObjects]).toEqual([0, 4]);
  });

  it('keeps min_partial 5 and cpu_partial 6 objects for 1 KiB objects', () => {
    expect(minPartialFor(1024)).toBe(5); // ilog2(1024) / 2 = 5, inside [5, 10]
    expect(cpuPartialFor(1024)).toBe(6);
    expect(minPartialFor(1 << 22)).toBe(10); // 22 / 2 = 11, clamped to 10
    expect(cpuPartialFor(256)).toBe(13);
    expect(cpuPartialFor(4096)).toBe(2);
  });

  it('honours slub_max_order and slub_min_objects', () => {
    expect(calculateOrder(1024, 64, { minOrder: 0, maxOrder: 1, minObjects: 0 })).toBe(1);
    expect(calculateOrder(1024, 1, { minOrder: 0, maxOrder: 3, minObjects: 32 })).toBe(3);
    expect(calculateOrder(1024, 1, { minOrder: 2, maxOrder: 3, minObjects: 0 })).toBe(2);
  });
});
