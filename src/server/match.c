/* Offering: read the free interpreters of a request's language, let the
 * dispatch policy rank them, and claim the best in one Lua script. Or the other
 * way round: an interpreter became free, so find the oldest waiting request
 * they suit. Redis decides who really gets the offer (the claim re-checks every
 * state); the policy decides who should. libevent thread. */
#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dragoman/log.h"
#include "handlers.h"

#define WORK_PER_LANGUAGE 20

typedef struct match_call {
    dm_server *srv;
    char id[DM_ID_MAX + 1];
} match_call;

static match_call *match_call_new(dm_server *srv, const char *id)
{
    match_call *m = malloc(sizeof *m);
    if (!m)
        return NULL;
    m->srv = srv;
    snprintf(m->id, sizeof m->id, "%s", id);
    return m;
}

/* Runs a matching script; the call is freed here when it cannot be sent. */
static void match_run(dm_server *srv, const char *id, const char *script, const char *const *argv, dm_store_cb cb)
{
    match_call *m = match_call_new(srv, id);
    if (m && !dm_store_runv(srv->store, script, argv, cb, m))
        free(m);
}

static void push_to(dm_server *srv, const char *prefix, const char *id, char *msg)
{
    char target[DM_ID_MAX + 8];
    snprintf(target, sizeof target, "%s%s", prefix, id);
    dm_server_deliver(srv, target, msg);
}

void dm_push_interpreter(dm_server *srv, const char *iid, char *msg)
{
    push_to(srv, "i:", iid, msg);
}

void dm_push_request(dm_server *srv, const redisReply *hash)
{
    const char *clinic = dm_view_field(hash, "clinic");
    const char *interp = dm_view_field(hash, "interpreter");
    cJSON *view = dm_view_request(hash);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddItemToObject(body, "request", view);
    char *msg = dm_proto_push("request", body);
    if (!msg)
        return;
    if (interp[0])
        push_to(srv, "i:", interp, strdup(msg));
    push_to(srv, "c:", clinic, strdup(msg));
    dm_server_deliver(srv, "coord", msg);
}

void dm_push_offer_withdrawn(dm_server *srv, const char *oid, const char *iid, const char *rid, const char *reason)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "offer", oid);
    cJSON_AddStringToObject(body, "request", rid);
    cJSON_AddStringToObject(body, "reason", reason);
    push_to(srv, "i:", iid, dm_proto_push("offer.withdrawn", body));
    dm_webpush_withdrawn(srv, iid, oid, reason);
}

void dm_push_withdrawn(dm_server *srv, const redisReply *pairs, size_t from, const char *rid, const char *reason)
{
    if (!pairs || pairs->type != REDIS_REPLY_ARRAY)
        return;
    for (size_t i = from; i + 1 < pairs->elements; i += 2) {
        const char *oid = pairs->element[i]->str, *iid = pairs->element[i + 1]->str;
        if (!oid || !iid || !oid[0])
            break;
        dm_push_offer_withdrawn(srv, oid, iid, rid, reason);
        srv->counters.offers_withdrawn++;
        dm_match_interpreter(srv, iid);
    }
}

static bool listed(const redisReply *ids, const char *id)
{
    for (size_t i = 0; i < ids->elements; i++)
        if (ids->element[i]->str && strcmp(ids->element[i]->str, id) == 0)
            return true;
    return false;
}

/* Over the WebSocket to every open app, and by Web Push to the phones of
 * those who have them (pushable). */
static void push_offers(dm_server *srv, const redisReply *request, const redisReply *made, int64_t deadline,
                        const redisReply *pushable)
{
    for (size_t i = 0; i + 1 < made->elements; i += 2) {
        const char *oid = made->element[i]->str, *iid = made->element[i + 1]->str;
        cJSON *body = cJSON_CreateObject();
        cJSON_AddItemToObject(body, "offer", dm_view_offer(oid, deadline, request));
        dm_push_interpreter(srv, iid, dm_proto_push("offer", body));
        if (listed(pushable, iid))
            dm_webpush_offer(srv, iid, oid, deadline, request);
        srv->counters.offers_sent++;
    }
}

static void on_offer(void *ud, redisReply *reply)
{
    match_call *m = ud;
    dm_server *srv = m->srv;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 4) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            dm_warn("offer for %s refused: %s", m->id, reply->str);
        free(m);
        return;
    }
    const redisReply *made = reply->element[1];
    if (made->elements > 0) {
        push_offers(srv, reply->element[0], made, reply->element[2]->integer, reply->element[3]);
        dm_push_request(srv, reply->element[0]);
    }
    free(m);
}

static void run_offer(dm_server *srv, const char *rid, const char *miss, const char **ids, size_t n)
{
    dm_num fanout = dm_num_of(srv->cfg->offer_fanout);
    dm_num timeout = dm_num_of((long long)srv->cfg->offer_timeout_s * 1000);
    dm_num grace = dm_grace(srv);
    dm_num deliver = dm_num_of((long long)srv->cfg->delivery_timeout_s * 1000);
    const char *argv[DM_STORE_MAX_ARGS + 1] = {rid, fanout.s, timeout.s, grace.s, miss, deliver.s};
    size_t argc = 6;
    for (size_t i = 0; i < n && argc < DM_STORE_MAX_ARGS; i++)
        argv[argc++] = ids[i];
    argv[argc] = NULL;
    match_run(srv, rid, "offer", argv, on_offer);
}

static void on_candidates(void *ud, redisReply *reply)
{
    match_call *m = ud;
    dm_server *srv = m->srv;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 2)
        goto done;
    const redisReply *request = reply->element[0];
    long long pending = reply->element[1]->integer;
    if (strcmp(dm_view_field(request, "state"), "searching") != 0 || pending >= srv->cfg->offer_fanout)
        goto done;
    const redisReply *recs = reply->elements > 2 ? reply->element[2] : NULL;
    if (!recs || recs->type != REDIS_REPLY_STRING)
        goto done;
    size_t n = recs->len ? 1 : 0;
    for (size_t i = 0; i < recs->len; i++)
        n += recs->str[i] == '\n';
    dm_candidate *cands = calloc(n ? n : 1, sizeof *cands);
    size_t *order = calloc(n ? n : 1, sizeof *order);
    if (!cands || !order) {
        free(cands);
        free(order);
        goto done;
    }
    size_t valid = dm_view_candidates(recs->str, recs->len, cands, n);
    dm_need need;
    dm_view_need(request, &need);
    size_t ranked = dm_dispatch_rank(&need, cands, valid, order);
    const char *miss = ranked ? "" : dm_unfilled_reason_name(dm_dispatch_miss(&need, cands, valid));
    const char *ids[DM_STORE_MAX_ARGS];
    size_t nids = 0;
    /* Twice the fan-out: the claim may lose some to another server meanwhile. */
    for (size_t i = 0; i < ranked && nids < (size_t)srv->cfg->offer_fanout * 2 && nids < DM_STORE_MAX_ARGS - 8; i++)
        ids[nids++] = cands[order[i]].id;
    if (nids || pending == 0)
        run_offer(srv, m->id, miss, ids, nids);
    free(cands);
    free(order);
done:
    free(m);
}

void dm_match_request(dm_server *srv, const char *rid)
{
    dm_num scan = dm_num_of(srv->cfg->match_scan), grace = dm_grace(srv);
    const char *argv[] = {rid, scan.s, grace.s, NULL};
    match_run(srv, rid, "candidates", argv, on_candidates);
}

/* The waiting request the interpreter suits best: lowest queue score (urgent,
 * then oldest) among those with room for another offer. False when none. */
static bool pick_work(dm_server *srv, const redisReply *waiting, const dm_candidate *c, dm_work_item *best)
{
    bool found = false;
    const char *p = waiting->str, *end = p + waiting->len;
    for (dm_work_item w; p < end; p++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        bool ok = dm_view_work_item(p, len, &w);
        p += len;
        if (!ok || w.pending >= srv->cfg->offer_fanout || (found && w.score >= best->score))
            continue;
        if (dm_dispatch_eligible(&w.need, c) != DM_REJECT_NONE)
            continue;
        *best = w;
        found = true;
    }
    return found;
}

static void on_work(void *ud, redisReply *reply)
{
    match_call *m = ud;
    bool whole = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
                 reply->element[0]->type == REDIS_REPLY_STRING && reply->element[1]->type == REDIS_REPLY_STRING;
    dm_candidate c;
    dm_work_item best;
    if (whole && dm_view_candidate(reply->element[0]->str, reply->element[0]->len, &c) &&
        pick_work(m->srv, reply->element[1], &c, &best)) {
        const char *ids[] = {m->id};
        run_offer(m->srv, best.id, "", ids, 1);
    }
    free(m);
}

void dm_match_interpreter(dm_server *srv, const char *iid)
{
    dm_num limit = dm_num_of(WORK_PER_LANGUAGE), grace = dm_grace(srv);
    const char *argv[] = {iid, limit.s, grace.s, NULL};
    match_run(srv, iid, "work", argv, on_work);
}
