/* redis-benchmark sends the same arguments every time (its __rand_int__ gives
 * one random number per occurrence, and repeats stop it at the first error
 * reply), so each script gets a few lines of prefix that take the next
 * number N from a counter and turn it into a consistent set of arguments: a
 * searching request and six free interpreters for offer.lua, a pending offer
 * and its holder for accept.lua, none used twice. The script bodies are the
 * server's, unchanged. */
#include "ceiling.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dragoman/dispatch.h"
#include "lg.h"
#include "redisx.h"

#define BIG_GRACE "1000000000000" /* heartbeats never go stale during the run */

typedef struct prep {
    long n;
    const char *fmt, *lang;
    char buf[4][48];
} prep;

static int interp_args(void *ud, long i, const char **argv, size_t *lens)
{
    prep *p = ud;
    snprintf(p->buf[0], sizeof p->buf[0], p->fmt, i);
    snprintf(p->buf[1], sizeof p->buf[1], "{\"%s\":\"certified\"}", p->lang);
    const char *v[] = {"interpreter", p->buf[0], BIG_GRACE, "name", "Bench", "langs", "", "gender", "female",
                       "modalities", "phone,video", "active", "1"};
    snprintf(p->buf[2], sizeof p->buf[2], "%s:certified", p->lang);
    v[6] = p->buf[2];
    for (int k = 0; k < 13; k++) {
        argv[k] = v[k];
        lens[k] = strlen(v[k]);
    }
    return 13;
}

static int presence_args(void *ud, long i, const char **argv, size_t *lens)
{
    prep *p = ud;
    snprintf(p->buf[0], sizeof p->buf[0], p->fmt, i);
    argv[0] = p->buf[0];
    argv[1] = "available";
    argv[2] = BIG_GRACE;
    for (int k = 0; k < 3; k++)
        lens[k] = strlen(argv[k]);
    return 3;
}

static int create_args(void *ud, long i, const char **argv, size_t *lens)
{
    prep *p = ud;
    snprintf(p->buf[0], sizeof p->buf[0], "%s-%ld", p->lang, i);
    /* Scan 0: no first match, which would offer it before the benchmark does. */
    const char *v[] = {"bench-clinic", p->buf[0], "120000", "1800000", "0", "", "language", p->lang,
                       "modality", "video", "urgency", "now", "start_at", "0", "duration_min", "30"};
    for (int k = 0; k < 16; k++) {
        argv[k] = v[k];
        lens[k] = strlen(v[k]);
    }
    return 16;
}

/* offer.lua for request B+i with interpreter ba-i alone, fanout 1. */
static int offer_args(void *ud, long i, const char **argv, size_t *lens)
{
    prep *p = ud;
    snprintf(p->buf[0], sizeof p->buf[0], "r%ld", p->n + i);
    snprintf(p->buf[1], sizeof p->buf[1], "ba-%ld", i);
    const char *v[] = {p->buf[0], "1", "45000", BIG_GRACE, "", "0", p->buf[1]};
    for (int k = 0; k < 7; k++) {
        argv[k] = v[k];
        lens[k] = strlen(v[k]);
    }
    return 7;
}

static long seq_now(redisContext *c)
{
    redisReply *r = redisCommand(c, "GET dm:seq");
    long v = r && r->type == REDIS_REPLY_STRING ? atol(r->str) : 0;
    freeReplyObject(r);
    return v;
}

/* CREC's version ("EPOCH:N", _prelude.lua), so that candidates.lua runs as it
 * does for a server whose copy of CREC is current. */
static bool crec_version(redisContext *c, char *out, size_t len)
{
    redisReply *r = redisCommand(c, "HMGET dm:crecs epoch n");
    bool ok = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_STRING &&
              r->element[1]->type == REDIS_REPLY_STRING;
    if (ok)
        snprintf(out, len, "%s:%s", r->element[0]->str, r->element[1]->str);
    freeReplyObject(r);
    return ok;
}

static bool run_prep(redisContext *c, const char *script, long n, lg_args_fn fn, prep *p)
{
    char sha[41];
    return lg_script_load(c, script, "", sha) && lg_pipeline(c, sha, n, fn, p) == 0;
}

/* The data set: clinic bench-clinic; interpreters bo-0..6P-1 (language xb,
 * free) and ba-0..P-1 (xa); requests r(B)..r(B+P-1) in xb searching; requests
 * r(A)..r(A+P-1) in xa, each with one pending offer o(C+i) to ba-i. */
static bool prepare(redisContext *c, long P, long *B, long *C)
{
    const char *clinic[] = {"clinic", "bench-clinic", BIG_GRACE, "name", "Bench clinic", "active", "1"};
    char sha[41];
    if (!lg_script_load(c, "upsert", "", sha))
        return false;
    redisReply *r = redisCommand(c, "EVALSHA %s 0 %s %s %s %s %s %s %s", sha, clinic[0], clinic[1], clinic[2],
                                 clinic[3], clinic[4], clinic[5], clinic[6]);
    bool ok = r && r->type == REDIS_REPLY_ARRAY;
    freeReplyObject(r);
    prep bo = {.fmt = "bo-%ld", .lang = "xb"}, ba = {.fmt = "ba-%ld", .lang = "xa"};
    ok = ok && run_prep(c, "upsert", 6 * P, interp_args, &bo) && run_prep(c, "presence", 6 * P, presence_args, &bo);
    ok = ok && run_prep(c, "upsert", P, interp_args, &ba) && run_prep(c, "presence", P, presence_args, &ba);
    *B = seq_now(c) + 1;
    ok = ok && run_prep(c, "create", P, create_args, &bo);
    long A = seq_now(c) + 1;
    ok = ok && run_prep(c, "create", P, create_args, &ba) && seq_now(c) == A + P - 1;
    ba.n = A;
    *C = seq_now(c) + 1;
    ok = ok && run_prep(c, "offer", P, offer_args, &ba) && seq_now(c) == *C + P - 1;
    if (!ok)
        fprintf(stderr, "loadgen: the ceiling's data set could not be prepared\n");
    return ok;
}

/* Runs redis-benchmark; requests per second and p50 (ms) from its -q line. */
static bool bench(const char *host, int port, long calls, const char *sha, const char *args, double *rps, double *p50)
{
    char cmd[512], out[512];
    /* -q still draws progress with carriage returns: keep the final line only. */
    snprintf(cmd, sizeof cmd,
             "redis-benchmark -h %s -p %d -c 50 -n %ld -q EVALSHA %s 0 %s 2>&1 | tr '\\r' '\\n' | "
             "grep 'requests per second' | tail -n 1",
             host, port, calls, sha, args);
    FILE *f = popen(cmd, "r");
    size_t n = f ? fread(out, 1, sizeof out - 1, f) : 0;
    if (f)
        pclose(f);
    out[n] = '\0';
    const char *colon = strstr(out, ": "), *p = strstr(out, "p50=");
    *rps = colon ? atof(colon + 2) : 0;
    *p50 = p ? atof(p + 4) : 0;
    if (*rps <= 0)
        fprintf(stderr, "loadgen: no figure from: %s\n", cmd);
    return *rps > 0;
}

static bool shell(const char *cmd)
{
    if (!cmd)
        return true;
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "loadgen: \"%s\" failed (%d)\n", cmd, rc);
    return rc == 0;
}

bool lg_ceiling_run(redisContext *c, const char *host, int port, long calls, const char *before, const char *after,
                    lg_ceiling *out)
{
    long P = calls, B = 0, C = 0;
    memset(out, 0, sizeof *out);
    out->calls = calls;
    out->keyspace = P;
    double t0 = lg_now_us();
    if (!prepare(c, P, &B, &C))
        return false;
    out->prep_s = (lg_now_us() - t0) / 1e6;
    char from[64], prefix[512], cand[41], offer[41], accept[41], args[128], crecs[48];
    dm_req_states_from(DM_REV_ACCEPT, from, sizeof from);
    snprintf(prefix, sizeof prefix,
             "local bench_n = (redis.call('INCR', 'bench:offer') - 1) %% %ld\nARGV[1] = 'r' .. (%ld + bench_n)\n"
             "ARGV[2] = '3'\nARGV[3] = '45000'\nARGV[4] = '%s'\nARGV[5] = ''\nARGV[6] = '0'\n"
             "for j = 0, 5 do ARGV[7 + j] = 'bo-' .. (bench_n * 6 + j) end\n",
             P, B, BIG_GRACE);
    bool ok = lg_script_load(c, "candidates", "", cand) && lg_script_load(c, "offer", prefix, offer);
    snprintf(prefix, sizeof prefix,
             "local bench_n = (redis.call('INCR', 'bench:accept') - 1) %% %ld\nARGV[1] = 'o' .. (%ld + bench_n)\n"
             "ARGV[2] = 'ba-' .. bench_n\nARGV[3] = '%s'\nARGV[4] = '%s'\nARGV[6] = '0'\n",
             P, C, from, BIG_GRACE);
    ok = ok && lg_script_load(c, "accept", prefix, accept);
    ok = ok && crec_version(c, crecs, sizeof crecs);
    snprintf(args, sizeof args, "r%ld 256 %s", B, crecs);
    ok = ok && shell(before);
    ok = ok && bench(host, port, calls, cand, args, &out->candidates_rps, &out->candidates_p50_ms);
    ok = ok && bench(host, port, calls, offer, "next", &out->offer_rps, &out->offer_p50_ms);
    ok = ok && bench(host, port, calls, accept, "next", &out->accept_rps, &out->accept_p50_ms);
    ok = ok && shell(after);
    if (ok)
        out->cycle_rps = 1.0 / (1.0 / out->candidates_rps + 1.0 / out->offer_rps + 1.0 / out->accept_rps);
    return ok;
}
