/* The network room's threads and queues (see net.h).
 *
 * libwebsockets 4.1.6 as Debian builds it has no libevent integration, so lws
 * runs on its own service thread and the two threads meet only at two locked
 * queues:
 *   - outbound (libevent → lws): dm_net_send/close/http_reply copy their data
 *     into a dm_out and push it; only the push that finds the queue empty calls
 *     lws_cancel_service(), the one lws call that is safe from another thread.
 *     On the libevent thread that call is left until the callbacks of this
 *     turn have run (wake_ev): woken at a turn's first message, the service
 *     thread took the core from the libevent thread in the middle of its turn.
 *     The service thread drains the queue in LWS_CALLBACK_EVENT_WAIT_CANCELLED
 *     and finds connections by id in a map only it touches: no struct lws *
 *     ever leaves the service thread.
 *   - inbound (lws → libevent): events are pushed as dm_in and, only on empty
 *     → non-empty, event_active() wakes an fd -1 event on the caller's
 *     event_base. That is only safe across threads if the caller ran
 *     evthread_use_pthreads() before event_base_new(). The event is never
 *     added, so it does not keep event_base_dispatch() running by itself. */
#include "net_internal.h"

#include "dragoman/clock.h"
#include "dragoman/log.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

enum {
    DEFAULT_LIMIT = 64 * 1024,
    HARD_LIMIT = 1 << 30,
    /* Frames longer than this reach us in several RECEIVE callbacks; each
     * idle connection pays for it, so it is kept small. */
    WS_RX_BUFFER = 1024,
    /* lws writes at most this much of a message per turn of its loop (by
     * default the rx buffer: 1 KB for a WebSocket, 4 KB for HTTP) and keeps
     * the rest for the next turns. So a message or a reply goes to the
     * socket whole, as far as it takes it. */
    WS_TX_PACKET = 64 * 1024,
    HTTP_TX_PACKET = 1024 * 1024,
    NOFILE_MAX = 1 << 18,
    WANTED_FDS = 20480,
    /* Descriptors the process needs beside lws's sockets: standard streams,
     * the Redis connections, both loops' own, files being served, Web Push
     * connections. See fd_ceiling. */
    FD_RESERVE = 128,
    CLOSE_REASON_MAX = 123, /* a close frame's payload is at most 125 bytes */
    CONTENT_TYPE_MAX = 127,
};

static const struct lws_protocols protocols[] = {
    {"http", dm_net_http_callback, sizeof(dm_http_conn), 0, 0, NULL, HTTP_TX_PACKET},
    {"dragoman.v1", dm_net_ws_callback, sizeof(dm_ws_conn), WS_RX_BUFFER, 0, NULL, WS_TX_PACKET},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* lws knows .html .js .css .png .svg .json and a few more; these fill the
 * gaps, and "*" keeps an unknown suffix from turning into a 415. */
static const struct lws_protocol_vhost_options mimetypes[] = {
    {&mimetypes[1], NULL, ".webmanifest", "application/manifest+json"},
    {&mimetypes[2], NULL, ".mjs", "text/javascript"},
    {&mimetypes[3], NULL, ".map", "application/json"},
    {&mimetypes[4], NULL, ".wasm", "application/wasm"},
    {&mimetypes[5], NULL, ".webp", "image/webp"},
    {&mimetypes[6], NULL, ".woff2", "font/woff2"},
    {&mimetypes[7], NULL, ".woff", "font/woff"},
    {NULL, NULL, "*", "application/octet-stream"},
};

/* Whichever thread lws logs on. */
static void lws_log_emit(int level, const char *line)
{
    int n = (int)strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    if (level & LLL_ERR)
        dm_error("lws: %.*s", n, line);
    else
        dm_warn("lws: %.*s", n, line);
}

/* libevent thread. 20,000 connections need 20,000 descriptors and the soft
 * limit is often 1024 while the hard one allows far more. lws 4.1.6 sizes its
 * descriptor table from the soft limit but falls back to 2,560 when that is
 * above 10,000,000 (systemd's LimitNOFILE=infinity), so the soft limit is set
 * to the hard one capped at NOFILE_MAX, lowered if need be. Returns it. */
static int set_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    rlim_t want = rl.rlim_max < NOFILE_MAX ? rl.rlim_max : NOFILE_MAX;
    if (rl.rlim_cur != want) {
        rl.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < WANTED_FDS)
        dm_warn("net: open file limit is %llu; 20,000 connections need about %d",
                (unsigned long long)rl.rlim_cur, WANTED_FDS);
    return rl.rlim_cur < NOFILE_MAX ? (int)rl.rlim_cur : NOFILE_MAX;
}

/* libevent thread. lws 4.1.6 writes an IPv4 literal at the wrong offset of a
 * sockaddr_in6 and so binds "127.0.0.1" to every interface; an IPv4-only
 * vhost parses it correctly. Only IPv6 literals get an IPv6 socket. */
static void choose_bind(dm_net *net, struct lws_context_creation_info *info)
{
    info->iface = net->iface;
    if (strchr(net->iface, ':'))
        return;
    info->options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    if (strcmp(net->iface, "0.0.0.0") == 0)
        info->iface = NULL;
}

/* libevent thread. /api, /healthz and /metrics go to protocols[0]'s
 * callback; everything else, when there is a web_root, to files. */
static const struct lws_http_mount *build_mounts(dm_net *net)
{
    static const char *const api[] = {"/api", "/healthz", "/metrics"};
    struct lws_http_mount *m = net->mounts;
    for (int i = 0; i < 3; i++) {
        m[i].mount_next = i < 2 ? &m[i + 1] : NULL;
        m[i].mountpoint = api[i];
        m[i].mountpoint_len = (unsigned char)strlen(api[i]);
        m[i].protocol = protocols[0].name;
        m[i].origin_protocol = LWSMPRO_CALLBACK;
    }
    if (!net->web_root)
        return m;
    m[2].mount_next = &m[3];
    m[3].mountpoint = "/";
    m[3].mountpoint_len = 1;
    m[3].origin = net->web_root;
    m[3].def = "index.html";
    m[3].extra_mimetypes = mimetypes;
    m[3].origin_protocol = LWSMPRO_FILE;
    return m;
}

/* lws thread. */
dm_in *dm_net_in_new(dm_net_event_kind kind, uint64_t conn, bool full)
{
    struct in_full {
        dm_in in;
        dm_net_event ev;
    };
    dm_in *in = calloc(1, full ? sizeof(struct in_full) : sizeof(dm_in));
    if (!in)
        return NULL;
    in->kind = kind;
    in->conn = conn;
    in->received_us = dm_mono_us();
    if (full)
        in->full = &((struct in_full *)in)->ev;
    return in;
}

/* Any thread. */
void dm_net_in_free(dm_in *in)
{
    if (!in)
        return;
    free(in->data);
    free(in);
}

/* lws thread. Once stopping, the libevent side is about to drop everything. */
void dm_net_emit(dm_net *net, dm_in *in)
{
    if (net->stopping) {
        dm_net_in_free(in);
        return;
    }
    if (dm_queue_push(net->in_q, &in->node))
        event_active(net->in_ev, EV_READ, 0);
}

/* libevent thread. */
static void deliver(dm_net *net, const dm_in *in, dm_net_event *plain)
{
    static char empty[1];
    dm_net_event *ev = in->full ? in->full : plain;
    ev->kind = in->kind;
    ev->conn = in->conn;
    ev->received_us = in->received_us;
    ev->data = in->data ? in->data : empty;
    ev->len = in->len;
    net->cb(net->ud, ev);
}

/* Frees a queue with whatever is still in it. Both node types start with
 * their dm_queue_node. */
static void queue_discard(dm_queue *q, bool inbound)
{
    if (!q)
        return;
    for (dm_queue_node *n = dm_queue_take(q), *next; n; n = next) {
        next = n->next;
        if (inbound)
            dm_net_in_free((dm_in *)n);
        else
            free(n);
    }
    dm_queue_free(q);
}

/* libevent thread, with the service thread gone (or never started). */
static void net_free(dm_net *net)
{
    free(net->stop_out);
    queue_discard(net->out_q, false);
    queue_discard(net->in_q, true);
    if (net->in_ev)
        event_free(net->in_ev);
    if (net->wake_ev)
        event_free(net->wake_ev);
    dm_connmap_free(&net->map);
    dm_net_timer_free(net->stop_timer);
    dm_net_timer_free(net->goodbye_timer);
    dm_net_loop_free(net->loop);
    pthread_mutex_destroy(&net->wake_lock);
    free(net->web_root);
    free(net->iface);
    free(net);
}

/* libevent thread: the inbound wakeup. The callback may call dm_net_stop, so
 * the final free waits until the batch is done. */
static void on_inbound(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    dm_net *net = arg;
    dm_net_event plain;
    memset(&plain, 0, sizeof plain);
    dm_queue_node *n = dm_queue_take(net->in_q);
    net->dispatching = true;
    while (n) {
        dm_in *in = (dm_in *)n;
        n = n->next;
        if (!net->stopped)
            deliver(net, in, &plain);
        dm_net_in_free(in);
    }
    net->dispatching = false;
    if (net->stopped)
        net_free(net);
}

/* Any thread. The lock makes the check and the call one step against the
 * service thread clearing lws_alive before it destroys the context. */
static void wake(dm_net *net)
{
    pthread_mutex_lock(&net->wake_lock);
    if (net->lws_alive)
        lws_cancel_service(net->ctx);
    pthread_mutex_unlock(&net->wake_lock);
}

/* libevent thread: the callbacks that queued output this turn have run. */
static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    wake(arg);
}

/* Any thread. */
static void push_out(dm_net *net, dm_out *o)
{
    if (!dm_queue_push(net->out_q, &o->node))
        return;
    if (pthread_equal(pthread_self(), net->base_thread))
        event_active(net->wake_ev, 0, 0);
    else
        wake(net);
}

/* Any thread. */
static dm_out *out_new(dm_out_kind kind, uint64_t conn, size_t bufsize)
{
    dm_out *o = malloc(sizeof *o + bufsize);
    if (!o) {
        dm_error("net: out of memory queueing output for %llu", (unsigned long long)conn);
        return NULL;
    }
    o->kind = kind;
    o->conn = conn;
    o->code = 0;
    o->len = 0;
    return o;
}

/* Any thread. */
dm_out *dm_net_out_close(uint64_t conn, int code, const char *reason)
{
    size_t len = reason ? strnlen(reason, CLOSE_REASON_MAX) : 0;
    dm_out *o = out_new(DM_OUT_CLOSE, conn, len);
    if (!o)
        return NULL;
    o->code = code;
    o->len = len;
    if (len)
        memcpy(o->buf, reason, len);
    return o;
}

/* Any thread. */
dm_out *dm_net_out_reply(uint64_t conn, int status, const char *content_type, const char *body, size_t len)
{
    size_t tlen = content_type ? strnlen(content_type, CONTENT_TYPE_MAX) : 0;
    dm_out *o = out_new(DM_OUT_REPLY, conn, LWS_PRE + DM_NET_HDR_ROOM + len + tlen + 1);
    if (!o)
        return NULL;
    unsigned char *b = o->buf + LWS_PRE + DM_NET_HDR_ROOM;
    o->code = status;
    o->len = len;
    if (len)
        memcpy(b, body, len);
    if (tlen)
        memcpy(b + len, content_type, tlen);
    b[len + tlen] = '\0';
    return o;
}

/* Any thread. */
void dm_net_send(dm_net *net, uint64_t conn, const char *data, size_t len)
{
    dm_out *o = out_new(DM_OUT_SEND, conn, LWS_PRE + len);
    if (!o)
        return;
    o->len = len;
    memcpy(o->buf + LWS_PRE, data, len);
    push_out(net, o);
}

/* Any thread. */
void dm_net_close(dm_net *net, uint64_t conn, int code, const char *reason)
{
    dm_out *o = dm_net_out_close(conn, code, reason);
    if (o)
        push_out(net, o);
}

/* Any thread. */
void dm_net_http_reply(dm_net *net, uint64_t conn, int status, const char *content_type, const char *body,
                       size_t len)
{
    dm_out *o = dm_net_out_reply(conn, status, content_type, body, len);
    if (o)
        push_out(net, o);
}

/* Any thread: fixed once started. */
int dm_net_port(const dm_net *net)
{
    return net->port;
}

uint64_t dm_net_cut_not_reading(dm_net *net)
{
    return atomic_load(&net->cut_not_reading);
}

/* lws thread: its whole life. The context is destroyed here because only
 * this thread may touch it once started. */
static void *service_main(void *arg)
{
    dm_net *net = arg;
    while (!net->done)
        dm_net_loop_run(net->loop);
    dm_net_timer_stop(net->stop_timer);
    dm_net_timer_stop(net->goodbye_timer);
    pthread_mutex_lock(&net->wake_lock);
    net->lws_alive = false;
    pthread_mutex_unlock(&net->wake_lock);
    lws_context_destroy(net->ctx);
    return NULL;
}

/* Phones on a bus lose the network without a FIN: after a minute of silence
 * lws pings, and a connection that does not answer is closed, so dead
 * connections do not pile up. (Availability is the heartbeats' business.) */
static const lws_retry_bo_t idle_policy = {
    .secs_since_valid_ping = 60,
    .secs_since_valid_hangup = 90,
};

/* The lowest descriptor number a new connection may not have. Descriptors
 * are numbered lowest free first, so a connection numbered this high means
 * that many are open, and it is refused (lws closes it) to keep FD_RESERVE
 * free. Without that reserve, accept() ran out of descriptors first, and lws,
 * which only logs that failure, tried again at once, forever: a core spent
 * and a log line per try for as long as the server was full. lws's table
 * stays as large as the limit: a smaller one makes lws look every socket up
 * by searching its whole table. */
static int fd_ceiling(int nofile)
{
    if (nofile <= 0)
        return INT_MAX;
    return nofile > 2 * FD_RESERVE ? nofile - FD_RESERVE : nofile / 2;
}

/* libevent thread. */
static struct lws_context *create_context(dm_net *net, int fd_limit)
{
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    void *loops[] = {net->loop};
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_LIBEV;
    info.foreign_loops = loops;
    info.fd_limit_per_thread = (unsigned int)fd_limit;
    info.user = net;
    struct lws_context *ctx = lws_create_context(&info);
    if (!ctx) {
        dm_error("net: lws_create_context failed");
        return NULL;
    }
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
    info.vhost_name = "dragoman";
    info.port = net->port;
    info.protocols = protocols;
    info.mounts = build_mounts(net);
    info.server_string = "dragoman";
    info.retry_and_idle_policy = &idle_policy;
    choose_bind(net, &info);
    struct lws_vhost *vh = lws_create_vhost(ctx, &info);
    if (!vh) {
        dm_error("net: cannot listen on %s port %d", net->iface, net->port);
        lws_context_destroy(ctx);
        return NULL;
    }
    net->port = lws_get_vhost_listen_port(vh);
    return ctx;
}

/* 0 means the default; the cap keeps size arithmetic far from overflow. */
static size_t limit_or_default(size_t limit)
{
    if (!limit)
        return DEFAULT_LIMIT;
    return limit < HARD_LIMIT ? limit : HARD_LIMIT;
}

/* libevent thread. */
static dm_net *net_new(const dm_net_config *cfg, struct event_base *base, dm_net_event_cb cb, void *ud)
{
    dm_net *net = calloc(1, sizeof *net);
    if (!net)
        return NULL;
    pthread_mutex_init(&net->wake_lock, NULL);
    net->max_message = limit_or_default(cfg->max_message);
    net->max_body = limit_or_default(cfg->max_body);
    net->port = cfg->port;
    net->cb = cb;
    net->ud = ud;
    net->iface = strdup(cfg->host && *cfg->host ? cfg->host : "127.0.0.1");
    net->web_root = cfg->web_root ? strdup(cfg->web_root) : NULL;
    net->out_q = dm_queue_new();
    net->in_q = dm_queue_new();
    net->in_ev = event_new(base, -1, 0, on_inbound, net);
    net->wake_ev = event_new(base, -1, 0, on_wake, net);
    net->base_thread = pthread_self();
    net->stop_out = out_new(DM_OUT_STOP, 0, 0);
    bool ok = net->iface && (net->web_root || !cfg->web_root) && net->out_q && net->in_q && net->in_ev &&
              net->wake_ev && net->stop_out && dm_connmap_init(&net->map) == 0;
    if (!ok) {
        dm_error("net: out of memory starting");
        net_free(net);
        return NULL;
    }
    return net;
}

/* libevent thread. create_context binds and listens before it returns,
 * so the port is known and connections queue in the backlog from here on. */
dm_net *dm_net_start(const dm_net_config *cfg, struct event_base *base, dm_net_event_cb cb, void *ud)
{
    if (!cfg || !base || !cb || cfg->port < 0 || cfg->port > 65535) {
        dm_error("net: bad configuration");
        return NULL;
    }
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
    int fd_limit = set_nofile();
    dm_net *net = net_new(cfg, base, cb, ud);
    if (!net)
        return NULL;
    net->loop = dm_net_loop_new();
    net->fd_ceiling = fd_ceiling(fd_limit);
    net->ctx = net->loop && dm_net_stop_timers_new(net) ? create_context(net, fd_limit) : NULL;
    if (!net->ctx) {
        net_free(net);
        return NULL;
    }
    net->lws_alive = true;
    if (pthread_create(&net->thread, NULL, service_main, net) != 0) {
        dm_error("net: cannot start the lws thread");
        lws_context_destroy(net->ctx);
        net_free(net);
        return NULL;
    }
    dm_info("net: listening on %s port %d%s%s", net->iface, net->port, net->web_root ? ", files from " : "",
            net->web_root ? net->web_root : "");
    return net;
}

/* libevent thread. Blocks until the service thread has said goodbye to every
 * connection (or the grace period ran out) and destroyed the context. */
void dm_net_stop(dm_net *net)
{
    if (!net)
        return;
    /* Woken now, whatever the queue held: this thread blocks below, so a
     * wake left for the end of this turn would never come. */
    dm_queue_push(net->out_q, &net->stop_out->node);
    wake(net);
    net->stop_out = NULL;
    pthread_join(net->thread, NULL);
    if (net->dispatching) {
        net->stopped = true;
        return;
    }
    net_free(net);
}
