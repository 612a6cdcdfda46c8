import { describe, expect, it } from 'vitest';
import { answerLines } from '../../cli/terminal-answer.ts';
import { runBenchmark } from '../../harness/benchmark.ts';

const hold = (strategies: string[], kernels = ['5.1']) =>
  runBenchmark({ workloads: ['hold:tables=1'], strategies, kernels, throughput: false, cpus: [1] });

describe('the answer in the terminal', () => {
  it('names the strategy with the smallest peak footprint: full-page (4 KiB) over genalloc (its 4 MiB pool)', async () => {
    expect(answerLines(await hold(['genalloc', 'full-page']), {}, 'r.md')).toBe(
      'Recommended, by peak footprint; the reasoning is in r.md:\n  full-page\n',
    );
  });

  it('names, per kernel, what holds where a variant’s setting does not', async () => {
    // dma-pool on a coherent IOMMU takes one 4 KiB page for 1 table; slab-dma32 a 16 KiB slab.
    const run = await hold(['slab-dma32', 'dma-pool:coherent_pool=0'], ['5.1', '6.18']);
    expect(answerLines(run, { objective: 'mean' }, 'r.md')).toBe(
      [
        'Recommended, by mean footprint; the reasoning is in r.md:',
        '  Linux 5.1: dma-pool:coherent_pool=0; where its setting does not hold, slab-dma32',
        '  Linux 6.18: dma-pool:coherent_pool=0; where its setting does not hold, slab-dma32',
        '',
      ].join('\n'),
    );
  });

  it('says nothing for a run of one strategy', async () => {
    expect(answerLines(await hold(['full-page']), {}, 'r.md')).toBe('');
  });
});
