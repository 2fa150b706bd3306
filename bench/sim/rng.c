/* xoshiro256** seeded through splitmix64, as their authors recommend. */
#include "rng.h"

#include <math.h>

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void sim_rng_seed(sim_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_next(sim_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

static double to_unit(uint64_t x)
{
    return (double)(x >> 11) * 0x1.0p-53;
}

double sim_rng_uniform(sim_rng *r)
{
    return to_unit(sim_rng_next(r));
}

double sim_rng_exp(sim_rng *r, double mean)
{
    return -mean * log1p(-sim_rng_uniform(r));
}

double sim_rng_normal(sim_rng *r)
{
    double u = sim_rng_uniform(r), v = sim_rng_uniform(r);
    return sqrt(-2.0 * log1p(-u)) * cos(2.0 * M_PI * v);
}

double sim_hash_uniform(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t x = seed;
    x ^= splitmix(&x) ^ a;
    x ^= splitmix(&x) ^ b;
    x ^= splitmix(&x) ^ c;
    return to_unit(splitmix(&x));
}

double sim_dist_draw(const sim_dist *d, double normal)
{
    double v = d->mean;
    if (d->sd > 0 && d->mean > 0) {
        double s2 = log1p((d->sd * d->sd) / (d->mean * d->mean));
        v = exp(log(d->mean) - s2 / 2 + sqrt(s2) * normal);
    }
    if (v < d->min)
        v = d->min;
    if (d->max > 0 && v > d->max)
        v = d->max;
    return v;
}
