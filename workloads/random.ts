import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** A seeded generator (xoroshiro128+): the same seed gives the same sequence on every machine. */
export interface Rng {
  /** A whole number in [from, to], unbiased. */
  int(from: number, to: number): number;
  /** A float in [0, 1). */
  float(): number;
}

export function seeded(seed: number): Rng {
  const g = xoroshiro128plus(seed);
  return {
    int: (from, to) => uniformInt(g, from, to),
    float: () => uniformFloat64(g),
  };
}
