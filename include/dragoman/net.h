/* The network room: a libwebsockets service thread serving the WebSocket
 * endpoint (subprotocol "dragoman.v1"), the HTTP API and the static web assets.
 *
 * Threads: lws runs on its own service thread; everything else in Dragoman runs
 * on the libevent thread. Nothing of lws (no struct lws *) crosses threads:
 * connections are named by a 64-bit id that is never reused in a process.
 * Inbound events are queued and delivered on the libevent thread through the
 * callback given to net_start; outbound calls copy their data into a queue and
 * wake the lws thread with lws_cancel_service. */
#ifndef DRAGOMAN_NET_H
#define DRAGOMAN_NET_H
#include <stddef.h>
#include <stdint.h>

struct event_base;

typedef struct dm_net dm_net;

typedef enum {
    DM_NET_WS_OPEN,    /* a WebSocket completed its handshake; origin and peer are set */
    DM_NET_WS_MESSAGE, /* one whole text message (fragments reassembled); data/len set */
    DM_NET_WS_CLOSE,   /* the connection is gone; no more events for this id */
    DM_NET_HTTP,       /* an HTTP API request with its whole body; answer with dm_net_http_reply */
} dm_net_event_kind;

typedef struct dm_net_event {
    dm_net_event_kind kind;
    uint64_t conn;
    int64_t received_us; /* dm_mono_us when the lws thread had the whole event */
    /* WS_MESSAGE: the message; HTTP: the request body (may be empty). NUL-terminated. */
    char *data;
    size_t len;
    /* WS_OPEN and HTTP: the Origin header ("" when absent) and the peer address. */
    char origin[256];
    char peer[64];
    /* HTTP only. */
    char method[8];         /* "GET", "POST", "PUT", "DELETE" */
    char path[256];         /* without the query string */
    char query[512];        /* without the leading '?', "" when absent */
    char authorization[256];/* the Authorization header value, "" when absent */
} dm_net_event;

typedef void (*dm_net_event_cb)(void *ud, const dm_net_event *ev);

typedef struct dm_net_config {
    const char *host;      /* "127.0.0.1", "0.0.0.0", or an interface name */
    int port;              /* 0 picks a free port (see dm_net_port) */
    const char *web_root;  /* folder served at "/" for static files; NULL serves none */
    size_t max_message;    /* larger WebSocket messages close the connection with 1009 */
    size_t max_body;       /* larger HTTP bodies get 413 */
} dm_net_config;

/* libevent thread. Starts the lws thread and returns once it listens; NULL on failure
 * (logged). Events are delivered by calling cb on the libevent thread of base.
 * Paths under /api/, plus /healthz and /metrics, are delivered as DM_NET_HTTP; other
 * GETs are served from web_root. */
dm_net *dm_net_start(const dm_net_config *cfg, struct event_base *base, dm_net_event_cb cb, void *ud);
/* The port actually bound (useful with port 0). */
int dm_net_port(const dm_net *net);
/* Any thread. Queue a text message for a WebSocket; silently dropped when the id is gone.
 * Output (this, dm_net_close, dm_net_http_reply) queued on the libevent thread
 * leaves once the callbacks of the current turn of the loop have run, all of
 * that turn's together; from another thread, at once. */
void dm_net_send(dm_net *net, uint64_t conn, const char *data, size_t len);
/* Any thread. Close a WebSocket with a close code and a short reason, after queued messages. */
void dm_net_close(dm_net *net, uint64_t conn, int code, const char *reason);
/* Any thread. Answer a DM_NET_HTTP event; exactly once per HTTP event. */
void dm_net_http_reply(dm_net *net, uint64_t conn, int status, const char *content_type, const char *body,
                       size_t len);
/* Any thread. WebSockets closed so far because they stopped reading: a
 * megabyte of output was waiting for them. */
uint64_t dm_net_cut_not_reading(dm_net *net);
/* libevent thread. Closes every WebSocket with 1001 "going away" and answers pending
 * HTTP requests 503, then stops the lws thread and frees everything. Events still
 * queued for the libevent thread are dropped. */
void dm_net_stop(dm_net *net);

#endif
