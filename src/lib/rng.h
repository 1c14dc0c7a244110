/* Deterministic pseudo-random generator (xoshiro256**). The daemon seeds it
 * from getrandom(); tests and the simulator seed it from --seed. Not for keys. */
#ifndef LIB_RNG_H
#define LIB_RNG_H

#include <stddef.h>
#include <stdint.h>

struct rng {
    uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_u64(struct rng *r);
uint32_t rng_u32(struct rng *r);
/* Uniform in [0, 1). */
double rng_uniform(struct rng *r);
/* Standard normal (mean 0, deviation 1). */
double rng_normal(struct rng *r);
/* Exponential with the given mean. */
double rng_exponential(struct rng *r, double mean);
void rng_fill(struct rng *r, void *buf, size_t len);

#endif
