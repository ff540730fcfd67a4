/* Counter-based random numbers for the C kernels: the C twin of
 * skgraphemb/_kernels/_random.py (numba) and of
 * skgraphemb.utils._random_state.mix64 (numpy); tests check that the three
 * give the same streams.
 *
 * SplitMix64 (Steele, Lea & Flood 2014): each independent item of work (one
 * walk, one permutation round) derives its own 64-bit state from
 * (seed, item index) and advances it by one add and a mix per draw, so
 * results depend on the seed and the item, never on the thread that runs it. */
#ifndef SKGRAPHEMB_RANDOM_H
#define SKGRAPHEMB_RANDOM_H

#include <stdint.h>

#define SGE_GOLDEN 0x9E3779B97F4A7C15ULL
#define SGE_ALWAYS_INLINE static inline __attribute__((always_inline))

/* SplitMix64's finaliser. */
SGE_ALWAYS_INLINE uint64_t sge_mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* A fresh stream for item `index` under `seed` (two rounds of the mixer). */
SGE_ALWAYS_INLINE uint64_t sge_item_state(uint64_t seed, uint64_t index) {
    return sge_mix(sge_mix(seed + SGE_GOLDEN) ^ (index * SGE_GOLDEN));
}

SGE_ALWAYS_INLINE uint64_t sge_next(uint64_t *state) {
    *state += SGE_GOLDEN;
    return sge_mix(*state);
}

/* Uniform double in [0, 1) from the top 53 bits. */
SGE_ALWAYS_INLINE double sge_next_float(uint64_t *state) {
    return (double)(sge_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

/* The integer in [0, n) that draw u stands for, 1 <= n < 2**32 (Lemire's
 * multiply-shift on the high 32 bits; bias at most n / 2**32). */
SGE_ALWAYS_INLINE int64_t sge_scale(uint64_t u, uint64_t n) { return (int64_t)(((u >> 32) * n) >> 32); }

/* Uniform integer in [0, n) for 1 <= n < 2**32 (sge_scale of the next draw). */
SGE_ALWAYS_INLINE int64_t sge_below(uint64_t *state, uint64_t n) { return sge_scale(sge_next(state), n); }

#endif /* SKGRAPHEMB_RANDOM_H */
