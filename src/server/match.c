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

#include "dragoman/clock.h"
#include "dragoman/log.h"
#include "handlers.h"

#define WORK_PER_LANGUAGE 20
/* How often a request's match runs again at once when its claim got nobody
 * (another server took them first, or they went away meanwhile). */
#define MATCH_RETRIES 2

/* How a request's match runs: how often it may run again at once, whether
 * the clock found the request stalled (counted once it gets offers), whether
 * a freed interpreter is filling it (counted in srv->filling while the offer
 * call is out), and for a new request's first match when its create reached
 * the server (dm_mono_us, counted in dispatch_us_buckets once it gets
 * offers; 0 for other matches). */
typedef struct match_mode {
    int retries;
    bool stalled;
    bool filling;
    int64_t since;
} match_mode;

/* The same match run again at once, one retry fewer. */
static match_mode match_again(match_mode m)
{
    return (match_mode){m.retries - 1, m.stalled, false, m.since};
}

typedef struct match_call {
    dm_server *srv;
    char id[DM_ID_MAX + 1];
    match_mode mode;
    char crecs[48]; /* the version of srv->crecs a candidates call sent (dm_match_known) */
} match_call;

static void on_crecs(void *ud, redisReply *reply)
{
    dm_server *srv = ud;
    srv->crecs_loading = false;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2)
        dm_crecs_update(srv->crecs, "", reply->element[0], reply->element[1]);
}

const char *dm_match_known(dm_server *srv)
{
    const char *version = dm_crecs_version(srv->crecs);
    if (version[0])
        return version;
    if (!srv->crecs_loading) {
        const char *argv[] = {NULL};
        srv->crecs_loading = dm_store_runv(srv->store, "crecs", argv, on_crecs, srv);
    }
    return "-";
}

static void match_request(dm_server *srv, const char *rid, match_mode mode);

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

static void push_request_body(dm_server *srv, const redisReply *hash, cJSON *view)
{
    if (!view)
        return;
    const char *clinic = dm_view_field(hash, "clinic");
    const char *interp = dm_view_field(hash, "interpreter");
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

void dm_push_request(dm_server *srv, const redisReply *hash)
{
    dm_push_request_as(srv, hash, NULL);
}

void dm_push_request_as(dm_server *srv, const redisReply *hash, const char *view)
{
    push_request_body(srv, hash, view ? cJSON_CreateRaw(view) : dm_view_request(hash));
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

/* Looks for work for interpreter ids gathered one at a time, in calls of at
 * most DM_STORE_MAX_ARGS. */
typedef struct {
    const char *ids[DM_STORE_MAX_ARGS];
    size_t n;
} id_batch;

static void batch_add(dm_server *srv, id_batch *b, const char *iid)
{
    if (b->n == DM_STORE_MAX_ARGS) {
        dm_match_interpreters(srv, b->ids, b->n);
        b->n = 0;
    }
    b->ids[b->n++] = iid;
}

void dm_push_withdrawn(dm_server *srv, const redisReply *pairs, size_t from, const char *rid, const char *reason,
                       const redisReply *waits)
{
    if (!pairs || pairs->type != REDIS_REPLY_ARRAY)
        return;
    id_batch freed = {.n = 0};
    for (size_t i = from; i + 1 < pairs->elements; i += 2) {
        const char *oid = pairs->element[i]->str, *iid = pairs->element[i + 1]->str;
        if (!oid || !iid || !oid[0])
            break;
        dm_push_offer_withdrawn(srv, oid, iid, rid, reason);
        srv->counters.offers_withdrawn++;
        if (!waits)
            batch_add(srv, &freed, iid);
    }
    for (size_t i = 0; waits && waits->type == REDIS_REPLY_ARRAY && i < waits->elements; i++)
        if (waits->element[i]->str)
            batch_add(srv, &freed, waits->element[i]->str);
    dm_match_interpreters(srv, freed.ids, freed.n);
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
        if (dm_view_listed(pushable, iid))
            dm_webpush_offer(srv, iid, oid, deadline, request);
        srv->counters.offers_sent++;
    }
}

/* An offer.lua call: the first nreserved interpreters it names, those it
 * means to claim, stay reserved until it returns (server.h, dm_reserve). */
typedef struct offer_call {
    dm_server *srv;
    char rid[DM_ID_MAX + 1];
    match_mode mode;
    size_t nids, nreserved;
    char ids[][DM_ID_MAX + 1];
} offer_call;

static void offer_call_free(offer_call *o)
{
    for (size_t i = 0; i < o->nreserved; i++)
        dm_reserve_del(o->srv->reserved, o->ids[i]);
    if (o->mode.filling)
        dm_reserve_del(o->srv->filling, o->rid);
    free(o);
}

static void on_offer(void *ud, redisReply *reply)
{
    offer_call *o = ud;
    dm_server *srv = o->srv;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 4) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            dm_warn("offer for %s refused: %s", o->rid, reply->str);
        offer_call_free(o);
        return;
    }
    const redisReply *made = reply->element[1];
    if (made->elements > 0) {
        push_offers(srv, reply->element[0], made, reply->element[2]->integer, reply->element[3]);
        dm_push_request(srv, reply->element[0]);
        srv->counters.matches_stalled += o->mode.stalled;
        if (o->mode.since)
            dm_metrics_observe(dm_store_buckets_us, DM_STORE_NBUCKETS, srv->counters.dispatch_us_buckets,
                               &srv->counters.dispatch_us_sum, (double)(dm_mono_us() - o->mode.since));
    }
    bool again = made->elements == 0 && o->nids > 0 && o->mode.retries > 0 &&
                 strcmp(dm_view_field(reply->element[0], "state"), "searching") == 0;
    match_mode next = match_again(o->mode);
    char rid[DM_ID_MAX + 1];
    snprintf(rid, sizeof rid, "%s", o->rid);
    offer_call_free(o);
    if (again)
        match_request(srv, rid, next);
}

/* Offers rid to ids, in that order, up to the fan-out, reserving the first
 * `reserve` of them; mode.retries: how often the request's match may run
 * again if this claims nobody. */
static void run_offer(dm_server *srv, const char *rid, const char *miss, const char **ids, size_t n, size_t reserve,
                      match_mode mode)
{
    if (n > DM_STORE_MAX_ARGS - 6)
        n = DM_STORE_MAX_ARGS - 6;
    offer_call *o = malloc(sizeof *o + n * sizeof o->ids[0]);
    if (!o)
        return;
    o->srv = srv;
    snprintf(o->rid, sizeof o->rid, "%s", rid);
    o->mode = mode;
    o->mode.filling = mode.filling && dm_reserve_add(srv->filling, rid);
    o->nids = o->nreserved = 0;
    dm_num fanout = dm_num_of(srv->cfg->offer_fanout);
    dm_num timeout = dm_num_of((long long)srv->cfg->offer_timeout_s * 1000);
    dm_num grace = dm_grace(srv);
    dm_num deliver = dm_num_of((long long)srv->cfg->delivery_timeout_s * 1000);
    const char *argv[DM_STORE_MAX_ARGS + 1] = {rid, fanout.s, timeout.s, grace.s, miss, deliver.s};
    size_t argc = 6;
    for (size_t i = 0; i < n; i++) {
        snprintf(o->ids[o->nids], sizeof o->ids[0], "%s", ids[i]);
        if (o->nreserved == i && i < reserve && dm_reserve_add(srv->reserved, o->ids[i]))
            o->nreserved++;
        argv[argc++] = o->ids[o->nids++];
    }
    argv[argc] = NULL;
    if (!dm_store_runv(srv->store, "offer", argv, on_offer, o))
        offer_call_free(o);
}

/* The ids to offer, best first: twice the fan-out, since the claim may lose
 * some to another server meanwhile. Those another match here is offering
 * already go last, so that requests matched at the same moment claim
 * different interpreters instead of all losing to the first. */
static size_t pick(dm_server *srv, const dm_candidate *cands, const size_t *order, size_t ranked, const char **ids)
{
    size_t max = (size_t)srv->cfg->offer_fanout * 2, nids = 0, nlate = 0;
    if (max > DM_STORE_MAX_ARGS - 8)
        max = DM_STORE_MAX_ARGS - 8;
    const char *late[DM_STORE_MAX_ARGS];
    for (size_t i = 0; i < ranked && nids < max; i++) {
        const char *id = cands[order[i]].id;
        if (!dm_reserve_has(srv->reserved, id))
            ids[nids++] = id;
        else if (nlate < max)
            late[nlate++] = id;
    }
    for (size_t i = 0; i < nlate && nids < max; i++)
        ids[nids++] = late[i];
    return nids;
}

/* Room for n candidates in srv->cands and srv->order; false when out of memory. */
static bool match_room(dm_server *srv, size_t n)
{
    if (n <= srv->cands_room)
        return true;
    dm_candidate *cands = realloc(srv->cands, n * sizeof *cands);
    if (cands)
        srv->cands = cands;
    size_t *order = realloc(srv->order, n * sizeof *order);
    if (order)
        srv->order = order;
    if (!cands || !order)
        return false;
    srv->cands_room = n;
    return true;
}

/* Ranks and offers from a candidates.lua reply, or what create.lua adds to
 * the same (r: its elements from the request hash on, n of them): {request
 * hash, pending offers, ids, excluded, version, changes}. */
static void match_read(const match_call *m, redisReply *const *r, size_t n)
{
    dm_server *srv = m->srv;
    if (n < 2 || strcmp(dm_view_field(r[0], "state"), "searching") != 0 || r[1]->integer >= srv->cfg->offer_fanout)
        return;
    if (n < 6 || r[2]->type != REDIS_REPLY_STRING)
        return;
    bool updated = dm_crecs_update(srv->crecs, m->crecs, r[4], r[5]);
    size_t max = dm_view_lines(r[2]->str, r[2]->len);
    if (!match_room(srv, max ? max : 1))
        return;
    dm_candidate *cands = srv->cands;
    size_t *order = srv->order;
    size_t missing, valid = dm_view_candidates(r[2], srv->crecs, r[3], cands, max, &missing);
    if ((missing || !updated) && m->mode.retries > 0) {
        /* The copy lacks an interpreter in the free set, or could not take
         * what changed: read it all again. */
        dm_crecs_forget(srv->crecs);
        match_request(srv, m->id, match_again(m->mode));
        return;
    }
    dm_need need;
    dm_view_need(r[0], &need);
    size_t ranked = dm_dispatch_rank(&need, cands, valid, order);
    const char *miss = ranked ? "" : dm_unfilled_reason_name(dm_dispatch_miss(&need, cands, valid));
    const char *ids[DM_STORE_MAX_ARGS];
    size_t nids = pick(srv, cands, order, ranked, ids);
    long long pending = r[1]->integer;
    size_t want = (size_t)(srv->cfg->offer_fanout - pending);
    if (nids || pending == 0)
        run_offer(srv, m->id, miss, ids, nids, want, m->mode);
}

static void on_candidates(void *ud, redisReply *reply)
{
    match_call *m = ud;
    if (reply && reply->type == REDIS_REPLY_ARRAY)
        match_read(m, reply->element, reply->elements);
    free(m);
}

/* The call is freed here when it cannot be sent. */
static void match_request(dm_server *srv, const char *rid, match_mode mode)
{
    match_call *m = malloc(sizeof *m);
    if (!m)
        return;
    *m = (match_call){.srv = srv, .mode = mode};
    snprintf(m->id, sizeof m->id, "%s", rid);
    snprintf(m->crecs, sizeof m->crecs, "%s", dm_match_known(srv));
    dm_num scan = dm_num_of(srv->cfg->match_scan);
    const char *argv[] = {rid, scan.s, m->crecs, NULL};
    if (!dm_store_runv(srv->store, "candidates", argv, on_candidates, m))
        free(m);
}

void dm_match_created(dm_server *srv, const char *sent, const redisReply *reply, int64_t since)
{
    match_call m = {.srv = srv, .mode = {MATCH_RETRIES, false, false, since}};
    snprintf(m.id, sizeof m.id, "%s", dm_view_field(reply->element[1], "id"));
    snprintf(m.crecs, sizeof m.crecs, "%s", sent);
    match_read(&m, reply->element + 1, reply->elements - 1);
}

void dm_match_request(dm_server *srv, const char *rid)
{
    match_request(srv, rid, (match_mode){MATCH_RETRIES, false, false, 0});
}

void dm_match_stalled(dm_server *srv, const char *rid)
{
    match_request(srv, rid, (match_mode){MATCH_RETRIES, true, false, 0});
}

/* The waiting request the interpreter suits best: lowest queue score (urgent,
 * then oldest). work.lua sent only those with room for another offer; those
 * that other freed interpreters here are filling already may have none left.
 * False when none. */
static bool pick_work(dm_server *srv, const redisReply *waiting, const dm_candidate *c, dm_work_item *best)
{
    bool found = false;
    const char *p = waiting->str, *line;
    size_t len;
    dm_work_item w;
    while ((line = dm_view_line(&p, waiting->str + waiting->len, &len))) {
        if (!dm_view_work_item(line, len, &w) || (found && w.score >= best->score))
            continue;
        if (w.pending + dm_reserve_count(srv->filling, w.id) >= srv->cfg->offer_fanout)
            continue;
        if (dm_dispatch_eligible(&w.need, c) != DM_REJECT_NONE)
            continue;
        *best = w;
        found = true;
    }
    return found;
}

/* One interpreter of a work.lua reply: its id, its candidate record ("" when
 * it is not free after all) and the requests waiting for it. */
static void offer_work(dm_server *srv, const redisReply *id, const redisReply *rec, const redisReply *waiting)
{
    if (id->type != REDIS_REPLY_STRING || rec->type != REDIS_REPLY_STRING || waiting->type != REDIS_REPLY_STRING)
        return;
    /* Another match here is offering this interpreter something already. */
    if (rec->len == 0 || dm_reserve_has(srv->reserved, id->str))
        return;
    dm_candidate c;
    dm_work_item best;
    if (!dm_view_candidate(rec->str, rec->len, &c) || !pick_work(srv, waiting, &c, &best))
        return;
    const char *ids[] = {id->str};
    run_offer(srv, best.id, "", ids, 1, 1, (match_mode){0, false, true, 0});
}

static void on_work(void *ud, redisReply *reply)
{
    if (!reply || reply->type != REDIS_REPLY_ARRAY)
        return;
    for (size_t i = 0; i + 2 < reply->elements; i += 3)
        offer_work(ud, reply->element[i], reply->element[i + 1], reply->element[i + 2]);
}

void dm_match_interpreters(dm_server *srv, const char *const *iids, size_t n)
{
    dm_num limit = dm_num_of(WORK_PER_LANGUAGE), grace = dm_grace(srv), fanout = dm_num_of(srv->cfg->offer_fanout);
    while (n > 0) {
        const char *argv[DM_STORE_MAX_ARGS + 1] = {limit.s, grace.s, fanout.s};
        size_t argc = 3;
        for (; n > 0 && argc < DM_STORE_MAX_ARGS; n--)
            argv[argc++] = *iids++;
        argv[argc] = NULL;
        dm_store_runv(srv->store, "work", argv, on_work, srv);
    }
}

void dm_match_interpreter(dm_server *srv, const char *iid)
{
    dm_match_interpreters(srv, &iid, 1);
}
