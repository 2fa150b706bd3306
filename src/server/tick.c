/* The clock: a few times a second, one Lua script expires offers past their
 * deadline, escalates and gives up on requests, and drops interpreters whose
 * heartbeats stopped. Deadlines live in Redis, so after a restart (of this
 * server or another) the first tick picks up whatever fell due meanwhile.
 * libevent thread. */
#include <cjson/cJSON.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dragoman/clock.h"
#include "dragoman/log.h"
#include "dragoman/report.h"
#include "handlers.h"

#define TICK_MS 250
#define TICK_LIMIT "200"
/* Every this many ticks the clock also looks for stalled requests (tick.lua),
 * those that have waited at least STALL_MS. */
#define STALL_TICKS 20
#define STALL_MS "3000"
#define HELLO_TIMEOUT_MS 10000
/* The retention purge: hourly, the first a little after start-up. */
#define PURGE_TICKS (3600 * 1000 / TICK_MS)
#define PURGE_FIRST_TICK 20

typedef struct alert_call {
    dm_server *srv;
    char kind[16];
} alert_call;

static void on_alert_request(void *ud, redisReply *reply)
{
    alert_call *a = ud;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements > 0) {
        dm_push_request(a->srv, reply);
        cJSON *body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "kind", a->kind);
        cJSON_AddItemToObject(body, "request", dm_view_request(reply));
        dm_server_deliver(a->srv, "coord", dm_proto_push("alert", body));
        if (strcmp(a->kind, "escalated") == 0)
            dm_match_request(a->srv, dm_view_field(reply, "id"));
    }
    free(a);
}

/* The tick names requests only; their current state is read before alerting. */
static void alert(dm_server *srv, const char *rid, const char *kind)
{
    alert_call *a = malloc(sizeof *a);
    if (!a)
        return;
    a->srv = srv;
    snprintf(a->kind, sizeof a->kind, "%s", kind);
    char key[DM_ID_MAX + 4];
    snprintf(key, sizeof key, "r:%s", rid);
    const char *argv[] = {key, NULL};
    if (!dm_store_runv(srv->store, "get", argv, on_alert_request, a))
        free(a);
}

static void handle_expired(dm_server *srv, const redisReply *list)
{
    for (size_t i = 0; i + 3 < list->elements; i += 4) {
        const char *oid = list->element[i]->str, *iid = list->element[i + 1]->str, *rid = list->element[i + 2]->str;
        bool undelivered = strcmp(list->element[i + 3]->str, "undelivered") == 0;
        dm_push_offer_withdrawn(srv, oid, iid, rid, undelivered ? "undelivered" : "expired");
        if (undelivered)
            dm_webpush_receipt(srv, oid, rid, iid, "undelivered", "");
        srv->counters.offers_expired++;
        dm_match_request(srv, rid);
        dm_match_interpreter(srv, iid);
    }
}

/* {rid, oid, iid, ..., "", rid, ...}: each request then the offers it withdrew. */
static void handle_unfilled(dm_server *srv, const redisReply *list)
{
    size_t i = 0;
    while (i < list->elements) {
        const char *rid = list->element[i]->str;
        size_t end = i + 1;
        while (end < list->elements && list->element[end]->str[0])
            end++;
        redisReply offers = {.type = REDIS_REPLY_ARRAY, .elements = end - i - 1, .element = &list->element[i + 1]};
        dm_push_withdrawn(srv, &offers, 0, rid, "unfilled", NULL);
        srv->counters.requests_unfilled++;
        alert(srv, rid, "unfilled");
        i = end + 1;
    }
}

static void on_tick(void *ud, redisReply *reply)
{
    dm_server *srv = ud;
    srv->tick_running = false;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 6) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            dm_error("tick failed: %s", reply->str);
        return;
    }
    handle_expired(srv, reply->element[0]);
    for (size_t i = 0; i < reply->element[1]->elements; i++) {
        srv->counters.requests_escalated++;
        alert(srv, reply->element[1]->element[i]->str, "escalated");
    }
    handle_unfilled(srv, reply->element[2]);
    for (size_t i = 0; i < reply->element[3]->elements; i++) {
        cJSON *body = cJSON_CreateObject();
        cJSON *who = cJSON_AddObjectToObject(body, "interpreter");
        cJSON_AddStringToObject(who, "id", reply->element[3]->element[i]->str);
        cJSON_AddStringToObject(who, "status", "offline");
        dm_server_deliver(srv, "coord", dm_proto_push("presence", body));
    }
    for (size_t i = 0; i < reply->element[4]->elements; i++)
        dm_match_request(srv, reply->element[4]->element[i]->str);
    for (size_t i = 0; i < reply->element[5]->elements; i++)
        dm_match_stalled(srv, reply->element[5]->element[i]->str);
}

/* A connection that never says hello holds resources for nothing. */
static void close_silent(dm_conn *c, void *ud)
{
    dm_server *srv = ud;
    if (c->actor.role == DM_ROLE_NONE && !c->authing && dm_now_ms() - c->opened_ms > HELLO_TIMEOUT_MS)
        dm_net_close(srv->net, c->id, 1008, "no hello within 10 s");
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    dm_server *srv = arg;
    if (++srv->ticks % 4 == 0) {
        dm_conns_each(srv->conns, close_silent, srv);
        if (dm_store_up(srv->store))
            dm_call_sweep(srv);
    }
    if (srv->ticks % PURGE_TICKS == PURGE_FIRST_TICK && dm_store_up(srv->store))
        dm_report_purge(srv, srv->cfg->notes_retention_days);
    if (srv->tick_running || !dm_store_up(srv->store))
        return;
    dm_num grace = dm_grace(srv);
    dm_num unfilled = dm_num_of((long long)srv->cfg->unfilled_after_s * 1000);
    dm_num esc = dm_num_of((long long)srv->cfg->escalate_after_s * 1000);
    const char *zone = dm_report_zone_arg(dm_now_ms());
    const char *stall = srv->ticks % STALL_TICKS == 0 ? STALL_MS : "";
    const char *argv[] = {grace.s, unfilled.s, TICK_LIMIT, esc.s, zone, stall, NULL};
    srv->tick_running = dm_store_runv(srv->store, "tick", argv, on_tick, srv);
}

bool dm_tick_start(dm_server *srv)
{
    srv->tick = event_new(srv->base, -1, EV_PERSIST, on_timer, srv);
    if (!srv->tick)
        return false;
    struct timeval tv = {0, TICK_MS * 1000};
    return event_add(srv->tick, &tv) == 0;
}

void dm_tick_stop(dm_server *srv)
{
    if (srv->tick)
        event_free(srv->tick);
    srv->tick = NULL;
}
