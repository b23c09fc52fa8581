/*
 * train/rng.c — PCG32 and the draws built on it (see rng.h).
 */
#include "train/rng.h"

#include <math.h>

/* The LCG multiplier of PCG's 64-bit state (Knuth's MMIX constant). */
#define PCG_MULT 6364136223846793005ULL

uint32_t tr_rng_u32(tr_rng *r)
{
    uint64_t old = r->state;
    r->state = old * PCG_MULT + r->inc;
    /* XSH RR: xorshift the high bits down, then rotate by the top 5 bits. */
    uint32_t xorshifted = (uint32_t)(((old >> 18) ^ old) >> 27);
    uint32_t rot = (uint32_t)(old >> 59);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

void tr_rng_seed(tr_rng *r, uint64_t seed, uint64_t stream)
{
    r->state = 0;
    r->inc = (stream << 1) | 1u;
    tr_rng_u32(r);
    r->state += seed;
    tr_rng_u32(r);
}

uint32_t tr_rng_below(tr_rng *r, uint32_t n)
{
    /* Reject the top (2^32 mod n) values so every residue is equally likely. */
    uint32_t threshold = (0u - n) % n;
    for (;;) {
        uint32_t x = tr_rng_u32(r);
        if (x >= threshold) return x % n;
    }
}

float tr_rng_uniform(tr_rng *r)
{
    return (float)(tr_rng_u32(r) >> 8) * (1.0f / 16777216.0f);   /* / 2^24 */
}

float tr_rng_range(tr_rng *r, float lo, float hi)
{
    return lo + (hi - lo) * tr_rng_uniform(r);
}

float tr_rng_normal(tr_rng *r)
{
    /* 1 - u is in (0, 1], so the log is finite. */
    double u1 = 1.0 - tr_rng_uniform(r), u2 = tr_rng_uniform(r);
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

void tr_rng_shuffle(tr_rng *r, int *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = tr_rng_below(r, (uint32_t)i);
        int t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

void tr_rng_fill_normal(tr_rng *r, float *w, size_t n, float mean, float std)
{
    for (size_t i = 0; i < n; i++) w[i] = mean + std * tr_rng_normal(r);
}

void tr_rng_he_init(tr_rng *r, float *w, size_t n, int fan_in)
{
    tr_rng_fill_normal(r, w, n, 0.0f, sqrtf(2.0f / (float)fan_in));
}
