import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { choiceParam, intParam, type ParamValues, requiredString } from '../../core/params.ts';
import { specString, type Workload, type WorkloadContext, type WorkloadKind } from '../events.ts';
import { cpuFoldNotices } from './cpu-fold.ts';
import type { TraceFormat } from './detect.ts';
import { finish, type PassOptions, replay } from './pass.ts';
import { unchangedSince } from './source.ts';
import { Tracker } from './tracker.ts';

export { TraceError } from './errors.ts';

const params = {
  file: {
    kind: 'string',
    description: 'trace: native alloc,ID[,CPU[,TIMESTAMP]] lines or ftrace kmem text, plain or gzip',
    default: '',
  },
  size: {
    kind: 'int',
    description: 'table size: ftrace allocations kept when bytes_alloc equals it',
    default: 1024,
    min: 1,
    max: 1 << 30,
  },
  cache: {
    kind: 'string',
    description: 'keep one slab cache (kmalloc events: kmalloc-<size>, e.g. kmalloc-1k)',
    default: '',
  },
  site: { kind: 'string', description: 'keep one call_site function (the part before +)', default: '' },
} as const;

/** Where the events came from, for provenance (a type, not an interface, to fit Workload['info']). */
type TraceInfo = {
  readonly file: string;
  readonly sha256: string;
  readonly format: TraceFormat;
};

export interface TraceWorkload extends Workload {
  readonly info: TraceInfo;
}

export interface TraceKind extends WorkloadKind {
  create(params: ParamValues, ctx: WorkloadContext): TraceWorkload;
}

/**
 * Replay a real trace (see README.md here). create() reads the whole file once, hashing and checking
 * it, so a bad trace is refused before any run; each chunks() call streams it again from the start.
 * Trace CPU c runs on simulated CPU c % ctx.cpus; when the trace has more CPUs, its notices say so.
 */
export const trace: TraceKind = {
  name: 'trace',
  description: 'replay a real trace: native alloc,ID[,CPU] lines or Linux ftrace kmem events',
  params,
  create(values, ctx) {
    const file = requiredString('workload trace', values, 'file');
    const options: PassOptions = {
      size: intParam(values, 'size'),
      cache: choiceParam(values, 'cache'),
      site: choiceParam(values, 'site'),
      cpus: ctx.cpus,
    };
    const hash = createHash('sha256');
    let opened: Stats | undefined;
    const tracker = new Tracker();
    const { format } = finish(
      replay(file, options, tracker, { onBytes: (b) => hash.update(b), onOpen: (s) => (opened = s) }),
    );
    const unchanged = unchangedSince(file, () => opened);
    return {
      spec: specString('trace', params, values),
      kind: 'trace',
      category: 'real trace',
      params: values,
      info: { file, sha256: hash.digest('hex'), format },
      notices: cpuFoldNotices(file, tracker.maxCpu, ctx.cpus),
      *chunks() {
        yield* replay(file, options, new Tracker(), { onOpen: unchanged });
      },
    };
  },
};
