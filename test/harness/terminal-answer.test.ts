import { describe, expect, it } from 'vitest';
import { answerLines } from '../../cli/terminal-answer.ts';
import { runBenchmark } from '../../harness/benchmark.ts';
import { blankRecord, completeRun, withTotals } from '../records.ts';

const hold = (strategies: string[], kernels = ['5.1']) =>
  runBenchmark({ workloads: ['hold:tables=1'], strategies, kernels, throughput: false, cpus: [1] });

describe('the answer in the terminal', () => {
  it('names the strategy that holds the least: full-page (4 KiB) over genalloc (its 4 MiB pool), under every aggregation', async () => {
    expect(answerLines(await hold(['genalloc', 'full-page']), {}, 'r.md')).toBe(
      'Recommended, by peak held; the reasoning is in r.md:\n  full-page (least under every aggregation)\n',
    );
  });

  it('names, per platform and kernel, a strategy the platform can use, never one it cannot', async () => {
    // dma-pool on a coherent IOMMU would take one 4 KiB page for 1 table against slab-dma32's 16 KiB
    // slab, but MT8173's IOMMU is not coherent: a dma_pool's memory is remapped there, so the variant
    // is not applicable, and slab-dma32 is the answer.
    const run = await hold(['slab-dma32', 'dma-pool:coherent_pool=0'], ['5.1', '6.18']);
    expect(answerLines(run, { objective: 'mean' }, 'r.md')).toBe(
      [
        'Recommended, by mean held; the reasoning is in r.md:',
        '  mt8173, Linux 5.1: slab-dma32 (least under every aggregation)',
        '  mt8173, Linux 6.18: slab-dma32 (least under every aggregation)',
        '',
      ].join('\n'),
    );
  });

  it('says nothing for a run of one strategy', async () => {
    expect(answerLines(await hold(['full-page']), {}, 'r.md')).toBe('');
  });
});

describe('the answer in the terminal, with a tie', () => {
  it('names the strategies equal to the answer under every aggregation', () => {
    // Under TTBR_EXT (or on a board below 4 GiB) the cache without DMA32 places its tables as well as
    // slab-dma32, and holds the same: 16 KiB each for 8 tables, against full-page's 32 KiB.
    const at = (strategy: string, bytes: number) =>
      blankRecord(
        { workload: 'hold:tables=8', strategy, cpus: 4, seed: 1 },
        withTotals({ allocs: 8, events: 8, peak_live_tables: 8, peak_footprint_bytes: bytes }),
      );
    const run = completeRun([at('slab-dma32', 16384), at('slab-normal', 16384), at('full-page', 32768)]);
    expect(answerLines(run, {}, 'r.md')).toBe(
      'Recommended, by peak held; the reasoning is in r.md:\n  slab-dma32 (least under every aggregation, equal to slab-normal)\n',
    );
  });
});
