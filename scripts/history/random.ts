import { mulberry32 } from '../../subgraphs/lib/seeded-random';

/**
 * Deterministic randomness for the seeded history: the same seed number always tells the same
 * story (which days are busy, who buys what, which payments fail), so a demo, a screenshot or a
 * bug report can be reproduced with `npm run seed -- --seed N`.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** An index drawn with the given (non-negative) weights. */
  weighted(weights: readonly number[]): number;
  /** A Poisson-distributed count with mean lambda (how many orders arrive in a day). */
  poisson(lambda: number): number;
}

/** The helpers a history needs, over the shared seeded generator (lib/seeded-random.ts). */
export function createRandom(seed: number): Random {
  const next = mulberry32(seed);
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    weighted(weights) {
      const total = weights.reduce((s, w) => s + w, 0);
      let r = next() * total;
      for (let i = 0; i < weights.length; i++) {
        r -= weights[i];
        if (r < 0) return i;
      }
      return weights.length - 1;
    },
    poisson(lambda) {
      // Knuth's method: fine for the daily means used here (well under 100).
      const limit = Math.exp(-lambda);
      let k = 0;
      let p = next();
      while (p > limit) {
        k++;
        p *= next();
      }
      return k;
    },
  };
}

/** Zipf-like popularity: rank 0 is the most popular; a few items take much of the demand. */
export function zipfWeights(n: number, exponent: number): number[] {
  return Array.from({ length: n }, (_, rank) => 1 / Math.pow(rank + 1, exponent));
}
