/* GET /api/reports/KIND: the reports of src/report over HTTP, for
 * coordinators; an interpreter may read only their own hours. Each report is
 * a few short scripts run one after the other (a chunk of days each), so
 * Redis is never held for long by a big period. libevent thread. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dragoman/clock.h"
#include "dragoman/log.h"
#include "dragoman/report.h"
#include "handlers.h"

#define PURGE_BATCH 500

typedef struct report_call {
    dm_server *srv;
    dm_reply_to to;
    dm_report_kind kind;
    dm_report *rep;
} report_call;

static void call_free(report_call *c)
{
    dm_report_free(c->rep);
    free(c);
}

static void finish(report_call *c)
{
    size_t len = 0;
    char *text = dm_report_render(c->rep, c->srv->cfg->timezone, &len);
    if (!text)
        dm_server_error(c->srv, &c->to, DM_ERR_INTERNAL, "out of memory for the report");
    else if (c->srv->net)
        dm_net_http_reply(c->srv->net, c->to.conn, 200, dm_report_content_type(c->rep), text, len);
    free(text);
    call_free(c);
}

static void on_step(void *ud, redisReply *reply);

static void next_step(report_call *c)
{
    const char *script;
    int argc;
    const char *const *argv;
    if (!dm_report_step(c->rep, &script, &argc, &argv)) {
        finish(c);
        return;
    }
    size_t *lens = malloc(((size_t)argc + 1) * sizeof *lens);
    bool sent = false;
    if (lens) {
        for (int i = 0; i < argc; i++)
            lens[i] = strlen(argv[i]);
        sent = dm_store_run(c->srv->store, script, argc, (const char **)argv, lens, on_step, c);
    }
    free(lens);
    if (!sent) {
        dm_server_error(c->srv, &c->to, DM_ERR_UNAVAILABLE, "storage is unreachable; try again");
        call_free(c);
    }
}

static void on_step(void *ud, redisReply *reply)
{
    report_call *c = ud;
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        dm_server_store_error(c->srv, &c->to, reply);
        call_free(c);
        return;
    }
    if (!dm_report_feed(c->rep, reply)) {
        dm_error("report %s: unexpected reply from storage", dm_report_kind_name(c->kind));
        dm_server_error(c->srv, &c->to, DM_ERR_INTERNAL, "internal error");
        call_free(c);
        return;
    }
    next_step(c);
}

/* Clinics see no reports; interpreters only their own row of the hours. */
static bool allowed(dm_server *srv, const dm_actor *actor, const dm_reply_to *to, dm_report_query *q)
{
    if (actor->role == DM_ROLE_COORDINATOR)
        return true;
    if (actor->role == DM_ROLE_INTERPRETER && q->kind == DM_REPORT_HOURS && q->by == DM_DIM_INTERPRETER) {
        snprintf(q->only_interpreter, sizeof q->only_interpreter, "%s", actor->subject);
        return true;
    }
    dm_server_error(srv, to, DM_ERR_FORBIDDEN, "%s",
                    actor->role == DM_ROLE_INTERPRETER
                        ? "an interpreter may read only their own hours: /api/reports/hours?by=interpreter"
                        : "reports are for coordinators");
    return false;
}

void dm_report_http(dm_server *srv, const dm_actor *actor, const dm_reply_to *to, const char *method,
                    const char *path, const char *query)
{
    dm_debug("report %s?%s", path, query);
    dm_report_kind kind;
    if (strcmp(method, "GET") != 0 || !dm_report_kind_parse(path, &kind)) {
        dm_server_error(srv, to, DM_ERR_NOT_FOUND, "no such report %s %s", method, path);
        return;
    }
    dm_report_query q;
    dm_proto_error err = {.code = DM_ERR_BAD_MESSAGE};
    char field[24];
    if (!dm_report_parse(kind, query, &q, field, err.message, sizeof err.message)) {
        snprintf(err.field, sizeof err.field, "%s", field);
        dm_server_reject(srv, to, &err);
        return;
    }
    if (!allowed(srv, actor, to, &q))
        return;
    report_call *c = calloc(1, sizeof *c);
    if (!c || !(c->rep = dm_report_new(&q))) {
        free(c);
        dm_server_error(srv, to, DM_ERR_INTERNAL, "out of memory");
        return;
    }
    c->srv = srv;
    c->to = *to;
    c->kind = kind;
    next_step(c);
}

/* ---- retention of free text, and the report indexes ---- */

#define REBUILD_BATCH "300"
#define COMPACT_BATCH "50"

typedef struct purge_call {
    dm_server *srv;
    int days;
    long long reindexed;
} purge_call;

static bool run_purge(purge_call *p);
static bool run_rebuild(purge_call *p);
static bool run_compact(purge_call *p);

/* The clock's first run after start (and each hour) first completes the
 * report indexes: requests closed before they existed are put in, a batch at
 * a time, once (report_rebuild.lua; reports also wait for it); then it gives
 * back the room that appends left in the day strings of earlier days
 * (report_compact.lua); then it purges. */
static void on_rebuilt(void *ud, redisReply *reply)
{
    purge_call *p = ud;
    bool ok = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
              reply->element[0]->type == REDIS_REPLY_INTEGER && reply->element[1]->type == REDIS_REPLY_INTEGER;
    if (!ok) {
        dm_error("report indexes: rebuild failed: %s", reply && reply->str ? reply->str : "no reply");
        free(p);
        return;
    }
    p->reindexed += reply->element[1]->integer;
    if (reply->element[0]->integer != 1) {
        if (!run_rebuild(p))
            free(p);
        return;
    }
    if (p->reindexed > 0)
        dm_info("report indexes: added %lld requests closed before they existed", p->reindexed);
    if (!run_compact(p))
        free(p);
}

static bool run_rebuild(purge_call *p)
{
    const char *argv[] = {REBUILD_BATCH, dm_report_zone_arg(dm_now_ms()), NULL};
    return dm_store_runv(p->srv->store, "report_rebuild", argv, on_rebuilt, p);
}

static void on_compacted(void *ud, redisReply *reply)
{
    purge_call *p = ud;
    if (!reply || reply->type != REDIS_REPLY_INTEGER)
        dm_error("report indexes: compacting failed: %s", reply && reply->str ? reply->str : "no reply");
    bool more = reply && reply->type == REDIS_REPLY_INTEGER && reply->integer > 0;
    if (!(more ? run_compact(p) : run_purge(p)))
        free(p);
}

static bool run_compact(purge_call *p)
{
    const char *argv[] = {COMPACT_BATCH, dm_report_zone_arg(dm_now_ms()), NULL};
    return dm_store_runv(p->srv->store, "report_compact", argv, on_compacted, p);
}

/* A full batch means more may be due: the next batch follows at once. */
static void on_purged(void *ud, redisReply *reply)
{
    purge_call *p = ud;
    bool more = false;
    if (reply && reply->type == REDIS_REPLY_INTEGER) {
        if (reply->integer > 0)
            dm_info("retention: removed the free text of %lld closed requests", reply->integer);
        more = reply->integer == PURGE_BATCH;
    } else if (reply && reply->type == REDIS_REPLY_ERROR) {
        dm_error("retention purge failed: %s", reply->str);
    }
    if (!more || !run_purge(p))
        free(p);
}

static bool run_purge(purge_call *p)
{
    dm_num d = dm_num_of(p->days), limit = dm_num_of(PURGE_BATCH);
    const char *argv[] = {d.s, limit.s};
    size_t lens[] = {strlen(d.s), strlen(limit.s)};
    return dm_store_run(p->srv->store, "report_purge", 2, argv, lens, on_purged, p);
}

void dm_report_purge(dm_server *srv, int days)
{
    purge_call *p = malloc(sizeof *p);
    if (!p)
        return;
    *p = (purge_call){srv, days, 0};
    if (!run_rebuild(p))
        free(p);
}
