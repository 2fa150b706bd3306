/* The HTTP API, for systems that cannot hold a WebSocket: the same messages
 * and the same handlers, with the bearer token standing in for hello.
 * libevent thread. */
#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dragoman/clock.h"
#include "dragoman/log.h"
#include "dragoman/token.h"
#include "handlers.h"

typedef struct http_call {
    dm_server *srv;
    uint64_t conn;
    int64_t received_us;
    char method[8];
    char path[256];
    char query[512];
    char *body;
    size_t len;
} http_call;

static void http_call_free(http_call *c)
{
    free(c->body);
    free(c);
}

static void reply_text(dm_server *srv, uint64_t conn, int status, const char *type, const char *text)
{
    dm_net_http_reply(srv->net, conn, status, type, text, strlen(text));
}

static void healthz(dm_server *srv, uint64_t conn)
{
    bool up = dm_store_up(srv->store);
    reply_text(srv, conn, up ? 200 : 503, "application/json",
               up ? "{\"status\":\"ok\",\"redis\":\"up\"}" : "{\"status\":\"degraded\",\"redis\":\"down\"}");
}

typedef struct metrics_call {
    dm_server *srv;
    uint64_t conn;
} metrics_call;

static void on_stats(void *ud, redisReply *reply)
{
    metrics_call *m = ud;
    /* A reply after shutdown began has nobody to go to (and no net to count). */
    if (!m->srv->net) {
        free(m);
        return;
    }
    bool ok = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 2;
    char *text = dm_metrics_text(m->srv, ok ? reply : NULL);
    reply_text(m->srv, m->conn, text ? 200 : 500, "text/plain; version=0.0.4", text ? text : "");
    free(text);
    free(m);
}

/* The counts by state live in Redis; without Redis, /metrics still answers
 * with what this process knows (and dragoman_redis_up 0). */
static void metrics(dm_server *srv, uint64_t conn)
{
    metrics_call *m = malloc(sizeof *m);
    if (!m)
        return;
    *m = (metrics_call){srv, conn};
    dm_num grace = dm_grace(srv);
    const char *argv[] = {grace.s, NULL};
    if (!dm_store_runv(srv->store, "stats", argv, on_stats, m))
        on_stats(m, NULL);
}

/* Decodes the body as a message of the given type, with the id from the URL
 * (when ref_field is set) standing in for the body's; refusals are answered here. */
static bool decode_as(dm_server *srv, const dm_reply_to *to, const http_call *c, dm_msg_type type,
                      const char *ref_field, const char *ref, dm_msg *msg)
{
    dm_proto_error err;
    cJSON *o = c->len ? dm_proto_parse(c->body, c->len, &err) : cJSON_CreateObject();
    if (!o) {
        dm_server_reject(srv, to, &err);
        return false;
    }
    if (ref_field) {
        cJSON_DeleteItemFromObject(o, ref_field);
        cJSON_AddStringToObject(o, ref_field, ref);
    }
    bool ok = dm_proto_decode_body(type, o, msg, &err);
    cJSON_Delete(o);
    if (!ok)
        dm_server_reject(srv, to, &err);
    return ok;
}

static void on_get_request(void *ud, redisReply *reply)
{
    dm_hctx *h = ud;
    if (dm_hctx_failed(h, reply))
        return;
    const char *clinic = dm_view_field(reply, "clinic"), *interp = dm_view_field(reply, "interpreter");
    bool mine = h->actor.role == DM_ROLE_COORDINATOR ||
                (h->actor.role == DM_ROLE_CLINIC && strcmp(clinic, h->actor.subject) == 0) ||
                (h->actor.role == DM_ROLE_INTERPRETER && strcmp(interp, h->actor.subject) == 0);
    if (reply->elements == 0 || !mine) {
        dm_server_error(h->srv, &h->to, DM_ERR_NOT_FOUND, "no request %s", h->ref);
        free(h);
        return;
    }
    dm_hctx_reply_request(h, reply);
}

static void get_request(dm_server *srv, const dm_actor *actor, const dm_reply_to *to, const char *rid)
{
    dm_hctx *h = calloc(1, sizeof *h);
    if (!h)
        return;
    *h = (dm_hctx){.srv = srv, .to = *to, .actor = *actor};
    snprintf(h->ref, sizeof h->ref, "%s", rid);
    char key[DM_ID_MAX + 4];
    snprintf(key, sizeof key, "r:%s", rid);
    const char *argv[] = {key, NULL};
    dm_hctx_run(h, "get", argv, on_get_request);
}

/* /api/requests, /api/requests/ID, /api/requests/ID/cancel */
static void route_requests(dm_server *srv, const dm_actor *actor, const dm_reply_to *to, const http_call *c)
{
    const char *rest = c->path + strlen("/api/requests");
    dm_msg msg;
    if (!rest[0] && strcmp(c->method, "POST") == 0) {
        if (decode_as(srv, to, c, DM_MSG_REQUEST_CREATE, NULL, NULL, &msg))
            dm_handle_message(srv, actor, to, &msg);
        return;
    }
    char rid[DM_ID_MAX + 1];
    const char *slash = rest[0] == '/' ? strchr(rest + 1, '/') : NULL;
    size_t n = slash ? (size_t)(slash - rest - 1) : strlen(rest + (rest[0] == '/'));
    if (rest[0] != '/' || n == 0 || n > DM_ID_MAX) {
        dm_server_error(srv, to, DM_ERR_NOT_FOUND, "no such resource %s", c->path);
        return;
    }
    memcpy(rid, rest + 1, n);
    rid[n] = '\0';
    if (!slash && strcmp(c->method, "GET") == 0) {
        get_request(srv, actor, to, rid);
        return;
    }
    if (slash && strcmp(slash, "/cancel") == 0 && strcmp(c->method, "POST") == 0) {
        if (decode_as(srv, to, c, DM_MSG_REQUEST_CANCEL, "request", rid, &msg))
            dm_handle_message(srv, actor, to, &msg);
        return;
    }
    dm_server_error(srv, to, DM_ERR_NOT_FOUND, "no such resource %s %s", c->method, c->path);
}

/* Midnight starting this week (Monday) and this month, in the deployment's
 * time zone (TZ is set from the configuration at start-up). */
static void period_starts(int64_t now_ms, int64_t *week, int64_t *month)
{
    time_t now = (time_t)(now_ms / 1000);
    struct tm tm;
    localtime_r(&now, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    struct tm m = tm;
    tm.tm_mday -= (tm.tm_wday + 6) % 7;
    *week = (int64_t)mktime(&tm) * 1000;
    m.tm_mday = 1;
    *month = (int64_t)mktime(&m) * 1000;
}

static void on_hours(void *ud, redisReply *reply)
{
    dm_hctx *h = ud;
    if (dm_hctx_failed(h, reply))
        return;
    cJSON *data = cJSON_CreateObject();
    static const char *const names[] = {"week", "month"};
    for (size_t i = 0; i < 2 && i < reply->elements; i++) {
        cJSON *p = cJSON_AddObjectToObject(data, names[i]);
        const redisReply *e = reply->element[i];
        dm_proto_add_int(p, "since", e->element[0]->integer);
        dm_proto_add_int(p, "sessions", e->element[1]->integer);
        dm_proto_add_int(p, "minutes", e->element[2]->integer);
    }
    dm_server_result(h->srv, &h->to, data);
    free(h);
}

/* GET /api/me/hours: an interpreter's own sessions and minutes this week and month. */
static void my_hours(dm_server *srv, const dm_actor *actor, const dm_reply_to *to)
{
    if (actor->role != DM_ROLE_INTERPRETER) {
        dm_server_error(srv, to, DM_ERR_FORBIDDEN, "hours are shown to interpreters, each their own");
        return;
    }
    dm_hctx *h = calloc(1, sizeof *h);
    if (!h)
        return;
    *h = (dm_hctx){.srv = srv, .to = *to, .actor = *actor};
    int64_t week, month;
    period_starts(dm_now_ms(), &week, &month);
    dm_num w = dm_num_of((long long)week), m = dm_num_of((long long)month);
    const char *argv[] = {actor->subject, w.s, m.s, NULL};
    dm_hctx_run(h, "hours", argv, on_hours);
}

/* POST /api/offers/ID/ack: the receipt a phone's service worker sends. */
static void offer_ack(dm_server *srv, const dm_actor *actor, const dm_reply_to *to, const http_call *c)
{
    const char *id = c->path + strlen("/api/offers/");
    const char *slash = strchr(id, '/');
    char oid[DM_ID_MAX + 1];
    if (!slash || slash == id || (size_t)(slash - id) > DM_ID_MAX || strcmp(slash, "/ack") != 0 ||
        strcmp(c->method, "POST") != 0) {
        dm_server_error(srv, to, DM_ERR_NOT_FOUND, "no such resource %s", c->path);
        return;
    }
    snprintf(oid, sizeof oid, "%.*s", (int)(slash - id), id);
    dm_msg msg;
    if (decode_as(srv, to, c, DM_MSG_OFFER_ACK, "offer", oid, &msg))
        dm_handle_message(srv, actor, to, &msg);
}

static void route(http_call *c, const dm_actor *actor)
{
    dm_reply_to to = {.conn = c->conn, .http = true, .received_us = c->received_us};
    if (strncmp(c->path, "/api/requests", 13) == 0 && (c->path[13] == '\0' || c->path[13] == '/')) {
        route_requests(c->srv, actor, &to, c);
        return;
    }
    if (strcmp(c->path, "/api/me/hours") == 0 && strcmp(c->method, "GET") == 0) {
        my_hours(c->srv, actor, &to);
        return;
    }
    if (strncmp(c->path, "/api/offers/", 12) == 0) {
        offer_ack(c->srv, actor, &to, c);
        return;
    }
    if (strncmp(c->path, "/api/reports/", 13) == 0) {
        dm_report_http(c->srv, actor, &to, c->method, c->path + 13, c->query);
        return;
    }
    if (strncmp(c->path, "/api/admin/", 11) == 0) {
        dm_proto_error err;
        cJSON *body = c->len ? dm_proto_parse(c->body, c->len, &err) : NULL;
        if (c->len && !body) {
            dm_server_reject(c->srv, &to, &err);
            return;
        }
        dm_admin_handle(c->srv, actor, &to, c->method, c->path + 10, body);
        cJSON_Delete(body);
        return;
    }
    dm_server_error(c->srv, &to, DM_ERR_NOT_FOUND, "no such resource %s", c->path);
}

static void on_http_auth(void *ud, redisReply *reply)
{
    http_call *c = ud;
    dm_reply_to to = {.conn = c->conn, .http = true};
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        dm_server_store_error(c->srv, &to, reply);
        http_call_free(c);
        return;
    }
    dm_actor actor = {.role = (dm_role)dm_role_parse(reply->element[0]->str)};
    snprintf(actor.subject, sizeof actor.subject, "%s", reply->element[1]->str);
    snprintf(actor.name, sizeof actor.name, "%s", reply->element[2]->str);
    route(c, &actor);
    http_call_free(c);
}

/* The application server key is public: phones need it before they subscribe. */
static void push_key(dm_server *srv, uint64_t conn)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "public_key", dm_webpush_key(srv) ? dm_webpush_key(srv) : "");
    char *body = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (body && srv->net)
        dm_net_http_reply(srv->net, conn, 200, "application/json", body, strlen(body));
    free(body);
}

static bool bearer(const char *header, char *token, size_t len)
{
    if (strncmp(header, "Bearer ", 7) != 0)
        return false;
    const char *t = header + 7;
    size_t n = strlen(t);
    if (n == 0 || n >= len)
        return false;
    memcpy(token, t, n + 1);
    return true;
}

void dm_http_handle(dm_server *srv, const dm_net_event *ev)
{
    if (strcmp(ev->path, "/healthz") == 0) {
        healthz(srv, ev->conn);
        return;
    }
    if (strcmp(ev->path, "/metrics") == 0) {
        metrics(srv, ev->conn);
        return;
    }
    if (strcmp(ev->path, "/api/push/key") == 0) {
        push_key(srv, ev->conn);
        return;
    }
    dm_reply_to to = {.conn = ev->conn, .http = true};
    char token[DM_TOKEN_MAX + 1];
    if (!bearer(ev->authorization, token, sizeof token)) {
        dm_server_error(srv, &to, DM_ERR_NOT_AUTHENTICATED, "send your token as \"Authorization: Bearer TOKEN\"");
        return;
    }
    http_call *c = calloc(1, sizeof *c);
    if (!c || !(c->body = malloc(ev->len + 1))) {
        free(c);
        dm_server_error(srv, &to, DM_ERR_INTERNAL, "out of memory");
        return;
    }
    c->srv = srv;
    c->conn = ev->conn;
    c->received_us = ev->received_us;
    snprintf(c->method, sizeof c->method, "%s", ev->method);
    snprintf(c->path, sizeof c->path, "%s", ev->path);
    snprintf(c->query, sizeof c->query, "%s", ev->query);
    memcpy(c->body, ev->data ? ev->data : "", ev->len);
    c->body[ev->len] = '\0';
    c->len = ev->len;
    char hash[65];
    dm_token_hash(token, hash);
    const char *argv[] = {hash, "", NULL};
    if (!dm_store_runv(srv->store, "auth", argv, on_http_auth, c)) {
        dm_server_error(srv, &to, DM_ERR_UNAVAILABLE, "storage is unreachable; try again");
        http_call_free(c);
    }
}
