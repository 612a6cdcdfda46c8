import type { ParamDefs, ParamValues } from '../../core/params.ts';
import { type EventChunk, specString, type WorkloadKind } from '../events.ts';
import { spread } from './params.ts';
import { Stream } from './stream.ts';

/**
 * A synthetic workload kind from its event script: the script drives a fresh Stream (seeded, with
 * the CPU spreading its `cpus` parameter asks for) and yields each chunk the stream fills.
 */
export function syntheticKind(def: {
  name: string;
  description: string;
  params: ParamDefs;
  /** The script: `cpus` is the machine's CPU count, for patterns that place events themselves. */
  events(s: Stream, values: ParamValues, cpus: number): Generator<EventChunk>;
}): WorkloadKind {
  return {
    name: def.name,
    description: def.description,
    params: def.params,
    create(values, ctx) {
      return {
        spec: specString(def.name, def.params, values),
        kind: def.name,
        category: 'synthetic',
        params: values,
        *chunks() {
          // A kind without a `cpus` parameter places its events itself (allocOn, freeOn).
          const s = new Stream(ctx.seed, ctx.cpus, 'cpus' in def.params && spread(values));
          yield* def.events(s, values, ctx.cpus);
          yield* s.rest();
        },
      };
    },
  };
}
