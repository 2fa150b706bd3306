/* The glue between hiredis and libevent, instead of hiredis's own
 * (adapters/libevent.h). That one registers one-shot events: libevent
 * removes a one-shot event from epoll each time it fires, and hiredis adds it
 * back at once, so every reply read cost two epoll_ctl calls, and every
 * command written two more plus a turn of the loop to learn that the socket
 * was writable, which it nearly always is. Here the read event stays in
 * epoll, and commands are written when the loop has run every callback made
 * ready with them: all the commands one batch of events issues go out in one
 * write, in the same turn of the loop. Only a socket that cannot take it all
 * (or a connect still in progress) waits for writability.
 * Everything here runs on the libevent thread. */
#include "evredis.h"

#include <stdlib.h>

typedef struct evredis {
    redisAsyncContext *ac;
    struct event *rev;   /* persistent: in epoll while connected */
    struct event *wev;   /* persistent: only while a write must wait */
    struct event *flush; /* no fd: made active to write after this turn's callbacks */
} evredis;

/* The adapter whose commands are being written: a write hiredis could not
 * finish asks to continue (addWrite), and that must wait for writability,
 * not come back as another flush. Not a field: writing may disconnect and
 * free the adapter before redisAsyncHandleWrite returns. */
static evredis *writing;

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    redisAsyncHandleRead(((evredis *)arg)->ac);
}

/* The socket is writable (wev), or this turn's callbacks have run (flush). */
static void on_write(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    evredis *e = arg;
    writing = e;
    redisAsyncHandleWrite(e->ac);
    writing = NULL;
}

static void add_read(void *data)
{
    event_add(((evredis *)data)->rev, NULL);
}

static void del_read(void *data)
{
    event_del(((evredis *)data)->rev);
}

/* A connect in progress reports through writability, as does a write that
 * filled the socket; anything else is a new command, written after the
 * callbacks of this turn. */
static void add_write(void *data)
{
    evredis *e = data;
    if (writing == e || !(e->ac->c.flags & REDIS_CONNECTED))
        event_add(e->wev, NULL);
    else
        event_active(e->flush, 0, 0);
}

static void del_write(void *data)
{
    event_del(((evredis *)data)->wev);
}

static void evredis_free(evredis *e)
{
    if (e->rev)
        event_free(e->rev);
    if (e->wev)
        event_free(e->wev);
    if (e->flush)
        event_free(e->flush);
    free(e);
}

static void cleanup(void *data)
{
    if (writing == data)
        writing = NULL;
    evredis_free(data);
}

bool dm_evredis_attach(redisAsyncContext *ac, struct event_base *base)
{
    evredis *e = calloc(1, sizeof *e);
    if (!e)
        return false;
    e->ac = ac;
    int fd = ac->c.fd;
    e->rev = event_new(base, fd, EV_READ | EV_PERSIST, on_read, e);
    e->wev = event_new(base, fd, EV_WRITE | EV_PERSIST, on_write, e);
    e->flush = event_new(base, -1, 0, on_write, e);
    if (!e->rev || !e->wev || !e->flush) {
        evredis_free(e);
        return false;
    }
    ac->ev.data = e;
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    /* hiredis learns that its non-blocking connect finished from the first
     * writability, as with its own adapter. */
    event_add(e->rev, NULL);
    event_add(e->wev, NULL);
    return true;
}
