/* Client messages: who may send what, authentication, presence and snapshots.
 * The request-level messages are in handlers_request.c. libevent thread. */
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

#define ROLE(r) (1u << (r))
#define ANY_ROLE (ROLE(DM_ROLE_CLINIC) | ROLE(DM_ROLE_INTERPRETER) | ROLE(DM_ROLE_COORDINATOR) | ROLE(DM_ROLE_GUEST))
#define CALL_ROLES (ROLE(DM_ROLE_CLINIC) | ROLE(DM_ROLE_INTERPRETER) | ROLE(DM_ROLE_GUEST))

dm_num dm_num_of(long long v)
{
    dm_num n;
    snprintf(n.s, sizeof n.s, "%lld", v);
    return n;
}

dm_num dm_grace(const dm_server *srv)
{
    return dm_num_of((long long)srv->cfg->heartbeat_grace_s * 1000);
}

bool dm_hctx_run(dm_hctx *h, const char *script, const char *const *argv, dm_store_cb cb)
{
    if (dm_store_runv(h->srv->store, script, argv, cb, h))
        return true;
    dm_server_error(h->srv, &h->to, DM_ERR_UNAVAILABLE, "storage is unreachable; nothing was done, try again");
    free(h);
    return false;
}

bool dm_hctx_failed(dm_hctx *h, const redisReply *reply)
{
    if (reply && reply->type != REDIS_REPLY_ERROR)
        return false;
    dm_server_store_error(h->srv, &h->to, reply);
    free(h);
    return true;
}

void dm_hctx_reply_request(dm_hctx *h, const redisReply *hash)
{
    char *view = dm_view_request_text(hash);
    dm_hctx_reply_request_as(h, view);
    free(view);
}

void dm_hctx_reply_request_as(dm_hctx *h, const char *view)
{
    cJSON *data = cJSON_CreateObject(), *raw = view ? cJSON_CreateRaw(view) : NULL;
    if (!data || !raw || !cJSON_AddItemToObject(data, "request", raw)) {
        cJSON_Delete(data);
        cJSON_Delete(raw);
        dm_server_error(h->srv, &h->to, DM_ERR_INTERNAL, "out of memory");
    } else {
        dm_server_result(h->srv, &h->to, data);
    }
    free(h);
}

static cJSON *snapshot_interpreter(const dm_server *srv, const redisReply *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", r->element[0]->str ? r->element[0]->str : "away");
    bool has_offer = r->element[1]->elements > 0 && r->element[2]->elements > 0;
    cJSON *offer = has_offer ? dm_view_offer(dm_view_field(r->element[1], "id"), dm_view_int(r->element[1], "deadline"),
                                             r->element[2])
                             : cJSON_CreateNull();
    cJSON_AddItemToObject(o, "offer", offer);
    bool has_job = r->element[3]->elements > 0;
    cJSON_AddItemToObject(o, "job", has_job ? dm_view_request(r->element[3]) : cJSON_CreateNull());
    if (r->elements >= 5 && r->element[4]->elements >= 4)
        cJSON_AddItemToObject(o, "push", dm_view_push(srv, r->element[4]));
    return o;
}

static cJSON *requests_array(const redisReply *list)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < list->elements; i++)
        if (list->element[i]->elements > 0)
            cJSON_AddItemToArray(a, dm_view_request(list->element[i]));
    return a;
}

/* One interpreter on the coordinators' board, from {id, name, langs
 * "ar:certified,...", status, job, offer}. */
cJSON *dm_view_online(const char *const f[6])
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", f[0]);
    cJSON_AddStringToObject(o, "name", f[1]);
    cJSON *langs = cJSON_AddArrayToObject(o, "languages");
    char buf[256];
    snprintf(buf, sizeof buf, "%s", f[2]);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        if (colon)
            *colon = '\0';
        cJSON_AddItemToArray(langs, cJSON_CreateString(tok));
    }
    cJSON_AddStringToObject(o, "status", f[3]);
    cJSON_AddBoolToObject(o, "busy", f[4][0] != '\0');
    cJSON_AddBoolToObject(o, "offered", f[5][0] != '\0');
    return o;
}

static cJSON *online_array(const redisReply *list)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < list->elements; i++) {
        const redisReply *e = list->element[i];
        if (e->elements < 6)
            continue;
        const char *f[6];
        for (int k = 0; k < 6; k++)
            f[k] = e->element[k]->str ? e->element[k]->str : "";
        cJSON_AddItemToArray(a, dm_view_online(f));
    }
    return a;
}

/* A guest sees only what its call page needs. */
static cJSON *snapshot_guest(const redisReply *r)
{
    static const char *const names[] = {"id", "language", "modality", "state"};
    cJSON *o = cJSON_CreateObject();
    if (r->elements < 4 || !r->element[0]->str) {
        cJSON_AddNullToObject(o, "request");
        return o;
    }
    cJSON *req = cJSON_AddObjectToObject(o, "request");
    for (size_t i = 0; i < 4; i++)
        cJSON_AddStringToObject(req, names[i], r->element[i]->str ? r->element[i]->str : "");
    return o;
}

static cJSON *snapshot_body(const dm_server *srv, dm_role role, const redisReply *r)
{
    if (role == DM_ROLE_INTERPRETER)
        return r->elements >= 4 ? snapshot_interpreter(srv, r) : NULL;
    if (role == DM_ROLE_GUEST)
        return snapshot_guest(r);
    cJSON *o = cJSON_CreateObject();
    if (role == DM_ROLE_CLINIC) {
        cJSON_AddItemToObject(o, "requests", requests_array(r));
        return o;
    }
    if (r->elements < 2) {
        cJSON_Delete(o);
        return NULL;
    }
    cJSON_AddItemToObject(o, "requests", requests_array(r->element[0]));
    cJSON_AddItemToObject(o, "online", online_array(r->element[1]));
    return o;
}

static void on_snapshot(void *ud, redisReply *reply)
{
    dm_hctx *h = ud;
    if (reply && reply->type == REDIS_REPLY_ARRAY) {
        cJSON *body = snapshot_body(h->srv, h->actor.role, reply);
        char *msg = body ? dm_proto_push("snapshot", body) : NULL;
        if (msg)
            dm_server_send(h->srv, h->to.conn, msg, strlen(msg));
        free(msg);
    }
    free(h);
}

static void send_snapshot(dm_server *srv, const dm_hctx *from)
{
    dm_hctx *h = malloc(sizeof *h);
    if (!h)
        return;
    *h = *from;
    dm_num grace = dm_grace(srv);
    const char *argv[] = {dm_role_name(h->actor.role), h->actor.subject, grace.s, NULL};
    if (!dm_store_runv(srv->store, "snapshot", argv, on_snapshot, h))
        free(h);
}

/* Coordinators see who is online change as it happens; heartbeats that change
 * nothing are not worth a push. */
static void push_presence(dm_hctx *h, const redisReply *r)
{
    if (r->elements < 6)
        return;
    const char *f[6] = {h->actor.subject, r->element[2]->str ? r->element[2]->str : "", r->element[3]->str,
                        r->element[0]->str, r->element[4]->str, r->element[5]->str};
    cJSON *body = cJSON_CreateObject();
    cJSON_AddItemToObject(body, "interpreter", dm_view_online(f));
    dm_server_deliver(h->srv, "coord", dm_proto_push("presence", body));
}

static void on_presence(void *ud, redisReply *reply)
{
    dm_hctx *h = ud;
    if (dm_hctx_failed(h, reply))
        return;
    bool became_free = reply->elements >= 2 && reply->element[1]->integer == 1;
    if (h->ref[0] != 'p' || became_free)
        push_presence(h, reply);
    cJSON *data = cJSON_CreateObject();
    if (h->ref[0] == 'p')
        dm_proto_add_int(data, "now", dm_now_ms());
    else
        cJSON_AddStringToObject(data, "status", reply->element[0]->str);
    dm_server_result(h->srv, &h->to, data);
    if (became_free)
        dm_match_interpreter(h->srv, h->actor.subject);
    free(h);
}

/* ref remembers whether the answer is a ping's ("p") or a presence change's. */
static void run_presence(dm_hctx *h, const char *action)
{
    dm_num grace = dm_grace(h->srv);
    snprintf(h->ref, sizeof h->ref, "%s", strcmp(action, "hb") == 0 ? "p" : "s");
    const char *argv[] = {h->actor.subject, action, grace.s, dm_report_zone_arg(dm_now_ms()), NULL};
    dm_hctx_run(h, "presence", argv, on_presence);
}

static void handle_ping(dm_hctx *h, const dm_msg *msg)
{
    (void)msg;
    if (h->actor.role == DM_ROLE_INTERPRETER) {
        run_presence(h, "hb");
        return;
    }
    cJSON *data = cJSON_CreateObject();
    dm_proto_add_int(data, "now", dm_now_ms());
    dm_server_result(h->srv, &h->to, data);
    free(h);
}

static void handle_presence(dm_hctx *h, const dm_msg *msg)
{
    run_presence(h, msg->u.presence.available ? "available" : "away");
}

static void handle_snapshot(dm_hctx *h, const dm_msg *msg)
{
    (void)msg;
    send_snapshot(h->srv, h);
    dm_server_result(h->srv, &h->to, cJSON_CreateObject());
    free(h);
}

static bool origin_allowed(const char *origins, const char *origin)
{
    if (!origins[0])
        return true;
    size_t n = strlen(origin);
    for (const char *p = origins; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && strncmp(p, origin, n) == 0)
            return true;
        p += len + (comma ? 1 : 0);
    }
    return false;
}

static void on_auth(void *ud, redisReply *reply)
{
    dm_hctx *h = ud;
    dm_conn *c = dm_server_conn(h->srv, h->to.conn);
    if (!c) {
        free(h);
        return;
    }
    c->authing = false;
    if (dm_hctx_failed(h, reply))
        return;
    dm_role role = (dm_role)dm_role_parse(reply->element[0]->str);
    if (role == DM_ROLE_CLINIC && !origin_allowed(reply->element[3]->str, c->origin)) {
        dm_server_error(h->srv, &h->to, DM_ERR_FORBIDDEN, "origin \"%s\" is not registered for clinic %s",
                        c->origin, reply->element[1]->str);
        free(h);
        return;
    }
    h->actor.role = role;
    snprintf(h->actor.subject, sizeof h->actor.subject, "%s", reply->element[1]->str);
    snprintf(h->actor.name, sizeof h->actor.name, "%s", reply->element[2]->str);
    c->actor = h->actor;
    dm_server_bind(h->srv, c);
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "role", dm_role_name(role));
    cJSON *user = cJSON_AddObjectToObject(data, "user");
    cJSON_AddStringToObject(user, "id", h->actor.subject);
    cJSON_AddStringToObject(user, "name", h->actor.name);
    if (role == DM_ROLE_GUEST) {
        cJSON_AddStringToObject(data, "request", reply->element[4]->str);
        cJSON_AddStringToObject(data, "resume", h->ref);
    }
    dm_server_result(h->srv, &h->to, data);
    send_snapshot(h->srv, h);
    if (role == DM_ROLE_INTERPRETER) {
        h->to = (dm_reply_to){0};
        run_presence(h, "hb");
        return;
    }
    free(h);
}

static void handle_hello(dm_hctx *h, const dm_msg *msg)
{
    if (h->actor.role != DM_ROLE_NONE) {
        dm_server_error(h->srv, &h->to, DM_ERR_CONFLICT, "already authenticated on this connection");
        free(h);
        return;
    }
    dm_conn *c = h->to.http ? NULL : dm_server_conn(h->srv, h->to.conn);
    if (!c || c->authing) {
        dm_server_error(h->srv, &h->to, DM_ERR_CONFLICT, "a hello is already being checked on this connection");
        free(h);
        return;
    }
    /* Should the token be a guest's one-time link, the guest's next token is
     * this one, made before knowing: one hello, one round trip. */
    char hash[65], next_hash[65];
    if (!dm_token_new("guest", h->ref, sizeof h->ref)) {
        dm_server_error(h->srv, &h->to, DM_ERR_INTERNAL, "no randomness for a token");
        free(h);
        return;
    }
    dm_token_hash(h->ref, next_hash);
    dm_token_hash(msg->u.hello.token, hash);
    snprintf(c->token_hash, sizeof c->token_hash, "%s", hash);
    const char *argv[] = {hash, next_hash, NULL};
    if (dm_hctx_run(h, "auth", argv, on_auth))
        c->authing = true;
}

static const struct {
    unsigned roles;
    dm_handler_fn fn;
} handlers[DM_MSG__COUNT] = {
    [DM_MSG_HELLO] = {ROLE(DM_ROLE_NONE) | ANY_ROLE, handle_hello},
    [DM_MSG_PING] = {ANY_ROLE, handle_ping},
    [DM_MSG_SNAPSHOT_GET] = {ANY_ROLE, handle_snapshot},
    [DM_MSG_PRESENCE_SET] = {ROLE(DM_ROLE_INTERPRETER), handle_presence},
    [DM_MSG_REQUEST_CREATE] = {ROLE(DM_ROLE_CLINIC), dm_handle_create},
    [DM_MSG_REQUEST_CANCEL] = {ROLE(DM_ROLE_CLINIC) | ROLE(DM_ROLE_COORDINATOR), dm_handle_cancel},
    [DM_MSG_REQUEST_ASSIGN] = {ROLE(DM_ROLE_COORDINATOR), dm_handle_assign},
    [DM_MSG_OFFER_ACCEPT] = {ROLE(DM_ROLE_INTERPRETER), dm_handle_accept},
    [DM_MSG_OFFER_DECLINE] = {ROLE(DM_ROLE_INTERPRETER), dm_handle_decline},
    [DM_MSG_JOB_RELEASE] = {ROLE(DM_ROLE_INTERPRETER), dm_handle_release},
    [DM_MSG_SESSION_START] = {ROLE(DM_ROLE_CLINIC) | ROLE(DM_ROLE_INTERPRETER), dm_handle_session},
    [DM_MSG_SESSION_END] = {ROLE(DM_ROLE_CLINIC) | ROLE(DM_ROLE_INTERPRETER), dm_handle_session},
    [DM_MSG_SESSION_FEEDBACK] = {ROLE(DM_ROLE_CLINIC) | ROLE(DM_ROLE_INTERPRETER), dm_handle_feedback},
    [DM_MSG_SESSION_CORRECT] = {ROLE(DM_ROLE_COORDINATOR), dm_handle_correct},
    [DM_MSG_CALL_JOIN] = {CALL_ROLES, dm_handle_call_join},
    [DM_MSG_CALL_SIGNAL] = {CALL_ROLES, dm_handle_call_signal},
    [DM_MSG_CALL_STATE] = {CALL_ROLES, dm_handle_call_state},
    [DM_MSG_CALL_LEAVE] = {CALL_ROLES, dm_handle_call_leave},
    [DM_MSG_CALL_CHAT] = {CALL_ROLES, dm_handle_call_chat},
    [DM_MSG_CALL_INVITE] = {ROLE(DM_ROLE_CLINIC), dm_handle_call_invite},
    [DM_MSG_PUSH_SUBSCRIBE] = {ROLE(DM_ROLE_INTERPRETER), dm_handle_push_subscribe},
    [DM_MSG_PUSH_UNSUBSCRIBE] = {ROLE(DM_ROLE_INTERPRETER), dm_handle_push_unsubscribe},
    [DM_MSG_PUSH_SETTINGS] = {ROLE(DM_ROLE_INTERPRETER), dm_handle_push_settings},
    [DM_MSG_OFFER_ACK] = {ROLE(DM_ROLE_INTERPRETER), dm_handle_offer_ack},
    [DM_MSG_JOB_ETA] = {ROLE(DM_ROLE_INTERPRETER), dm_handle_eta},
};

void dm_handle_message(dm_server *srv, const dm_actor *actor, const dm_reply_to *to, const dm_msg *msg)
{
    if ((unsigned)msg->type >= DM_MSG__COUNT || !handlers[msg->type].fn) {
        dm_server_error(srv, to, DM_ERR_UNKNOWN_TYPE, "unknown message type");
        return;
    }
    if (!(handlers[msg->type].roles & ROLE(actor->role))) {
        if (actor->role == DM_ROLE_NONE)
            dm_server_error(srv, to, DM_ERR_NOT_AUTHENTICATED, "send hello with your token first");
        else
            dm_server_error(srv, to, DM_ERR_FORBIDDEN, "a %s may not send %s", dm_role_name(actor->role),
                            dm_msg_type_name(msg->type));
        return;
    }
    dm_hctx *h = calloc(1, sizeof *h);
    if (!h) {
        dm_server_error(srv, to, DM_ERR_INTERNAL, "out of memory");
        return;
    }
    h->srv = srv;
    h->to = *to;
    h->actor = *actor;
    handlers[msg->type].fn(h, msg);
}
