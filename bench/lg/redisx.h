/* The load generator's direct use of Redis (hiredis, blocking): the bench
 * data set written with the server's own scripts, memory figures, and the
 * request states compared across a server restart. */
#ifndef DRAGOMAN_LG_REDISX_H
#define DRAGOMAN_LG_REDISX_H
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lg.h"

/* SCRIPT LOAD of prefix + the script as the server loads it (dm_store_script_text); sha gets the hash. */
bool lg_script_load(redisContext *c, const char *name, const char *prefix, char sha[41]);
/* Runs n EVALSHA calls of sha, arguments from args(i, ...), 1000 in flight;
 * returns how many failed (-1 when the connection broke). */
typedef int (*lg_args_fn)(void *ud, long i, const char **argv, size_t *lens);
long lg_pipeline(redisContext *c, const char *sha, long n, lg_args_fn args, void *ud);

/* Clinics lg-c-K (token "lgc-K") and interpreters lg-i-K (token "lgi-K",
 * language K mod nlangs), through upsert.lua and token.lua. */
bool lg_seed(redisContext *c, const lg_opts *o, long long grace_ms);
/* INFO memory used_memory, -1 on failure. */
long long lg_used_memory(redisContext *c);
/* INFO server process_id: Redis on this machine, for its CPU; -1 on failure. */
int lg_redis_pid(redisContext *c);
/* VmRSS of a process in bytes, -1 when unreadable. */
long long lg_rss(int pid);

typedef struct lg_rstate {
    uint32_t rid;
    int state;
    char interp[40], job[40]; /* job: the interpreter's job field, read in the same step */
} lg_rstate;

/* Every request's state and interpreter, sorted by id. */
bool lg_requests(redisContext *c, lg_rstate **out, size_t *n);

typedef struct lg_loss {
    long before, after, missing, went_back, moved, job_mismatch, double_booked;
} lg_loss;
/* Compares the states before and after: none missing, none gone backwards
 * against the state machine (src/dispatch/state.c), no assignment moved,
 * every assigned interpreter's job is that request, and nobody holds two. */
bool lg_compare_requests(redisContext *c, const lg_rstate *before, size_t nb, lg_loss *out);

#endif
