/* Calls (proto/README.md "Calls"): the client messages that make a session's
 * call — join, WebRTC signalling, media state, leave, chat, guest links — and
 * what happens when a peer's connection drops or it falls silent. The media
 * never comes here; the session's times follow the call's. Peers are single
 * connections, addressed as "k:INSTANCE:CONN" delivery targets, so signalling
 * reaches a peer on whichever server holds it. libevent thread. */
#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dragoman/clock.h"
#include "dragoman/log.h"
#include "dragoman/report.h"
#include "dragoman/token.h"
#include "handlers.h"

/* A mesh of peer connections: each joiner sends its video to every other. */
#define CALL_MAX_PEERS "6"
#define CHAT_KEEP "200"
#define LINK_TTL_MS (12LL * 3600 * 1000)
#define SWEEP_LIMIT "100"
/* {peer, role, name, media, audio, video, quality, target}: see _session.lua. */
#define ROW_FIELDS 8

typedef struct call_ctx {
    dm_hctx h; /* first, so that freeing the context's dm_hctx frees it all */
    char rid[DM_ID_MAX + 1];
    char peer[DM_PEER_MAX + 1];
    char kind[12];
    char payload[]; /* signal: the SDP or candidate as JSON; chat: the entry; invite: the token */
} call_ctx;

/* Takes over h (freed) into a context with room for extra payload bytes;
 * NULL after answering when there is no memory. */
static call_ctx *ctx_new(dm_hctx *h, const char *rid, size_t extra)
{
    call_ctx *c = calloc(1, sizeof *c + extra + 1);
    if (!c) {
        dm_server_error(h->srv, &h->to, DM_ERR_INTERNAL, "out of memory");
        free(h);
        return NULL;
    }
    c->h = *h;
    free(h);
    snprintf(c->rid, sizeof c->rid, "%s", rid);
    return c;
}

/* A call exists while its session can still start or end. */
static dm_states call_states(void)
{
    dm_states start = dm_states_from(DM_REV_START), end = dm_states_from(DM_REV_END), all;
    size_t n = strlen(start.s);
    if (n + 1 + strlen(end.s) >= sizeof all.s)
        return start;
    memcpy(all.s, start.s, n);
    all.s[n] = ',';
    memcpy(all.s + n + 1, end.s, strlen(end.s) + 1);
    return all;
}

/* The connection's peer when it is in the call of rid; otherwise answers and frees h. */
static dm_conn *joined_conn(dm_hctx *h, const char *rid)
{
    dm_conn *c = h->to.http ? NULL : dm_server_conn(h->srv, h->to.conn);
    if (c && c->call_peer[0] && strcmp(c->call_request, rid) == 0)
        return c;
    dm_server_error(h->srv, &h->to, DM_ERR_FORBIDDEN, "join the call of request %s first", rid);
    free(h);
    return NULL;
}

static void conn_leave(dm_server *srv, uint64_t id, const char *peer)
{
    dm_conn *c = dm_server_conn(srv, id);
    if (c && strcmp(c->call_peer, peer) == 0) {
        c->call_peer[0] = '\0';
        c->call_request[0] = '\0';
    }
}

static bool row_ok(const redisReply *row)
{
    if (!row || row->type != REDIS_REPLY_ARRAY || row->elements != ROW_FIELDS)
        return false;
    for (size_t i = 0; i < ROW_FIELDS; i++)
        if (!row->element[i]->str)
            return false;
    return true;
}

static cJSON *peer_view(const redisReply *row)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "peer", row->element[0]->str);
    cJSON_AddStringToObject(o, "role", row->element[1]->str);
    cJSON_AddStringToObject(o, "name", row->element[2]->str);
    cJSON_AddStringToObject(o, "media", row->element[3]->str);
    cJSON_AddBoolToObject(o, "audio", strcmp(row->element[4]->str, "1") == 0);
    cJSON_AddBoolToObject(o, "video", strcmp(row->element[5]->str, "1") == 0);
    if (row->element[6]->str[0])
        cJSON_AddStringToObject(o, "quality", row->element[6]->str);
    return o;
}

/* Sends one push (taken over) to every peer of rows. */
static void push_rows(dm_server *srv, const redisReply *rows, char *msg)
{
    if (!msg)
        return;
    for (size_t i = 0; rows->type == REDIS_REPLY_ARRAY && i < rows->elements; i++)
        if (row_ok(rows->element[i]))
            dm_server_deliver(srv, rows->element[i]->element[ROW_FIELDS - 1]->str, strdup(msg));
    free(msg);
}

/* call.peer {request, event, peer, reason?} about row, to the peers of others. */
static void push_peer(dm_server *srv, const char *rid, const char *event, const redisReply *row,
                      const redisReply *others, const char *reason)
{
    if (!row_ok(row))
        return;
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "request", rid);
    cJSON_AddStringToObject(body, "event", event);
    cJSON_AddItemToObject(body, "peer", peer_view(row));
    if (reason)
        cJSON_AddStringToObject(body, "reason", reason);
    push_rows(srv, others, dm_proto_push("call.peer", body));
}

static cJSON *chat_array(const redisReply *entries)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < entries->elements; i++) {
        cJSON *e = entries->element[i]->str ? cJSON_Parse(entries->element[i]->str) : NULL;
        if (e)
            cJSON_AddItemToArray(a, e);
    }
    return a;
}

static cJSON *call_view(const call_ctx *c, const redisReply *r)
{
    cJSON *call = cJSON_CreateObject();
    cJSON_AddStringToObject(call, "request", c->rid);
    cJSON_AddStringToObject(call, "peer", c->peer);
    cJSON_AddStringToObject(call, "media", r->element[0]->str ? r->element[0]->str : "none");
    cJSON *peers = cJSON_AddArrayToObject(call, "peers");
    for (size_t i = 0; i < r->element[1]->elements; i++)
        if (row_ok(r->element[1]->element[i]))
            cJSON_AddItemToArray(peers, peer_view(r->element[1]->element[i]));
    cJSON_AddItemToObject(call, "ice_servers", dm_ice_servers(c->h.srv->cfg, c->rid, dm_now_ms() / 1000));
    cJSON_AddItemToObject(call, "chat", chat_array(r->element[2]));
    cJSON_AddNumberToObject(call, "grace_s", c->h.srv->cfg->call_grace_s);
    return call;
}

/* {media, others, chat, left, own row, replaced rows}: see call_join.lua. */
static void on_joined(void *ud, redisReply *reply)
{
    call_ctx *c = ud;
    if (dm_hctx_failed(&c->h, reply))
        return;
    dm_server *srv = c->h.srv;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 6) {
        dm_server_error(srv, &c->h.to, DM_ERR_INTERNAL, "internal error");
        free(c);
        return;
    }
    const redisReply *left = reply->element[3];
    if (left->elements == 3) {
        conn_leave(srv, c->h.to.conn, left->element[1]->element[0]->str);
        push_peer(srv, left->element[0]->str, "left", left->element[1], left->element[2], "left");
    }
    dm_conn *conn = dm_server_conn(srv, c->h.to.conn);
    if (conn) {
        snprintf(conn->call_request, sizeof conn->call_request, "%s", c->rid);
        snprintf(conn->call_peer, sizeof conn->call_peer, "%s", c->peer);
    }
    for (size_t i = 0; i < reply->element[5]->elements; i++)
        push_peer(srv, c->rid, "left", reply->element[5]->element[i], reply->element[1], "rejoined");
    push_peer(srv, c->rid, "joined", reply->element[4], reply->element[1], NULL);
    cJSON *data = cJSON_CreateObject();
    cJSON_AddItemToObject(data, "call", call_view(c, reply));
    dm_server_result(srv, &c->h.to, data);
    free(c);
}

void dm_handle_call_join(dm_hctx *h, const dm_msg *msg)
{
    dm_conn *conn = dm_server_conn(h->srv, h->to.conn);
    if (!conn) {
        free(h);
        return;
    }
    call_ctx *c = ctx_new(h, msg->u.call.request, 0);
    if (!c)
        return;
    if (!dm_random_id('p', 8, c->peer, sizeof c->peer)) {
        dm_server_error(c->h.srv, &c->h.to, DM_ERR_INTERNAL, "no randomness for a peer id");
        free(c);
        return;
    }
    char at[DM_TARGET_MAX];
    dm_call_target(c->h.srv, conn->id, at, sizeof at);
    dm_states states = call_states();
    const char *argv[] = {c->rid,          dm_role_name(c->h.actor.role), c->h.actor.subject, c->h.actor.name, at,
                          c->peer,         conn->call_peer,               states.s,           CALL_MAX_PEERS,  NULL};
    dm_hctx_run(&c->h, "call_join", argv, on_joined);
}

/* The recipient's target: relays the payload there as call.signal. */
static void on_signal_target(void *ud, redisReply *reply)
{
    call_ctx *c = ud;
    if (dm_hctx_failed(&c->h, reply))
        return;
    cJSON *payload = cJSON_Parse(c->payload);
    if (reply->type == REDIS_REPLY_STRING && payload) {
        cJSON *body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "request", c->rid);
        cJSON_AddStringToObject(body, "from", c->peer);
        cJSON_AddStringToObject(body, "kind", c->kind);
        cJSON_AddItemToObject(body, strcmp(c->kind, "candidate") == 0 ? "candidate" : "sdp", payload);
        dm_server_deliver(c->h.srv, reply->str, dm_proto_push("call.signal", body));
        payload = NULL;
    }
    cJSON_Delete(payload);
    dm_server_result(c->h.srv, &c->h.to, cJSON_CreateObject());
    free(c);
}

void dm_handle_call_signal(dm_hctx *h, const dm_msg *msg)
{
    const dm_call_msg *m = &msg->u.call;
    dm_conn *conn = joined_conn(h, m->request);
    if (!conn)
        return;
    const char *payload = m->sdp[0] ? m->sdp : m->candidate;
    call_ctx *c = ctx_new(h, m->request, strlen(payload));
    if (!c)
        return;
    memcpy(c->payload, payload, strlen(payload) + 1);
    snprintf(c->peer, sizeof c->peer, "%s", conn->call_peer);
    snprintf(c->kind, sizeof c->kind, "%s", m->kind);
    const char *argv[] = {c->rid, c->peer, m->to, NULL};
    dm_hctx_run(&c->h, "call_signal", argv, on_signal_target);
}

/* {own row, others, started request or {}}: see call_state.lua. */
static void on_state(void *ud, redisReply *reply)
{
    call_ctx *c = ud;
    if (dm_hctx_failed(&c->h, reply))
        return;
    dm_server *srv = c->h.srv;
    push_peer(srv, c->rid, "state", reply->element[0], reply->element[1], NULL);
    bool started = reply->element[2]->elements > 0;
    dm_session_changed(srv, reply->element[2], NULL);
    cJSON *data = cJSON_CreateObject();
    cJSON_AddBoolToObject(data, "started", started);
    dm_server_result(srv, &c->h.to, data);
    free(c);
}

static void run_state(call_ctx *c, const dm_call_msg *m, bool drop)
{
    dm_states from = dm_states_from(DM_REV_START);
    const char *argv[] = {c->rid,
                          c->peer,
                          drop ? "reconnecting" : m->media,
                          !drop && m->audio ? "1" : "0",
                          !drop && m->video ? "1" : "0",
                          drop ? "" : m->quality,
                          from.s,
                          drop ? "drop" : "",
                          NULL};
    dm_hctx_run(&c->h, "call_state", argv, on_state);
}

void dm_handle_call_state(dm_hctx *h, const dm_msg *msg)
{
    dm_conn *conn = joined_conn(h, msg->u.call.request);
    if (!conn)
        return;
    call_ctx *c = ctx_new(h, msg->u.call.request, 0);
    if (!c)
        return;
    snprintf(c->peer, sizeof c->peer, "%s", conn->call_peer);
    run_state(c, &msg->u.call, false);
}

/* The peer stays in its call, reconnecting, until call_grace runs out: a phone
 * on a bus comes back with a new connection and joins again. */
void dm_call_dropped(dm_server *srv, const dm_conn *conn)
{
    if (!conn->call_peer[0] || !dm_store_up(srv->store))
        return;
    call_ctx *c = calloc(1, sizeof *c + 1);
    if (!c)
        return;
    c->h = (dm_hctx){.srv = srv, .actor = conn->actor};
    snprintf(c->rid, sizeof c->rid, "%s", conn->call_request);
    snprintf(c->peer, sizeof c->peer, "%s", conn->call_peer);
    run_state(c, NULL, true);
}

/* {own row, others, ended request or {}, freed}: see call_leave.lua. */
static void on_left(void *ud, redisReply *reply)
{
    call_ctx *c = ud;
    if (dm_hctx_failed(&c->h, reply))
        return;
    dm_server *srv = c->h.srv;
    conn_leave(srv, c->h.to.conn, c->peer);
    push_peer(srv, c->rid, "left", reply->element[0], reply->element[1], "left");
    dm_session_changed(srv, reply->element[2], reply->element[3]->str);
    dm_server_result(srv, &c->h.to, cJSON_CreateObject());
    free(c);
}

void dm_handle_call_leave(dm_hctx *h, const dm_msg *msg)
{
    dm_conn *conn = joined_conn(h, msg->u.call.request);
    if (!conn)
        return;
    call_ctx *c = ctx_new(h, msg->u.call.request, 0);
    if (!c)
        return;
    snprintf(c->peer, sizeof c->peer, "%s", conn->call_peer);
    dm_states from = dm_states_from(DM_REV_END);
    dm_num grace = dm_grace(c->h.srv);
    const char *argv[] = {c->rid,   c->peer, dm_role_name(c->h.actor.role), msg->u.call.end ? "end" : "",
                          from.s,   grace.s, dm_report_zone_arg(dm_now_ms()), NULL};
    dm_hctx_run(&c->h, "call_leave", argv, on_left);
}

/* The other peers' rows: the entry goes to them as call.chat. */
static void on_chat(void *ud, redisReply *reply)
{
    call_ctx *c = ud;
    if (dm_hctx_failed(&c->h, reply))
        return;
    cJSON *body = cJSON_Parse(c->payload);
    cJSON *data = cJSON_CreateObject();
    if (body) {
        cJSON_AddNumberToObject(data, "at", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(body, "at")));
        cJSON_AddStringToObject(body, "request", c->rid);
        push_rows(c->h.srv, reply, dm_proto_push("call.chat", body));
    }
    dm_server_result(c->h.srv, &c->h.to, data);
    free(c);
}

void dm_handle_call_chat(dm_hctx *h, const dm_msg *msg)
{
    dm_conn *conn = joined_conn(h, msg->u.call.request);
    if (!conn)
        return;
    cJSON *entry = cJSON_CreateObject();
    cJSON *from = cJSON_AddObjectToObject(entry, "from");
    cJSON_AddStringToObject(from, "peer", conn->call_peer);
    cJSON_AddStringToObject(from, "role", dm_role_name(h->actor.role));
    cJSON_AddStringToObject(from, "name", h->actor.name);
    cJSON_AddStringToObject(entry, "text", msg->u.call.text);
    dm_proto_add_int(entry, "at", dm_now_ms());
    char *json = cJSON_PrintUnformatted(entry);
    cJSON_Delete(entry);
    call_ctx *c = json ? ctx_new(h, msg->u.call.request, strlen(json)) : NULL;
    if (!c) {
        if (!json) {
            dm_server_error(h->srv, &h->to, DM_ERR_INTERNAL, "out of memory");
            free(h);
        }
        free(json);
        return;
    }
    memcpy(c->payload, json, strlen(json) + 1);
    free(json);
    snprintf(c->peer, sizeof c->peer, "%s", conn->call_peer);
    const char *argv[] = {c->rid, c->peer, c->payload, CHAT_KEEP, NULL};
    dm_hctx_run(&c->h, "call_chat", argv, on_chat);
}

static void on_invited(void *ud, redisReply *reply)
{
    call_ctx *c = ud;
    if (dm_hctx_failed(&c->h, reply))
        return;
    char link[DM_TOKEN_MAX + 16];
    snprintf(link, sizeof link, "/call/#%s", c->payload);
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "link", link);
    dm_proto_add_int(data, "expires_at", reply->integer);
    dm_server_result(c->h.srv, &c->h.to, data);
    free(c);
}

void dm_handle_call_invite(dm_hctx *h, const dm_msg *msg)
{
    call_ctx *c = ctx_new(h, msg->u.call.request, DM_TOKEN_MAX);
    if (!c)
        return;
    char gid[DM_PEER_MAX + 1], hash[65];
    if (!dm_token_new("guest", c->payload, DM_TOKEN_MAX + 1) || !dm_random_id('g', 8, gid, sizeof gid)) {
        dm_server_error(c->h.srv, &c->h.to, DM_ERR_INTERNAL, "no randomness for a link");
        free(c);
        return;
    }
    dm_token_hash(c->payload, hash);
    dm_num ttl = dm_num_of(LINK_TTL_MS);
    dm_states states = call_states();
    const char *argv[] = {c->rid, c->h.actor.subject, hash, gid, ttl.s, states.s, CALL_MAX_PEERS, NULL};
    dm_hctx_run(&c->h, "call_invite", argv, on_invited);
}

/* {{request, row, others, ended request or {}, freed}...}: see call_sweep.lua. */
static void on_swept(void *ud, redisReply *reply)
{
    dm_server *srv = ud;
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            dm_error("call sweep failed: %s", reply->str);
        return;
    }
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 5)
            continue;
        push_peer(srv, e->element[0]->str, "left", e->element[1], e->element[2], "dropped");
        dm_session_changed(srv, e->element[3], e->element[4]->str);
    }
}

void dm_call_sweep(dm_server *srv)
{
    dm_num call_grace = dm_num_of((long long)srv->cfg->call_grace_s * 1000);
    dm_num grace = dm_grace(srv);
    dm_states from = dm_states_from(DM_REV_END);
    const char *argv[] = {call_grace.s, from.s, grace.s, dm_report_zone_arg(dm_now_ms()), SWEEP_LIMIT, NULL};
    dm_store_runv(srv->store, "call_sweep", argv, on_swept, srv);
}

void dm_call_closed(dm_server *srv, const char *msg, size_t len)
{
    char buf[DM_TARGET_MAX + DM_ID_MAX + 32];
    if (len >= sizeof buf)
        return;
    memcpy(buf, msg, len);
    buf[len] = '\0';
    char *save = NULL;
    const char *target = strtok_r(buf, "\t", &save), *rid = strtok_r(NULL, "\t", &save);
    const char *reason = strtok_r(NULL, "\t", &save);
    dm_conn *c = target && rid && reason ? dm_server_target_conn(srv, target) : NULL;
    if (!c)
        return;
    if (strcmp(c->call_request, rid) == 0) {
        c->call_request[0] = '\0';
        c->call_peer[0] = '\0';
    }
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "request", rid);
    cJSON_AddStringToObject(body, "reason", reason);
    char *push = dm_proto_push("call.ended", body);
    if (push)
        dm_server_send(srv, c->id, push, strlen(push));
    free(push);
}
