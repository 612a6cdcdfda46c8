// The mutants of the SLUB 6.18 model as variants of the live check (kernel-mutants.test.ts): the
// check's model thread loads this module and replays each beside the model.
import type { ModelVariant } from '../../kernel/live/model-protocol.ts';
import { Slub618Cache } from '../../strategies/slub/cache-6.18.ts';
import { slubModelOptions } from '../../strategies/slub/strategy.ts';
import { SLUB_MUTANTS } from '../mutants/slub-mutants.ts';

/** Each mutant, built from what the check builds its own model from. */
export const variants: ModelVariant[] = SLUB_MUTANTS.map((m) => {
  const v = m.variant(Slub618Cache);
  return { name: m.name, create: (input) => v.create(input.pages, slubModelOptions(input)) };
});
