/* What the load generator follows: requests by number (the server's ids are
 * "r" or "o" and a shared counter), and latency samples. */
#include <stdlib.h>
#include <time.h>

#include "../sim/sim.h"
#include "lg.h"

double lg_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

bool lg_track_init(lg *g, uint32_t slots)
{
    uint32_t n = 1;
    while (n < slots)
        n <<= 1;
    g->reqs = calloc(n, sizeof *g->reqs);
    g->reqmask = n - 1;
    return g->reqs != NULL;
}

/* The record of request rid, made on first sight. When the table is full
 * the oldest use of a slot is overwritten: it only loses a sample. */
lg_req *lg_req_get(lg *g, uint32_t rid)
{
    uint32_t h = (rid * 2654435761u) & g->reqmask;
    for (uint32_t probe = 0; probe < 64; probe++) {
        lg_req *r = &g->reqs[(h + probe) & g->reqmask];
        if (r->rid == rid)
            return r;
        if (r->rid == 0) {
            *r = (lg_req){.rid = rid};
            return r;
        }
    }
    lg_req *r = &g->reqs[h];
    *r = (lg_req){.rid = rid};
    return r;
}

void lg_sample(lg_samples *s, double us)
{
    if (s->n == s->cap) {
        long cap = s->cap ? s->cap * 2 : 65536;
        float *v = realloc(s->v, (size_t)cap * sizeof *v);
        if (!v)
            return;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = (float)us;
}

double lg_quantile_ms(lg_samples *s, double q)
{
    return sim_quantile(s->v, s->n, q, false) / 1000.0;
}

uint32_t lg_number(const char *id)
{
    if (!id || !id[0])
        return 0;
    return (uint32_t)strtoul(id + 1, NULL, 10);
}

double lg_uniform(lg *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return (double)(g->rng >> 11) * 0x1.0p-53;
}
