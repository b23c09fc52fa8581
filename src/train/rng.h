/*
 * train/rng.h — the seeded random numbers of training: weight initialisation,
 * shuffling, augmentation, synthetic test data. One generator per purpose
 * (e.g. one for init, one per data-loading stream) makes a run reproducible
 * from its seeds alone, whatever order the purposes draw in.
 *
 * The generator is PCG32 (M. E. O'Neill, "PCG: A Family of Simple Fast
 * Space-Efficient Statistically Good Algorithms for Random Number Generation",
 * 2014; pcg-random.org): a 64-bit linear congruential state, output by an
 * xorshift and a state-dependent rotation to 32 bits. Period 2^64 per stream;
 * 2^63 independent streams chosen by `stream`. The sequence for a given
 * (seed, stream) is fixed forever: it is part of what a model card's seed means.
 *
 * A tr_rng is a plain value: no global state, no allocation; copy it to fork
 * a sequence. Not thread-safe to share; give each thread its own.
 */
#ifndef AUGUR_TRAIN_RNG_H
#define AUGUR_TRAIN_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct tr_rng {
    uint64_t state;
    uint64_t inc;        /* stream selector, always odd */
} tr_rng;

/* Seeds the generator (pcg32_srandom_r of the reference implementation). */
void tr_rng_seed(tr_rng *r, uint64_t seed, uint64_t stream);

uint32_t tr_rng_u32(tr_rng *r);
/* Uniform integer in [0, n), unbiased (rejection); n >= 1. */
uint32_t tr_rng_below(tr_rng *r, uint32_t n);
/* Uniform float in [0, 1), 24 random bits. */
float tr_rng_uniform(tr_rng *r);
/* Uniform float in [lo, hi). */
float tr_rng_range(tr_rng *r, float lo, float hi);
/* Standard normal (Box–Muller; two uniforms per draw, no cached spare, so the
 * state alone determines what comes next). */
float tr_rng_normal(tr_rng *r);

/* Fisher–Yates shuffle of idx[0..n). */
void tr_rng_shuffle(tr_rng *r, int *idx, size_t n);
/* w[i] ~ N(mean, std^2). */
void tr_rng_fill_normal(tr_rng *r, float *w, size_t n, float mean, float std);
/* He/Kaiming normal init for a layer followed by ReLU: N(0, 2 / fan_in). */
void tr_rng_he_init(tr_rng *r, float *w, size_t n, int fan_in);

#endif
