/* Random numbers for the simulator: a small fast generator per stream, and a
 * hash that turns (seed, a, b, c) into the same number every time, so an
 * interpreter answers a given request the same way whichever policy is being
 * compared ("common random numbers": differences come from the policy, not
 * from luck). */
#ifndef DRAGOMAN_SIM_RNG_H
#define DRAGOMAN_SIM_RNG_H
#include <stdint.h>

typedef struct sim_rng {
    uint64_t s[4];
} sim_rng;

/* A stream of its own for each (seed, stream) pair. */
void sim_rng_seed(sim_rng *r, uint64_t seed, uint64_t stream);
uint64_t sim_rng_next(sim_rng *r);
/* Uniform in [0, 1). */
double sim_rng_uniform(sim_rng *r);
/* Exponential with the given mean. */
double sim_rng_exp(sim_rng *r, double mean);
/* Standard normal. */
double sim_rng_normal(sim_rng *r);

/* Uniform in [0, 1) from four keys; the same keys give the same number. */
double sim_hash_uniform(uint64_t seed, uint64_t a, uint64_t b, uint64_t c);

/* A positive quantity with the given mean and standard deviation (lognormal;
 * a constant when sd is 0), clipped to [min, max] when max > 0. */
typedef struct sim_dist {
    double mean, sd, min, max;
} sim_dist;
double sim_dist_draw(const sim_dist *d, double normal);

#endif
