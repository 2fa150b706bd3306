/* The server room's internals, shared by its files only. Everything here runs
 * on the libevent thread: the network's events arrive there, every Redis reply
 * arrives there, and so every dispatch decision is made there. */
#ifndef DRAGOMAN_SERVER_INTERNAL_H
#define DRAGOMAN_SERVER_INTERNAL_H
#include <stdbool.h>
#include <stdint.h>

#include "dragoman/config.h"
#include "dragoman/dispatch.h"
#include "dragoman/net.h"
#include "dragoman/proto.h"
#include "dragoman/server.h"
#include "dragoman/store.h"

struct event;
struct event_base;
struct redisReply;

/* Who is acting: a connection's identity after hello, or an HTTP bearer's. */
typedef struct dm_actor {
    dm_role role;
    char subject[DM_ID_MAX + 1];
    char name[DM_NAME_MAX + 1];
} dm_actor;

/* Where the one reply to a client's message goes; nowhere when conn is 0 and
 * not http (work the server does of itself, e.g. for a closed connection). */
typedef struct dm_reply_to {
    uint64_t conn;
    bool http;
    int64_t received_us; /* when the network thread had the message (dm_net_event) */
    char id[DM_UTF8_SIZE(DM_CLIENT_ID_MAX)];
} dm_reply_to;

typedef struct dm_conn {
    uint64_t id;
    dm_actor actor; /* role DM_ROLE_NONE until hello succeeds */
    bool authing;   /* a hello is in flight */
    char token_hash[65]; /* of the token that said hello, so a revocation finds it */
    char origin[256];
    int64_t opened_ms;
    /* The call this connection is a peer of ("" when none): see handlers_call.c. */
    char call_request[DM_ID_MAX + 1];
    char call_peer[DM_PEER_MAX + 1];
    struct dm_conn *next;  /* bucket chain of the id table */
    struct dm_conn *snext; /* chain of connections with the same delivery target */
} dm_conn;

typedef struct dm_conns dm_conns;

/* Buckets of the time-to-accept histogram (metrics.c), the last unbounded. */
#define DM_ACCEPT_NBUCKETS 10
extern const double dm_accept_bounds_ms[DM_ACCEPT_NBUCKETS];

typedef struct dm_counters {
    uint64_t requests_created, offers_sent, offers_accepted, offers_declined, offers_expired, offers_withdrawn;
    uint64_t sessions_started, sessions_ended, requests_cancelled, requests_unfilled, requests_escalated;
    uint64_t requests_shed; /* refused as busy (max_backlog) */
    uint64_t matches_stalled; /* stalled requests (tick.lua) that got offers when matched again */
    uint64_t accept_ms_buckets[DM_ACCEPT_NBUCKETS]; /* time from request creation to accept */
    double accept_ms_sum;
    /* A new request's time in this server before its first offers: from the
     * network thread having its create to the offers handed back to it. */
    uint64_t dispatch_us_buckets[DM_STORE_NBUCKETS];
    double dispatch_us_sum;
    uint64_t ws_messages, ws_errors;
} dm_counters;

typedef struct dm_reserve dm_reserve;
typedef struct dm_crecs dm_crecs;

struct dm_server {
    const dm_config *cfg;
    void (*on_up)(dm_server *srv);
    struct event_base *base;
    dm_net *net;
    dm_store *store;
    dm_conns *conns;
    dm_reserve *reserved;
    /* Requests this server is offering a freed interpreter to (work.lua's
     * pick) right now, counted: the interpreters freed by one accept all read
     * the same short requests, and all but one would otherwise offer
     * themselves to the one that needs one more. */
    dm_reserve *filling;
    dm_crecs *crecs;
    bool crecs_loading; /* a crecs.lua call is out (match.c) */
    /* A match's candidates and their ranking (match.c), kept from one match
     * to the next: a match reads up to match_scan of them, and allocating and
     * clearing that room each time cost more than ranking them. */
    dm_candidate *cands;
    size_t *order;
    size_t cands_room;
    struct event *tick;
    bool tick_running;
    int ticks;
    char instance[33]; /* this process's name on the shared event channel */
    struct dm_webpush *push; /* NULL until started */
    dm_counters counters;
};

/* server.c: connections and delivery. */
dm_conn *dm_server_conn(dm_server *srv, uint64_t id);
/* Sends to one WebSocket (a no-op once the network has stopped). */
void dm_server_send(dm_server *srv, uint64_t conn, const char *msg, size_t len);
/* Longest delivery target: "k:INSTANCE:CONN" (one connection, a call peer). */
#define DM_TARGET_MAX 64
/* Sends a push to every connection of a target: "i:ID", "c:ID", "g:ID" or
 * "coord", here and, through Redis pub/sub, on every other server; or to the one
 * connection of a "k:INSTANCE:CONN" target, wherever it is. Takes ownership of msg. */
void dm_server_deliver(dm_server *srv, const char *target, char *msg);
/* The one reply to a client message (WebSocket or HTTP). Takes ownership of data. */
void dm_server_result(dm_server *srv, const dm_reply_to *to, cJSON *data);
void dm_server_error(dm_server *srv, const dm_reply_to *to, dm_err_code code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The one error reply, with the offending field when the decoder named one. */
void dm_server_reject(dm_server *srv, const dm_reply_to *to, const dm_proto_error *err);
/* Answers a client with the script error in reply, or "unavailable" when reply is NULL. */
void dm_server_store_error(dm_server *srv, const dm_reply_to *to, const struct redisReply *reply);
/* Closes this server's connections made with revoked tokens ("t:HASH" or
 * "s:ROLE:ID") and tells the other servers to do the same. */
void dm_server_revoke(dm_server *srv, const char *what);
/* The connection of a "k:INSTANCE:CONN" target when it is one of this server's; else NULL. */
dm_conn *dm_server_target_conn(dm_server *srv, const char *target);
/* Called by the handlers once hello succeeds: the connection joins its delivery target. */
void dm_server_bind(dm_server *srv, dm_conn *c);

/* reserve.c: a counted set of ids. srv->reserved holds the interpreters
 * named in this server's offer.lua calls still on their way. Between reading
 * the free interpreters (candidates.lua) and claiming them (offer.lua) lies a
 * Redis round trip, in which every other match here would read the same
 * least recently assigned interpreters and lose the claim to the first; so
 * matching leaves these out. Another server can still take them first: the
 * claim decides, and a match that claimed nobody runs again. Ids are
 * counted: one may be in two calls at once. srv->filling is the other use
 * (see dm_server). */
dm_reserve *dm_reserve_new(void);
void dm_reserve_free(dm_reserve *r);
bool dm_reserve_has(dm_reserve *r, const char *id);
unsigned dm_reserve_count(dm_reserve *r, const char *id); /* 0 when absent */
bool dm_reserve_add(dm_reserve *r, const char *id); /* false when out of memory */
void dm_reserve_del(dm_reserve *r, const char *id);
size_t dm_reserve_size(const dm_reserve *r);

/* crecs.c: this server's copy of CREC (_prelude.lua), the candidates'
 * registry entries parsed, as of a version (CREC's change count). */
dm_crecs *dm_crecs_new(void);
void dm_crecs_free(dm_crecs *cs);
/* What the copy is as of: "" when it holds nothing. */
const char *dm_crecs_version(const dm_crecs *cs);
/* The entry of an interpreter (id of len bytes, not terminated), or NULL. */
const dm_candidate *dm_crecs_get(const dm_crecs *cs, const char *id, size_t len);
/* Applies a reply's version and changes (id, entry, ...; crec_changes in
 * _scan.lua) to a copy that is still as of sent, the version the call was
 * made with. False when the reply is malformed or an entry could not be kept
 * (the copy is then dropped, and the next call reads it all). */
bool dm_crecs_update(dm_crecs *cs, const char *sent, const struct redisReply *version,
                     const struct redisReply *changes);
/* Drops the copy's version, so that the next call reads every entry. */
void dm_crecs_forget(dm_crecs *cs);

/* conns.c: the connection table. */
dm_conns *dm_conns_new(void);
void dm_conns_free(dm_conns *t);
dm_conn *dm_conns_add(dm_conns *t, uint64_t id);
dm_conn *dm_conns_get(dm_conns *t, uint64_t id);
void dm_conns_remove(dm_conns *t, uint64_t id);
/* The first connection of a delivery target (then follow snext). */
dm_conn *dm_conns_target(dm_conns *t, const char *target);
/* Files c under its actor's delivery target; the actor must be set. */
void dm_conns_bind(dm_conns *t, dm_conn *c);
typedef void (*dm_conns_fn)(dm_conn *c, void *ud);
void dm_conns_each(dm_conns *t, dm_conns_fn fn, void *ud);

/* handlers.c: client messages, from a WebSocket or the HTTP API. */
void dm_handle_message(dm_server *srv, const dm_actor *actor, const dm_reply_to *to, const dm_msg *msg);

/* match.c: offering. */
void dm_match_request(dm_server *srv, const char *rid);
/* The same for a request the clock found stalled (tick.lua); counted in
 * matches_stalled when that match makes offers. */
void dm_match_stalled(dm_server *srv, const char *rid);
/* Offers interpreters who became free the waiting request each suits best;
 * those freed together (one accept's withdrawn offers) in one work.lua call. */
void dm_match_interpreter(dm_server *srv, const char *iid);
void dm_match_interpreters(dm_server *srv, const char *const *iids, size_t n);
/* The version of srv->crecs a call reading CREC's changes sends: the copy's,
 * or "-" (none) while it is empty, after seeing that a crecs.lua call reads
 * it whole. Redis answers in order, so the copy is loaded by the reply. */
const char *dm_match_known(dm_server *srv);
/* A new request's first match, from create.lua's reply (which carries its
 * reading when the request is offered now); sent: the version of srv->crecs
 * the call was made with (dm_match_known); since: when the create reached the
 * server (dm_reply_to). */
void dm_match_created(dm_server *srv, const char *sent, const struct redisReply *reply, int64_t since);
/* Pushes a request's new state to its clinic, its interpreter and coordinators. */
void dm_push_request(dm_server *srv, const struct redisReply *hash);
/* The same with the request's view already printed (dm_view_request_text;
 * NULL: built here). */
void dm_push_request_as(dm_server *srv, const struct redisReply *hash, const char *view);
/* Sends a push to every connection of one interpreter. Takes ownership of msg. */
void dm_push_interpreter(dm_server *srv, const char *iid, char *msg);
/* Tells an interpreter their offer is gone, and why. */
void dm_push_offer_withdrawn(dm_server *srv, const char *oid, const char *iid, const char *rid, const char *reason);
/* Pushes offer.withdrawn for pairs {offer id, interpreter id, ...} and looks
 * for other work for the interpreters freed: those listed in waits (ids the
 * script found work may wait for), or all of them when waits is NULL. */
void dm_push_withdrawn(dm_server *srv, const struct redisReply *pairs, size_t from, const char *rid,
                       const char *reason, const struct redisReply *waits);

/* view.c: Redis hashes to protocol objects. */
const char *dm_view_field(const struct redisReply *hash, const char *name); /* "" when absent */
int64_t dm_view_int(const struct redisReply *hash, const char *name);
cJSON *dm_view_request(const struct redisReply *hash);
/* The view as JSON text (malloc'd; NULL when out of memory), for a push and a
 * reply that both carry it: built and printed once instead of twice. */
char *dm_view_request_text(const struct redisReply *hash);
/* An offer as the interpreter's phone shows it: its id and deadline, and the request's details. */
cJSON *dm_view_offer(const char *oid, int64_t deadline, const struct redisReply *request);
/* handlers.c: one interpreter on the coordinators' board, from {id, name, langs, status, job, offer}. */
cJSON *dm_view_online(const char *const f[6]);
/* A candidate as work.lua sends it: a line of tab-separated fields
 * (candidate_record in _prelude.lua). */
bool dm_view_candidate(const char *rec, size_t len, dm_candidate *c);
/* A candidate from its id (len bytes) and its CREC entry (rlen bytes). */
bool dm_view_crec(const char *id, size_t len, const char *rec, size_t rlen, dm_candidate *c);
/* The candidates as candidates.lua sends them: their ids, one a line (a
 * string reply), each with its entry in crecs, and the ids the request
 * excludes (an array reply). Fills out with up to max of them, each ranked
 * by its position, and returns how many; *missing counts the ids crecs has
 * no entry for, which are left out. */
size_t dm_view_candidates(const struct redisReply *ids, const dm_crecs *crecs, const struct redisReply *excluded,
                          dm_candidate *out, size_t max, size_t *missing);
/* Whether id is one of the strings of an array reply (false for NULL or
 * another type). */
bool dm_view_listed(const struct redisReply *ids, const char *id);
/* The lines of such a reply: the next one from *p (its length in *len, *p
 * moved past it), NULL at end; and how many there are. */
const char *dm_view_line(const char **p, const char *end, size_t *len);
size_t dm_view_lines(const char *s, size_t len);
void dm_view_need(const struct redisReply *request, dm_need *need);
/* A waiting request as work.lua lists it (one line): queue score, pending
 * offers, id and what the interpreter must suit. */
typedef struct dm_work_item {
    double score;
    long long pending;
    char id[DM_ID_MAX + 1];
    dm_need need;
} dm_work_item;
bool dm_view_work_item(const char *rec, size_t len, dm_work_item *w);

/* handlers_call.c: calls, besides their client messages. */
/* A connection that is a call peer closed: the others see it reconnecting. */
void dm_call_dropped(dm_server *srv, const dm_conn *c);
/* Peers gone longer than call_grace leave; their sessions may end. The clock calls it. */
void dm_call_sweep(dm_server *srv);
/* A call closed (the event channel's "!call" message "TARGET TAB REQUEST TAB
 * REASON"): tells the peer if it is connected here. */
void dm_call_closed(dm_server *srv, const char *msg, size_t len);
/* The delivery target of one connection of this server. */
void dm_call_target(const dm_server *srv, uint64_t conn, char *out, size_t outlen);

/* webpush.c: offers to phones by Web Push. */
/* Loads (or makes) the VAPID key and starts the sender; NULL after logging why. */
struct dm_webpush *dm_webpush_start(dm_server *srv);
void dm_webpush_stop(struct dm_webpush *wp);
/* The application server key phones subscribe with (base64url). */
const char *dm_webpush_key(const dm_server *srv);
/* The offer to the interpreter's phones (their settings permitting). */
void dm_webpush_offer(dm_server *srv, const char *iid, const char *oid, int64_t deadline,
                      const struct redisReply *request);
/* Its withdrawal, to the phones it was pushed to by this server. */
void dm_webpush_withdrawn(dm_server *srv, const char *iid, const char *oid, const char *reason);
/* Tells coordinators an offer reached a device, was shown, clicked or seen, or did not arrive ("undelivered"). */
void dm_webpush_receipt(dm_server *srv, const char *oid, const char *rid, const char *iid, const char *event,
                        const char *via);

/* ice.c: the ICE servers a call's peers use, with TURN credentials minted
 * for it (coturn's use-auth-secret: username "EXPIRY:REQUEST", credential
 * base64(HMAC-SHA1(secret, username))). An empty array when none are set. */
cJSON *dm_ice_servers(const dm_config *cfg, const char *rid, int64_t now_s);
/* base64(HMAC-SHA1(secret, username)) into out; false when out is too small. */
bool dm_turn_credential(const char *secret, const char *username, char *out, size_t outlen);

/* tick.c: the clock. */
bool dm_tick_start(dm_server *srv);
void dm_tick_stop(dm_server *srv);

/* http.c: the HTTP API. */
void dm_http_handle(dm_server *srv, const dm_net_event *ev);

/* http_report.c: GET /api/reports/KIND (path is KIND, query the query string),
 * and the retention purge of free text older than days, which the clock runs. */
void dm_report_http(dm_server *srv, const dm_actor *actor, const dm_reply_to *to, const char *method,
                    const char *path, const char *query);
void dm_report_purge(dm_server *srv, int days);

/* admin.c: registry writes, shared by the admin API and the demo loader. */
void dm_admin_handle(dm_server *srv, const dm_actor *actor, const dm_reply_to *to, const char *method,
                     const char *path, const cJSON *body);

/* metrics.c */
/* Counts v into the first of nb buckets whose bound is at least v (the last
 * takes the rest) and adds it to *sum. */
void dm_metrics_observe(const double *bounds, size_t nb, uint64_t *counts, double *sum, double v);
/* stats is stats.lua's reply, or NULL when Redis could not be asked. */
char *dm_metrics_text(dm_server *srv, const struct redisReply *stats);

#endif
