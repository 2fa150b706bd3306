/* Private to src/net: the state shared by net.c (threads, queues, public
 * calls), conns.c (the connections' ids, routing and goodbyes), ws.c (the
 * "dragoman.v1" protocol), http.c (protocols[0]) and evloop.c (the loop).
 *
 * Ownership by thread:
 *   - fixed by dm_net_start, read-only afterwards: limits, port, iface,
 *     web_root, mounts;
 *   - libevent thread: stop_out, in_ev, cb, ud, dispatching, stopped;
 *   - lws thread: ctx (after start), map, next_id, stopping, done, the timers and
 *     every per-session struct (dm_ws_conn, dm_http_conn);
 *   - any thread: out_q and in_q (locked queues), and ctx only through
 *     dm_net_wake() under wake_lock. */
#ifndef DRAGOMAN_NET_INTERNAL_H
#define DRAGOMAN_NET_INTERNAL_H
#include "connmap.h"
#include "dragoman/net.h"
#include "dragoman/queue.h"

#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct event;

/* Room for an HTTP reply's status line and headers in front of its body. */
enum { DM_NET_HDR_ROOM = 512 };
/* A client with this much unsent output is not reading (a dead phone whose TCP
 * has not noticed yet): it is closed rather than allowed to grow without end. */
enum { DM_NET_MAX_BACKLOG = 1 << 20 };

typedef enum { DM_OUT_SEND, DM_OUT_CLOSE, DM_OUT_REPLY, DM_OUT_STOP } dm_out_kind;

/* A request from the libevent side to the lws thread. Once routed it is
 * reused as it is (its node links a WebSocket's output list), so a message is
 * copied exactly once, straight into a buffer lws can write from. */
typedef struct dm_out {
    dm_queue_node node;
    dm_out_kind kind;
    int code; /* close code or HTTP status */
    uint64_t conn;
    size_t len; /* SEND: payload, CLOSE: reason, REPLY: body */
    /* SEND: LWS_PRE bytes, then the payload.
     * CLOSE: the reason.
     * REPLY: LWS_PRE + DM_NET_HDR_ROOM bytes, the body, the NUL-terminated
     *        content type. */
    unsigned char buf[];
} dm_out;

/* An event from the lws thread to the libevent side. */
typedef struct dm_in {
    dm_queue_node node;
    dm_net_event_kind kind;
    uint64_t conn;
    int64_t received_us;
    char *data; /* malloc'd and NUL-terminated, or NULL */
    size_t len;
    dm_net_event *full; /* WS_OPEN and HTTP: the event with its header fields */
} dm_in;

/* The part both kinds of per-session data share, as found in the map. */
typedef struct dm_conn {
    uint64_t id; /* 0 until registered in the map */
    struct lws *wsi;
    bool is_ws;
    bool told_to_go; /* shutting down, its goodbye is on the way */
} dm_conn;

typedef struct dm_ws_conn {
    dm_conn c;
    dm_out *out_head, *out_tail; /* messages, then at most one close */
    size_t out_bytes;            /* payload bytes queued and not yet written */
    char *rx;                    /* the message being reassembled */
    size_t rx_len, rx_cap;
    bool closing; /* a close is queued: later output is dropped */
} dm_ws_conn;

typedef struct dm_http_conn {
    dm_conn c;
    dm_in *req;     /* set while the body is still arriving */
    size_t body_cap;
    dm_out *reply;  /* set once the answer is here, until written */
} dm_http_conn;

struct ev_loop;
typedef struct dm_net_timer dm_net_timer;

struct dm_net {
    size_t max_message, max_body;
    int fd_ceiling; /* connections with a descriptor this high are refused */
    int port;
    char *iface; /* the configured host, kept for lws */
    char *web_root;
    struct lws_context *ctx;
    struct ev_loop *loop; /* lws runs on it: epoll, not poll() over every socket */
    struct lws_http_mount mounts[4];
    pthread_t thread;

    dm_queue *out_q, *in_q;
    dm_out *stop_out; /* made at start so that stopping cannot fail */
    pthread_mutex_t wake_lock;
    bool lws_alive; /* under wake_lock: ctx may take lws_cancel_service */

    dm_connmap map;
    uint64_t next_id;
    atomic_uint_least64_t cut_not_reading; /* lws thread counts, any thread reads */
    bool stopping, done;
    dm_net_timer *stop_timer, *goodbye_timer; /* made at start, like stop_out */

    struct event *in_ev;
    struct event *wake_ev; /* wakes the lws thread once this turn's callbacks ran */
    pthread_t base_thread; /* the libevent thread */
    dm_net_event_cb cb;
    void *ud;
    bool dispatching, stopped;
};

struct ev_loop *dm_net_loop_new(void);
void dm_net_loop_run(struct ev_loop *loop);
void dm_net_loop_break(struct ev_loop *loop);
void dm_net_loop_free(struct ev_loop *loop);
/* A one-shot timer on the loop (evloop.c): the one kind of deadline that is
 * kept when nothing else happens. See evloop.c for why not lws_sul. */
dm_net_timer *dm_net_timer_new(struct ev_loop *loop, void (*cb)(dm_net *net), dm_net *net);
void dm_net_timer_set(dm_net_timer *t, double after_s);
void dm_net_timer_stop(dm_net_timer *t);
void dm_net_timer_free(dm_net_timer *t);

int dm_net_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);
int dm_net_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);

/* lws thread. */
void dm_net_drain_outbound(dm_net *net);
/* conns.c, libevent thread before the lws thread starts; false when out of memory. */
bool dm_net_stop_timers_new(dm_net *net);
void dm_net_emit(dm_net *net, dm_in *in);
dm_in *dm_net_in_new(dm_net_event_kind kind, uint64_t conn, bool full);
void dm_net_in_free(dm_in *in);
dm_out *dm_net_out_close(uint64_t conn, int code, const char *reason);
dm_out *dm_net_out_reply(uint64_t conn, int status, const char *content_type, const char *body, size_t len);
int dm_net_register(dm_net *net, dm_conn *c, struct lws *wsi, bool is_ws);
void dm_net_unregister(dm_net *net, dm_conn *c);

/* ws.c / http.c, lws thread: route one outbound request to its connection
 * (takes ownership of o). */
void dm_net_ws_route(dm_ws_conn *wc, dm_out *o);
void dm_net_http_route(dm_http_conn *hc, dm_out *o);

#endif
