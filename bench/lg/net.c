/* Connections on epoll: connect, upgrade, frames in and out. Every socket is
 * non-blocking; a write the socket does not take stays queued until EPOLLOUT. */
#define _GNU_SOURCE /* epoll_pwait2 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ws.h"

#define MAX_MESSAGE (1 << 20)
#define READ_CHUNK 16384
#define EVENTS 512

bool lg_net_init(lg_net *n, const char *host, int port, const char *path, lg_net_cbs cbs, void *ud)
{
    memset(n, 0, sizeof *n);
    n->ep = epoll_create1(EPOLL_CLOEXEC);
    snprintf(n->host, sizeof n->host, "%s", host);
    snprintf(n->path, sizeof n->path, "%s", path);
    n->port = port;
    n->cbs = cbs;
    n->ud = ud;
    n->mask = 0x9e3779b97f4a7c15ULL;
    return n->ep >= 0;
}

void lg_net_free(lg_net *n)
{
    if (n->ep >= 0)
        close(n->ep);
    n->ep = -1;
}

static bool reserve(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : 4096;
    while (c < need)
        c *= 2;
    uint8_t *b = realloc(*buf, c);
    if (!b)
        return false;
    *buf = b;
    *cap = c;
    return true;
}

static void want_out(lg_net *n, lg_conn *c, bool on)
{
    if (c->epollout == on || c->fd < 0)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(n->ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->epollout = on;
}

void lg_conn_close(lg_net *n, lg_conn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(n->ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->state = LG_CLOSED;
    c->rlen = c->wlen = c->mlen = 0;
    c->epollout = false;
}

void lg_conn_free(lg_conn *c)
{
    free(c->rbuf);
    free(c->wbuf);
    free(c->msg);
    c->rbuf = c->wbuf = NULL;
    c->msg = NULL;
    c->rcap = c->wcap = c->mcap = 0;
}

static void fail(lg_net *n, lg_conn *c, int err)
{
    lg_conn_close(n, c);
    n->cbs.on_close(n->ud, c, err);
}

bool lg_conn_connect(lg_net *n, lg_conn *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return false;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)n->port)};
    inet_pton(AF_INET, n->host, &sa.sin_addr);
    c->state = LG_CONNECTING;
    c->epollout = true;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    if ((connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) ||
        epoll_ctl(n->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
        int err = errno;
        lg_conn_close(n, c);
        errno = err;
        return false;
    }
    return true;
}

/* Writes what the socket takes; false when the connection broke. */
static bool flush(lg_net *n, lg_conn *c)
{
    size_t off = 0;
    while (off < c->wlen) {
        ssize_t w = send(c->fd, c->wbuf + off, c->wlen - off, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (w < 0)
            return false;
        off += (size_t)w;
    }
    memmove(c->wbuf, c->wbuf + off, c->wlen - off);
    c->wlen -= off;
    want_out(n, c, c->wlen > 0);
    return true;
}

static bool queue_frame(lg_net *n, lg_conn *c, int opcode, const void *payload, size_t len)
{
    if (!reserve(&c->wbuf, &c->wcap, c->wlen + lg_ws_frame_size(len)))
        return false;
    n->mask = n->mask * 6364136223846793005ULL + 1;
    c->wlen += lg_ws_frame(c->wbuf + c->wlen, opcode, payload, len, (uint32_t)(n->mask >> 32));
    return true;
}

bool lg_conn_send(lg_net *n, lg_conn *c, const char *text, size_t len)
{
    if (c->state != LG_OPEN || !queue_frame(n, c, LG_WS_TEXT, text, len))
        return false;
    if (!flush(n, c)) {
        fail(n, c, errno);
        return false;
    }
    return true;
}

static void connected(lg_net *n, lg_conn *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
        fail(n, c, err);
        return;
    }
    char req[512];
    size_t rl = lg_ws_handshake(req, sizeof req, n->host, n->port, n->path, n->mask ^ (uint64_t)c->id, c->expect);
    if (!reserve(&c->wbuf, &c->wcap, c->wlen + rl)) {
        fail(n, c, ENOMEM);
        return;
    }
    memcpy(c->wbuf + c->wlen, req, rl);
    c->wlen += rl;
    c->state = LG_UPGRADING;
    if (!flush(n, c))
        fail(n, c, errno);
}

/* A complete text message (or a data frame continuing one). */
static bool take_data(lg_net *n, lg_conn *c, const lg_ws_frame_in *f)
{
    if (f->fin && c->mlen == 0) {
        char *text = (char *)f->payload;
        char saved = text[f->len];
        text[f->len] = '\0';
        n->cbs.on_message(n->ud, c, text, f->len);
        if (c->fd >= 0)
            text[f->len] = saved;
        return true;
    }
    if (c->mlen + f->len + 1 > MAX_MESSAGE || !reserve((uint8_t **)&c->msg, &c->mcap, c->mlen + f->len + 1))
        return false;
    memcpy(c->msg + c->mlen, f->payload, f->len);
    c->mlen += f->len;
    if (f->fin) {
        c->msg[c->mlen] = '\0';
        size_t len = c->mlen;
        c->mlen = 0;
        n->cbs.on_message(n->ud, c, c->msg, len);
    }
    return true;
}

/* Handles every complete frame in rbuf; false when the connection ended. */
static bool frames(lg_net *n, lg_conn *c)
{
    size_t off = 0;
    bool ok = true;
    while (ok && c->fd >= 0) {
        lg_ws_frame_in f;
        long used = lg_ws_parse(c->rbuf + off, c->rlen - off, MAX_MESSAGE, &f);
        if (used <= 0) {
            ok = used == 0;
            break;
        }
        off += (size_t)used;
        if (f.opcode == LG_WS_TEXT || f.opcode == LG_WS_CONT)
            ok = take_data(n, c, &f);
        else if (f.opcode == LG_WS_PING)
            ok = queue_frame(n, c, LG_WS_PONG, f.payload, f.len) && flush(n, c);
        else if (f.opcode == LG_WS_CLOSE)
            ok = false;
    }
    if (c->fd < 0)
        return false;
    if (!ok) {
        fail(n, c, 0);
        return false;
    }
    memmove(c->rbuf, c->rbuf + off, c->rlen - off);
    c->rlen -= off;
    return true;
}

static void upgraded(lg_net *n, lg_conn *c)
{
    size_t head = lg_ws_head_len((const char *)c->rbuf, c->rlen);
    if (!head)
        return;
    if (!lg_ws_head_ok((const char *)c->rbuf, head, c->expect)) {
        fail(n, c, EPROTO);
        return;
    }
    memmove(c->rbuf, c->rbuf + head, c->rlen - head);
    c->rlen -= head;
    c->state = LG_OPEN;
    n->cbs.on_open(n->ud, c);
}

/* The sockets are level-triggered: a read that did not fill the buffer
 * took all there was, and reading again only to hear EAGAIN was 17,700
 * wasted calls a second at 1,000 requests/s, CPU taken from the server and
 * Redis being measured. Anything left is reported again by the next poll. */
static void readable(lg_net *n, lg_conn *c)
{
    for (;;) {
        if (!reserve(&c->rbuf, &c->rcap, c->rlen + READ_CHUNK + 1)) {
            fail(n, c, ENOMEM);
            return;
        }
        size_t room = c->rcap - c->rlen - 1;
        ssize_t r = recv(c->fd, c->rbuf + c->rlen, room, 0);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (r <= 0) {
            fail(n, c, r == 0 ? 0 : errno);
            return;
        }
        c->rlen += (size_t)r;
        if (c->state == LG_UPGRADING)
            upgraded(n, c);
        if (c->state == LG_OPEN && !frames(n, c))
            return;
        if (c->fd < 0 || (size_t)r < room)
            return;
    }
}

/* epoll_pwait2's timeout is in nanoseconds: with epoll_wait's milliseconds a
 * timer due in under one had to be waited for with a timeout of 0, and at
 * 1,000 requests a second (a timer due every millisecond or less) the load
 * generator spun on epoll_wait and clock_gettime, a whole core taken from
 * the server and Redis it measures. */
int lg_net_poll(lg_net *n, int64_t timeout_us)
{
    struct epoll_event evs[EVENTS];
    struct timespec ts = {(time_t)(timeout_us / 1000000), (long)(timeout_us % 1000000) * 1000};
    int k = epoll_pwait2(n->ep, evs, EVENTS, timeout_us < 0 ? NULL : &ts, NULL);
    for (int i = 0; i < k; i++) {
        lg_conn *c = evs[i].data.ptr;
        if (c->fd < 0)
            continue;
        if (c->state == LG_CONNECTING && (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
            connected(n, c);
            continue;
        }
        if ((evs[i].events & EPOLLOUT) && !flush(n, c)) {
            fail(n, c, errno);
            continue;
        }
        if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
            readable(n, c);
    }
    return k;
}
