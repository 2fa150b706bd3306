/* The load generator's connections: non-blocking sockets on one epoll
 * instance, each speaking WebSocket with the framing of ws.c. Single thread. */
#ifndef DRAGOMAN_LG_NET_H
#define DRAGOMAN_LG_NET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { LG_CLOSED, LG_CONNECTING, LG_UPGRADING, LG_OPEN };

typedef struct lg_conn {
    int fd, state, id;
    char expect[32];
    uint8_t *rbuf, *wbuf;
    size_t rlen, rcap, wlen, wcap;
    char *msg; /* a fragmented message being put together */
    size_t mlen, mcap;
    bool epollout;
} lg_conn;

typedef struct lg_net_cbs {
    void (*on_open)(void *ud, lg_conn *c);
    /* text is NUL-terminated and may be modified; c may be closed from here. */
    void (*on_message)(void *ud, lg_conn *c, char *text, size_t len);
    /* The connection failed or ended (err: an errno, or 0 for a close by the peer). */
    void (*on_close)(void *ud, lg_conn *c, int err);
} lg_net_cbs;

typedef struct lg_net {
    int ep;
    char host[64], path[64];
    int port;
    lg_net_cbs cbs;
    void *ud;
    uint64_t mask; /* generator of the frames' masking keys */
} lg_net;

bool lg_net_init(lg_net *n, const char *host, int port, const char *path, lg_net_cbs cbs, void *ud);
void lg_net_free(lg_net *n);
/* Starts connecting c; false (errno set) when no socket could be made. */
bool lg_conn_connect(lg_net *n, lg_conn *c);
/* Queues a text message and writes what the socket takes now. */
bool lg_conn_send(lg_net *n, lg_conn *c, const char *text, size_t len);
/* Closes at once, without a callback; buffers are kept for reuse. */
void lg_conn_close(lg_net *n, lg_conn *c);
/* Releases c's buffers (after closing). */
void lg_conn_free(lg_conn *c);
/* One round of epoll: waits up to timeout_us (< 0: until an event), then
 * handles the events. */
int lg_net_poll(lg_net *n, int64_t timeout_us);

#endif
