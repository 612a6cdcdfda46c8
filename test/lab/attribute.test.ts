import { describe, expect, it } from 'vitest';
import { Attributor, parseProbeLine } from '../../kernel/capture/attribute.ts';
import { parseIommuLine } from '../../workloads/iommu/events.ts';
import { dmaAlloc, dmaMap, dmaMapSg, dmaUnmap, iovaAlloc, map, unmap } from './raw-lines.ts';

const A = '0000:00:03.0';
const B = '0000:00:04.0';

/** Attribute lines in order: each iommu event's device and how it was found. */
function attribute(lines: string[]) {
  const who = new Attributor();
  const out: [string | undefined, string][] = [];
  lines.forEach((l, i) => {
    const e = parseIommuLine('raw', i + 1, l);
    if (e) {
      const a = who.event(e);
      out.push([a.dev, a.how]);
      return;
    }
    const hit = parseProbeLine(l);
    if (hit) who.probe(hit);
  });
  return { out, counts: who.finish(), domains: who.domains() };
}

describe('attribution of iommu events to devices', () => {
  it('a map is __iommu_dma_map’s when paddr and size are the probe’s phys and size rounded to pages', () => {
    // phys 0x1234010, 0x10 bytes: iommu_map of the page 0x1234000, 4096 bytes (iova_align).
    const { out, counts } = attribute([dmaMap(0, A, 0x1234010, 0x10), map(0, 0xfffff000, 0x1234000, 4096)]);
    expect(out).toEqual([[A, 'arguments']]);
    expect(counts.maps_by_arguments).toBe(1);
  });

  it('an interrupt nesting another device’s map between a probe hit and its event is matched by arguments', () => {
    const { out } = attribute([
      dmaMap(0, A, 0x1000000, 0x1000),
      dmaMap(0, B, 0x2000000, 0x2000), // in an interrupt, before A's map
      map(0, 0xffffe000, 0x2000000, 0x2000),
      map(0, 0xfffff000, 0x1000000, 0x1000),
    ]);
    expect(out).toEqual([
      [B, 'arguments'],
      [A, 'arguments'],
    ]);
  });

  it('a scatterlist’s maps are its device’s while each starts where the last ended; another map is unattributed', () => {
    const { out, counts } = attribute([
      dmaMapSg(0, B, 3),
      map(0, 0xfff00000, 0x5000000, 0x2000),
      map(0, 0xfff02000, 0x7000000, 0x1000),
      map(0, 0xfff03000, 0x6000000, 0x1000),
      map(0, 0xfff40000, 0x8000000, 0x1000), // not contiguous, no probe: nobody's
    ]);
    expect(out).toEqual([
      [B, 'group'],
      [B, 'group'],
      [B, 'group'],
      [undefined, 'none'],
    ]);
    expect(counts.maps_by_group).toBe(3);
    expect(counts.maps_unattributed).toBe(1);
  });

  it('an unmap is __iommu_dma_unmap’s when its iova and size= are the probe’s rounded to pages', () => {
    const { out, counts } = attribute([
      dmaUnmap(0, A, 0xfffff0f2, 0x5f6), // 0xf2 + 0x5f6 bytes: one page at 0xfffff000
      unmap(0, 0xfffff000, 4096),
      unmap(0, 0xffffe000, 4096), // no probe
    ]);
    expect(out).toEqual([
      [A, 'arguments'],
      [undefined, 'none'],
    ]);
    expect(counts.unmaps_by_arguments).toBe(1);
    expect(counts.unmaps_unattributed).toBe(1);
  });

  it('probe hits are per CPU: an event on another CPU does not take them', () => {
    const { out, counts } = attribute([dmaMap(1, A, 0x1000000, 0x1000), map(0, 0xfffff000, 0x1000000, 0x1000)]);
    expect(out).toEqual([[undefined, 'none']]);
    expect(counts.probe_hits_unused).toBe(1);
  });

  it('a coherent allocation that went through __iommu_dma_map takes no later map as its group', () => {
    const { out } = attribute([
      dmaAlloc(0, A, 0x1a46),
      dmaMap(0, A, 0x3000000, 0x2000),
      map(0, 0xffffe000, 0x3000000, 0x2000),
      map(0, 0xffffc000, 0x9000000, 0x1000),
    ]);
    expect(out).toEqual([
      [A, 'arguments'],
      [undefined, 'none'],
    ]);
  });

  it('a remapped allocation maps like a scatterlist', () => {
    const { out } = attribute([
      dmaAlloc(0, A, 0x1a46),
      map(0, 0xffffe000, 0x63bb000, 4096),
      map(0, 0xfffff000, 0x63ba000, 4096),
    ]);
    expect(out).toEqual([
      [A, 'group'],
      [A, 'group'],
    ]);
  });

  it('an IOVA domain is the device whose calls allocate from it, by majority', () => {
    const { domains, counts } = attribute([
      dmaMap(0, A, 0x1000000, 0x1000),
      iovaAlloc(0, '0xffff1', 1),
      dmaMap(0, A, 0x1001000, 0x1000),
      iovaAlloc(0, '0xffff1', 1),
      dmaMap(0, B, 0x2000000, 0x1000),
      iovaAlloc(0, '0xffff1', 1), // a stray vote: B's probe, then A's allocation in an interrupt
      dmaMap(0, B, 0x2001000, 0x1000),
      iovaAlloc(0, '0xffff2', 1),
    ]);
    expect([...domains]).toEqual([
      ['0xffff1', A],
      ['0xffff2', B],
    ]);
    expect(counts.iova_domains).toBe(2);
    expect(counts.iova_domain_conflicts).toBe(1);
  });
});
