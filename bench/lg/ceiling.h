/* The Redis ceiling: redis-benchmark running the server's own candidates,
 * offer and accept scripts (EVALSHA after SCRIPT LOAD of the text the server loads) on
 * a data set where each call does real work. */
#ifndef DRAGOMAN_LG_CEILING_H
#define DRAGOMAN_LG_CEILING_H
#include <hiredis/hiredis.h>
#include <stdbool.h>

typedef struct lg_ceiling {
    double candidates_rps, offer_rps, accept_rps;
    double candidates_p50_ms, offer_p50_ms, accept_p50_ms;
    double cycle_rps; /* one candidates + one offer + one accept each, back to back */
    double prep_s;
    long calls, keyspace;
} lg_ceiling;

/* c must be a Redis of its own (the data set is large); host/port are
 * passed to redis-benchmark. calls per script. before and after (NULL for
 * none) are shell commands run just before the first benchmark and just after
 * the last, so that a profiler can count what the three scripts alone cost
 * (bench/callgrind.sh). */
bool lg_ceiling_run(redisContext *c, const char *host, int port, long calls, const char *before, const char *after,
                    lg_ceiling *out);

#endif
