/* The server: turns network events into handled messages, owns the
 * connection table, and delivers pushes here and, through Redis pub/sub, on
 * every other server sharing the Redis. libevent thread throughout. */
#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dragoman/clock.h"
#include "dragoman/log.h"
#include "dragoman/registry.h"
#include "dragoman/server.h"
#include "dragoman/token.h"
#include "server.h"

#define EVENT_CHANNEL "dm:events"

dm_conn *dm_server_conn(dm_server *srv, uint64_t id)
{
    return dm_conns_get(srv->conns, id);
}

void dm_server_bind(dm_server *srv, dm_conn *c)
{
    dm_conns_bind(srv->conns, c);
}

/* Replies still arriving from Redis while the server shuts down find no network. */
void dm_server_send(dm_server *srv, uint64_t conn, const char *msg, size_t len)
{
    if (srv->net)
        dm_net_send(srv->net, conn, msg, len);
}

void dm_call_target(const dm_server *srv, uint64_t conn, char *out, size_t outlen)
{
    snprintf(out, outlen, "k:%s:%llu", srv->instance, (unsigned long long)conn);
}

/* A connection target of this server needs no other server. */
static bool target_is_here(const dm_server *srv, const char *target)
{
    size_t n = strlen(srv->instance);
    return strncmp(target, "k:", 2) == 0 && strncmp(target + 2, srv->instance, n) == 0 && target[2 + n] == ':';
}

dm_conn *dm_server_target_conn(dm_server *srv, const char *target)
{
    if (!target_is_here(srv, target))
        return NULL;
    return dm_conns_get(srv->conns, strtoull(target + 3 + strlen(srv->instance), NULL, 10));
}

static void deliver_local(dm_server *srv, const char *target, const char *msg, size_t len)
{
    if (strncmp(target, "k:", 2) == 0) {
        dm_conn *c = dm_server_target_conn(srv, target);
        if (c)
            dm_server_send(srv, c->id, msg, len);
        return;
    }
    for (dm_conn *c = dm_conns_target(srv->conns, target); c; c = c->snext)
        dm_server_send(srv, c->id, msg, len);
}

/* Other servers learn of a push (or a revocation) as "instance TAB target TAB
 * message"; a server ignores its own, which it handled already. */
static void publish(dm_server *srv, const char *target, const char *msg)
{
    const char *fields[] = {srv->instance, target, msg};
    dm_store_publish(srv->store, fields, 3);
}

void dm_server_deliver(dm_server *srv, const char *target, char *msg)
{
    if (!msg)
        return;
    deliver_local(srv, target, msg, strlen(msg));
    if (!target_is_here(srv, target))
        publish(srv, target, msg);
    free(msg);
}

typedef struct revoke_match {
    dm_server *srv;
    const char *what;
} revoke_match;

static void close_if_revoked(dm_conn *c, void *ud)
{
    revoke_match *m = ud;
    if (c->actor.role == DM_ROLE_NONE)
        return;
    char subject[DM_ID_MAX + 24];
    snprintf(subject, sizeof subject, "s:%s:%s", dm_role_name(c->actor.role), c->actor.subject);
    bool hit = (strncmp(m->what, "t:", 2) == 0 && strcmp(m->what + 2, c->token_hash) == 0) ||
               strcmp(m->what, subject) == 0;
    if (hit && m->srv->net)
        dm_net_close(m->srv->net, c->id, 1008, "token revoked");
}

static void revoke_local(dm_server *srv, const char *what)
{
    revoke_match m = {srv, what};
    dm_conns_each(srv->conns, close_if_revoked, &m);
}

void dm_server_revoke(dm_server *srv, const char *what)
{
    revoke_local(srv, what);
    publish(srv, DM_REGISTRY_REVOKED, what);
}

static void on_event_message(void *ud, const char *data, size_t len)
{
    dm_server *srv = ud;
    const char *tab1 = memchr(data, '\t', len);
    if (!tab1)
        return;
    const char *tab2 = memchr(tab1 + 1, '\t', len - (size_t)(tab1 + 1 - data));
    size_t ilen = (size_t)(tab1 - data), tlen = tab2 ? (size_t)(tab2 - tab1 - 1) : 0;
    if (!tab2 || tlen >= DM_TARGET_MAX || (ilen == strlen(srv->instance) && memcmp(data, srv->instance, ilen) == 0))
        return;
    char target[DM_TARGET_MAX];
    memcpy(target, tab1 + 1, tlen);
    target[tlen] = '\0';
    if (strcmp(target, DM_REGISTRY_REVOKED) == 0) {
        char what[DM_ID_MAX + 80];
        size_t wlen = len - (size_t)(tab2 + 1 - data);
        if (wlen < sizeof what) {
            memcpy(what, tab2 + 1, wlen);
            what[wlen] = '\0';
            revoke_local(srv, what);
        }
        return;
    }
    if (strcmp(target, "!call") == 0) {
        dm_call_closed(srv, tab2 + 1, len - (size_t)(tab2 + 1 - data));
        return;
    }
    deliver_local(srv, target, tab2 + 1, len - (size_t)(tab2 + 1 - data));
}

static void send_text(dm_server *srv, const dm_reply_to *to, int status, char *body)
{
    if (!body)
        return;
    if (to->http && srv->net)
        dm_net_http_reply(srv->net, to->conn, status, "application/json", body, strlen(body));
    else if (!to->http && to->conn)
        dm_server_send(srv, to->conn, body, strlen(body));
    free(body);
}

void dm_server_result(dm_server *srv, const dm_reply_to *to, cJSON *data)
{
    if (to->http) {
        send_text(srv, to, 200, cJSON_PrintUnformatted(data));
        cJSON_Delete(data);
        return;
    }
    send_text(srv, to, 200, dm_proto_result(to->id, data));
}

static int http_status(dm_err_code code)
{
    static const int status[DM_ERR__COUNT] = {
        [DM_ERR_BAD_JSON] = 400,   [DM_ERR_BAD_MESSAGE] = 400, [DM_ERR_UNKNOWN_TYPE] = 400,
        [DM_ERR_NOT_AUTHENTICATED] = 401, [DM_ERR_FORBIDDEN] = 403, [DM_ERR_NOT_FOUND] = 404,
        [DM_ERR_CONFLICT] = 409,   [DM_ERR_UNAVAILABLE] = 503, [DM_ERR_TOO_LARGE] = 413,
        [DM_ERR_INTERNAL] = 500,
    };
    return (unsigned)code < DM_ERR__COUNT ? status[code] : 500;
}

void dm_server_reject(dm_server *srv, const dm_reply_to *to, const dm_proto_error *err)
{
    srv->counters.ws_errors++;
    if (!to->http) {
        send_text(srv, to, 0, dm_proto_error_reply(to->id, err));
        return;
    }
    send_text(srv, to, http_status(err->code), dm_proto_error_body(err));
}

void dm_server_error(dm_server *srv, const dm_reply_to *to, dm_err_code code, const char *fmt, ...)
{
    dm_proto_error err = {.code = code};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.message, sizeof err.message, fmt, ap);
    va_end(ap);
    dm_server_reject(srv, to, &err);
}

void dm_server_store_error(dm_server *srv, const dm_reply_to *to, const redisReply *reply)
{
    char code[32];
    const char *message;
    if (!dm_store_error(reply, code, sizeof code, &message)) {
        dm_server_error(srv, to, DM_ERR_UNAVAILABLE, "storage became unreachable; try again");
        return;
    }
    dm_err_code c = DM_ERR_INTERNAL;
    for (int i = 0; i < DM_ERR__COUNT; i++)
        if (strcmp(code, dm_err_code_name((dm_err_code)i)) == 0)
            c = (dm_err_code)i;
    if (c == DM_ERR_INTERNAL)
        dm_error("storage error: %s", reply->str);
    dm_server_error(srv, to, c, "%s", c == DM_ERR_INTERNAL ? "internal error" : message);
}

static void on_ws_message(dm_server *srv, const dm_net_event *ev)
{
    dm_conn *c = dm_conns_get(srv->conns, ev->conn);
    if (!c)
        return;
    srv->counters.ws_messages++;
    dm_msg msg;
    dm_proto_error err;
    dm_reply_to to = {.conn = ev->conn, .received_us = ev->received_us};
    if (!dm_proto_decode(ev->data, ev->len, &msg, &err)) {
        snprintf(to.id, sizeof to.id, "%s", msg.id);
        dm_server_reject(srv, &to, &err);
        return;
    }
    snprintf(to.id, sizeof to.id, "%s", msg.id);
    dm_handle_message(srv, &c->actor, &to, &msg);
}

static void on_net_event(void *ud, const dm_net_event *ev)
{
    dm_server *srv = ud;
    switch (ev->kind) {
    case DM_NET_WS_OPEN: {
        dm_conn *c = dm_conns_add(srv->conns, ev->conn);
        if (!c) {
            dm_net_close(srv->net, ev->conn, 1011, "out of memory");
            return;
        }
        snprintf(c->origin, sizeof c->origin, "%s", ev->origin);
        c->opened_ms = dm_now_ms();
        return;
    }
    case DM_NET_WS_MESSAGE:
        on_ws_message(srv, ev);
        return;
    case DM_NET_WS_CLOSE: {
        dm_conn *c = dm_conns_get(srv->conns, ev->conn);
        if (c)
            dm_call_dropped(srv, c);
        dm_conns_remove(srv->conns, ev->conn);
        return;
    }
    case DM_NET_HTTP:
        dm_http_handle(srv, ev);
        return;
    }
}

static void on_store_status(void *ud, bool up)
{
    dm_server *srv = ud;
    if (up && srv->on_up)
        srv->on_up(srv);
}

static void make_instance(dm_server *srv)
{
    if (dm_random_id('s', (sizeof srv->instance - 2) / 2, srv->instance, sizeof srv->instance))
        return;
    dm_warn("no randomness for this server's name on the event channel");
    snprintf(srv->instance, sizeof srv->instance, "s0");
}

dm_server *dm_server_start(const dm_config *cfg, struct event_base *base, const char *redis_url,
                           void (*on_up)(dm_server *srv))
{
    dm_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return NULL;
    srv->cfg = cfg;
    srv->base = base;
    srv->on_up = on_up;
    make_instance(srv);
    srv->conns = dm_conns_new();
    srv->reserved = dm_reserve_new();
    srv->filling = dm_reserve_new();
    srv->crecs = dm_crecs_new();
    dm_store_config sc = {.url = redis_url, .channel = EVENT_CHANNEL, .on_status = on_store_status,
                          .on_message = on_event_message, .ud = srv};
    srv->store = srv->conns && srv->reserved && srv->filling && srv->crecs ? dm_store_new(base, &sc) : NULL;
    if (!srv->store || !(srv->push = dm_webpush_start(srv)))
        goto fail;
    dm_net_config nc = {.host = cfg->listen_host, .port = cfg->listen_port, .web_root = cfg->web_root,
                        .max_message = cfg->max_message, .max_body = cfg->max_message};
    srv->net = dm_net_start(&nc, base, on_net_event, srv);
    if (!srv->net || !dm_tick_start(srv))
        goto fail;
    dm_info("dragomand listening on http://%s:%d (WebSocket /ws, subprotocol %s)", cfg->listen_host,
            dm_net_port(srv->net), DM_PROTO_VERSION);
    return srv;
fail:
    dm_server_stop(srv);
    return NULL;
}

static void say_bye(dm_conn *c, void *ud)
{
    dm_server *srv = ud;
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "reason", "server shutting down");
    char *msg = dm_proto_push("bye", body);
    if (msg)
        dm_server_send(srv, c->id, msg, strlen(msg));
    free(msg);
}

void dm_server_stop(dm_server *srv)
{
    if (!srv)
        return;
    if (srv->net) {
        dm_conns_each(srv->conns, say_bye, srv);
        dm_net_stop(srv->net);
        srv->net = NULL;
    }
    dm_tick_stop(srv);
    dm_webpush_stop(srv->push);
    dm_store_free(srv->store);
    dm_conns_free(srv->conns);
    dm_reserve_free(srv->reserved);
    dm_reserve_free(srv->filling);
    dm_crecs_free(srv->crecs);
    free(srv->cands);
    free(srv->order);
    free(srv);
}
