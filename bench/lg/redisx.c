/* Redis for the load generator: data set, memory, request states. */
#include "redisx.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dragoman/dispatch.h"
#include "dragoman/registry.h"
#include "dragoman/store.h"
#include "dragoman/token.h"

#define WINDOW 1000
#define MAX_ARGV 40

bool lg_script_load(redisContext *c, const char *name, const char *prefix, char sha[41])
{
    char *body = dm_store_script_text(name);
    if (!body)
        return false;
    size_t n = strlen(prefix) + strlen(body) + 2;
    char *text = malloc(n);
    redisReply *r = NULL;
    if (text) {
        snprintf(text, n, "%s%s", prefix, body);
        r = redisCommand(c, "SCRIPT LOAD %s", text);
    }
    bool ok = r && r->type == REDIS_REPLY_STRING && r->len == 40;
    if (ok)
        memcpy(sha, r->str, 41);
    else
        fprintf(stderr, "loadgen: SCRIPT LOAD %s: %s\n", name, r && r->type == REDIS_REPLY_ERROR ? r->str : "failed");
    freeReplyObject(r);
    free(text);
    free(body);
    return ok;
}

static long collect(redisContext *c, long *failed)
{
    redisReply *r = NULL;
    if (redisGetReply(c, (void **)&r) != REDIS_OK)
        return -1;
    if (r->type == REDIS_REPLY_ERROR && ++*failed <= 3)
        fprintf(stderr, "loadgen: script error: %s\n", r->str);
    freeReplyObject(r);
    return 0;
}

long lg_pipeline(redisContext *c, const char *sha, long n, lg_args_fn args, void *ud)
{
    long failed = 0, sent = 0, got = 0;
    const char *argv[MAX_ARGV + 3] = {"EVALSHA", sha, "0"};
    size_t lens[MAX_ARGV + 3] = {7, 40, 1};
    while (got < n) {
        while (sent < n && sent - got < WINDOW) {
            int argc = args(ud, sent++, argv + 3, lens + 3);
            redisAppendCommandArgv(c, argc + 3, argv, lens);
        }
        if (collect(c, &failed) < 0)
            return -1;
        got++;
    }
    return failed;
}

typedef struct seed_ctx {
    const lg_opts *o;
    long long grace;
    int kind; /* 0: clinic entries, 1: interpreter entries, 2: clinic tokens, 3: interpreter tokens */
    dm_registry_args reg;
    cJSON *doc;
    char id[40], hash[65];
} seed_ctx;

static int entry_args(void *ud, long i, const char **argv, size_t *lens)
{
    seed_ctx *s = ud;
    char json[256];
    bool clinic = s->kind == 0;
    snprintf(s->id, sizeof s->id, "lg-%c-%ld", clinic ? 'c' : 'i', i);
    if (clinic)
        snprintf(json, sizeof json,
                 "{\"name\":\"Bench clinic %ld\",\"area\":\"bench\",\"address\":\"%ld Bench Road\","
                 "\"contact\":\"+000 %ld\",\"origins\":[]}", i, i, i);
    else
        snprintf(json, sizeof json,
                 "{\"name\":\"Bench interpreter %ld\",\"languages\":{\"%s\":\"certified\"},\"gender\":\"%s\","
                 "\"modalities\":[\"phone\",\"video\"]}", i, s->o->langs[i % s->o->nlangs], i % 2 ? "female" : "male");
    cJSON_Delete(s->doc);
    s->doc = cJSON_Parse(json);
    dm_proto_error err;
    if (!dm_registry_upsert_args(clinic ? "clinic" : "interpreter", s->id, s->doc, s->grace, &s->reg, &err)) {
        fprintf(stderr, "loadgen: seed entry: %s\n", err.message);
        return 0;
    }
    for (int k = 0; k < s->reg.argc && k < MAX_ARGV; k++) {
        argv[k] = s->reg.argv[k];
        lens[k] = strlen(argv[k]);
    }
    return s->reg.argc < MAX_ARGV ? s->reg.argc : MAX_ARGV;
}

static int token_args(void *ud, long i, const char **argv, size_t *lens)
{
    seed_ctx *s = ud;
    bool clinic = s->kind == 2;
    char token[40];
    snprintf(token, sizeof token, "lg%c-%ld", clinic ? 'c' : 'i', i);
    snprintf(s->id, sizeof s->id, "lg-%c-%ld", clinic ? 'c' : 'i', i);
    dm_token_hash(token, s->hash);
    argv[0] = "issue";
    argv[1] = s->hash;
    argv[2] = clinic ? "clinic" : "interpreter";
    argv[3] = s->id;
    for (int k = 0; k < 4; k++)
        lens[k] = strlen(argv[k]);
    return 4;
}

bool lg_seed(redisContext *c, const lg_opts *o, long long grace_ms)
{
    char upsert[41], token[41];
    if (!lg_script_load(c, "upsert", "", upsert) || !lg_script_load(c, "token", "", token))
        return false;
    seed_ctx s = {.o = o, .grace = grace_ms};
    long failed = 0;
    const long counts[] = {o->clinics, o->interpreters, o->clinics, o->interpreters};
    for (s.kind = 0; s.kind < 4 && failed == 0; s.kind++)
        failed = lg_pipeline(c, s.kind < 2 ? upsert : token, counts[s.kind], s.kind < 2 ? entry_args : token_args, &s);
    cJSON_Delete(s.doc);
    return failed == 0;
}

/* One number of an INFO section, -1 on failure. */
static long long info_field(redisContext *c, const char *section, const char *field)
{
    redisReply *r = redisCommand(c, "INFO %s", section);
    long long v = -1;
    const char *p = r && r->type == REDIS_REPLY_STRING ? strstr(r->str, field) : NULL;
    if (p)
        v = atoll(p + strlen(field));
    freeReplyObject(r);
    return v;
}

long long lg_used_memory(redisContext *c)
{
    return info_field(c, "memory", "used_memory:");
}

int lg_redis_pid(redisContext *c)
{
    return (int)info_field(c, "server", "process_id:");
}

long long lg_rss(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    long long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atoll(line + 6);
    if (f)
        fclose(f);
    return kb < 0 ? -1 : kb * 1024;
}

static int cmp_rid(const void *a, const void *b)
{
    uint32_t x = ((const lg_rstate *)a)->rid, y = ((const lg_rstate *)b)->rid;
    return (x > y) - (x < y);
}

/* Request hashes are dm:r:r<digits>; their sets (:pending, :ex, :audit) are not. */
static bool request_key(const char *k)
{
    if (strncmp(k, "dm:r:r", 6) != 0 || !k[6])
        return false;
    for (const char *p = k + 6; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

/* One request's state and interpreter and that interpreter's job, read
 * atomically so a session ending meanwhile cannot look like a mismatch. */
#define READ_REQUEST                                                                                         \
    "local s = redis.call('HMGET', KEYS[1], 'state', 'interpreter') "                                     \
    "local j = s[2] and redis.call('HGET', 'dm:i:' .. s[2], 'job') or false " \
    "return {s[1] or '', s[2] or '', j or ''}"

static bool add_keys(redisContext *c, const redisReply *keys, lg_rstate **out, size_t *n, size_t *cap)
{
    for (size_t i = 0; i < keys->elements; i++)
        if (request_key(keys->element[i]->str))
            redisAppendCommand(c, "EVAL %s 1 %s", READ_REQUEST, keys->element[i]->str);
    for (size_t i = 0; i < keys->elements; i++) {
        if (!request_key(keys->element[i]->str))
            continue;
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK)
            return false;
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 4096;
            lg_rstate *m = realloc(*out, *cap * sizeof *m);
            if (!m) {
                freeReplyObject(r);
                return false;
            }
            *out = m;
        }
        lg_rstate *s = &(*out)[(*n)++];
        bool ok = r->type == REDIS_REPLY_ARRAY && r->elements == 3;
        s->rid = (uint32_t)strtoul(keys->element[i]->str + 6, NULL, 10);
        s->state = ok ? dm_req_state_parse(r->element[0]->str) : -1;
        snprintf(s->interp, sizeof s->interp, "%s", ok ? r->element[1]->str : "");
        snprintf(s->job, sizeof s->job, "%s", ok ? r->element[2]->str : "");
        freeReplyObject(r);
    }
    return true;
}

bool lg_requests(redisContext *c, lg_rstate **out, size_t *n)
{
    char cursor[32] = "0";
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    do {
        redisReply *r = redisCommand(c, "SCAN %s MATCH dm:r:r* COUNT 2000", cursor);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            freeReplyObject(r);
            return false;
        }
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        bool ok = add_keys(c, r->element[1], out, n, &cap);
        freeReplyObject(r);
        if (!ok)
            return false;
    } while (strcmp(cursor, "0") != 0);
    if (*n)
        qsort(*out, *n, sizeof **out, cmp_rid);
    return true;
}

/* Whether the state machine leads from a to b in any number of steps. */
static bool reachable(int a, int b)
{
    bool seen[DM_REQ__COUNT] = {false};
    int stack[DM_REQ__COUNT * DM_REV__COUNT], top = 0;
    stack[top++] = a;
    while (top > 0) {
        int s = stack[--top];
        if (s == b)
            return true;
        if (s < 0 || seen[s])
            continue;
        seen[s] = true;
        for (int ev = 0; ev < DM_REV__COUNT; ev++) {
            int t = dm_req_transition((dm_req_state)s, (dm_req_event)ev);
            if (t >= 0 && !seen[t])
                stack[top++] = t;
        }
    }
    return false;
}

static bool holds_job(const lg_rstate *s)
{
    return s->state == DM_REQ_ASSIGNED || s->state == DM_REQ_IN_SESSION;
}

static int cmp_interp(const void *a, const void *b)
{
    return strcmp(((const lg_rstate *)a)->interp, ((const lg_rstate *)b)->interp);
}

/* Assignments whose interpreter's job is another request, and interpreters
 * holding two (sorts after by interpreter). */
static void check_jobs(lg_rstate *after, size_t na, lg_loss *out)
{
    char want[16];
    for (size_t i = 0; i < na; i++) {
        snprintf(want, sizeof want, "r%u", after[i].rid);
        if (holds_job(&after[i]) && strcmp(after[i].job, want) != 0)
            out->job_mismatch++;
    }
    qsort(after, na, sizeof *after, cmp_interp);
    for (size_t i = 1; i < na; i++)
        if (holds_job(&after[i]) && holds_job(&after[i - 1]) && after[i].interp[0] &&
            strcmp(after[i].interp, after[i - 1].interp) == 0)
            out->double_booked++;
}

bool lg_compare_requests(redisContext *c, const lg_rstate *before, size_t nb, lg_loss *out)
{
    lg_rstate *after;
    size_t na;
    memset(out, 0, sizeof *out);
    if (!lg_requests(c, &after, &na))
        return false;
    out->before = (long)nb;
    out->after = (long)na;
    for (size_t i = 0; i < nb; i++) {
        const lg_rstate *b = &before[i];
        const lg_rstate *a = bsearch(b, after, na, sizeof *after, cmp_rid);
        if (!a) {
            out->missing++;
            continue;
        }
        if (!reachable(b->state, a->state))
            out->went_back++;
        if (holds_job(a) && holds_job(b) && strcmp(a->interp, b->interp) != 0)
            out->moved++;
    }
    check_jobs(after, na, out);
    free(after);
    return true;
}
