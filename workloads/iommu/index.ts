import { ParamError } from '../../core/errors.ts';
import { choiceParam, intParam } from '../../core/params.ts';
import { formatSpec } from '../../core/spec.ts';
import { WORKLOAD_NAMES } from '../../core/workload-kind.ts';
import { ALLOC, ChunkWriter, type EventChunk, FREE, specString, type WorkloadKind } from '../events.ts';
import { seeded } from '../random.ts';
import { BufferFactory } from './buffers.ts';
import { type DmaCounters, DmaDomain } from './dma.ts';
import { SCENARIOS, type Scenario } from './scenarios.ts';
import { iommuTraceWorkload } from './trace.ts';

const params = {
  scenario: {
    kind: 'choice',
    description: SCENARIOS.map((s) => `${s.name}: ${s.description}`).join('; '),
    default: 'chromebook-day',
    choices: SCENARIOS.map((s) => s.name),
    identifies: true,
  },
  length: {
    kind: 'int',
    description: `how long the scenario runs, in its own unit (0: its default; ${SCENARIOS.map((s) => `${s.name} ${s.defaultLength} ${s.unit}`).join(', ')})`,
    default: 0,
    min: 0,
    max: 10_000_000,
  },
  teardown: {
    kind: 'int',
    description: '1: free the page table at the end (arm_v7s_free_pgtable), 0: leave it as the day ends',
    default: 0,
    min: 0,
    max: 1,
  },
  trace: {
    kind: 'string',
    description:
      'instead of a scenario, replay a trace of iommu:map/iommu:unmap events (tracefs text, l2bench record --iommu; gzip too)',
    default: '',
  },
} as const;

/** An iommu workload also tells what its last pass did inside the IOMMU model. */
interface IommuPass extends DmaCounters {
  table_allocs: number;
  table_frees: number;
  peak_tables: number;
}

/**
 * The io-pgtable-arm-v7s domain of an MT8173-like IOMMU, driven by a scenario of DMA buffers: its
 * L2-table allocations and frees are the events, table id = L1 slot, CPU = the CPU that mapped or
 * unmapped. The stream is the same for every strategy; a table a strategy places above 4 GiB is
 * the meter's dma32_violations (in the kernel: "Page table does not fit in PTE", a failed map).
 */
export const iommu: WorkloadKind = {
  name: WORKLOAD_NAMES.iommu,
  description:
    'IOMMU v7s page table driven by a scenario of DMA buffer maps and unmaps (dma-iommu, iova rcache), or by a recorded iommu:map/unmap trace',
  params,
  create(values, ctx) {
    const file = choiceParam(values, 'trace');
    if (file !== '') {
      if (intParam(values, 'length') !== 0)
        throw new ParamError('workload iommu: length= is for scenarios, not with trace=');
      const teardown = intParam(values, 'teardown');
      return {
        spec: formatSpec(WORKLOAD_NAMES.iommu, { trace: file, teardown }),
        kind: WORKLOAD_NAMES.iommu,
        // A real device's mappings, through the v5.1 v7s model: the tables it allocates are real.
        category: 'real trace',
        params: values,
        ...iommuTraceWorkload(file, ctx.cpus, teardown === 1),
      };
    }
    const scenario = SCENARIOS.find((s) => s.name === choiceParam(values, 'scenario')) as Scenario;
    const length = intParam(values, 'length') || scenario.defaultLength;
    const teardown = intParam(values, 'teardown') === 1;
    const last: IommuPass = {
      maps: 0,
      unmaps: 0,
      map_failures: 0,
      iova_failures: 0,
      table_allocs: 0,
      table_frees: 0,
      peak_tables: 0,
    };
    return {
      spec: specString('iommu', params, values),
      kind: WORKLOAD_NAMES.iommu,
      category: 'model',
      params: values,
      info: { model: 'io-pgtable-arm-v7s and dma-iommu model (v5.1), illustrative scenario' },
      lastPass: () => ({ ...last }),
      *chunks(): Iterable<EventChunk> {
        const w = new ChunkWriter();
        let tables = 0;
        const pass = { table_allocs: 0, table_frees: 0, peak_tables: 0 };
        const dma = new DmaDomain(ctx.cpus, {
          allocTable(slot, cpu) {
            w.push(ALLOC, slot, cpu);
            pass.table_allocs++;
            if (++tables > pass.peak_tables) pass.peak_tables = tables;
          },
          freeTable(slot, cpu) {
            w.push(FREE, slot, cpu);
            pass.table_frees++;
            tables--;
          },
        });
        const sctx = { dma, rng: seeded(ctx.seed), cpus: ctx.cpus, buffers: new BufferFactory() };
        for (const _ of scenario.run(sctx, length)) if (w.pending >= 4096) yield w.take();
        if (teardown) dma.teardown(0);
        if (w.pending > 0) yield w.take();
        Object.assign(last, dma.counters, pass);
      },
    };
  },
};
