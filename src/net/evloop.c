/* The lws thread's event loop (see net_internal.h).
 *
 * lws's own loop calls poll() over every socket it holds, so with ten
 * thousand phones connected each wakeup scans ten thousand descriptors in
 * the kernel, however few of them are ready. Debian builds lws with a libev
 * plugin; a libev loop on epoll costs per ready socket instead. The loop is
 * ours (a "foreign" loop to lws) so that libev installs no signal handlers:
 * signals are the libevent thread's business. This file is apart from net.c
 * because libev's and libevent's headers both define EV_READ and EV_WRITE. */
#include "net_internal.h"

#include <ev.h>
#include <stdlib.h>

/* lws 4.1.6's libev glue re-arms its one timer (for every lws_sul) with
 * ev_timer_set while that timer is running, which libev does not see: a sul
 * due sooner than lws's next deadline of its own (up to 30 s on) ran only
 * once some socket woke the loop. A shutdown waiting for phones that had
 * dropped off the network so took 30 s instead of its 2 s of grace. Our
 * deadlines are libev timers of their own. */
struct dm_net_timer {
    ev_timer w; /* first: the callback gets its address */
    struct ev_loop *loop;
    void (*cb)(dm_net *net);
    dm_net *net;
};

/* libevent thread, before the lws thread starts. */
struct ev_loop *dm_net_loop_new(void)
{
    return ev_loop_new(EVBACKEND_EPOLL);
}

/* lws thread. Returns when dm_net_loop_break is called from a callback. */
void dm_net_loop_run(struct ev_loop *loop)
{
    ev_run(loop, 0);
}

/* lws thread, from inside dm_net_loop_run. */
void dm_net_loop_break(struct ev_loop *loop)
{
    ev_break(loop, EVBREAK_ALL);
}

/* lws thread. */
static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    dm_net_timer *t = (dm_net_timer *)w;
    t->cb(t->net);
}

/* libevent thread, before the lws thread starts. */
dm_net_timer *dm_net_timer_new(struct ev_loop *loop, void (*cb)(dm_net *net), dm_net *net)
{
    dm_net_timer *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    ev_timer_init(&t->w, on_timer, 0, 0);
    t->loop = loop;
    t->cb = cb;
    t->net = net;
    return t;
}

/* lws thread: cb runs once, after_s from now (from now again if it was set). */
void dm_net_timer_set(dm_net_timer *t, double after_s)
{
    ev_timer_stop(t->loop, &t->w);
    ev_timer_set(&t->w, after_s, 0);
    ev_timer_start(t->loop, &t->w);
}

/* lws thread. */
void dm_net_timer_stop(dm_net_timer *t)
{
    ev_timer_stop(t->loop, &t->w);
}

/* libevent thread, with the lws thread gone. */
void dm_net_timer_free(dm_net_timer *t)
{
    free(t);
}

/* libevent thread, with the lws thread gone. */
void dm_net_loop_free(struct ev_loop *loop)
{
    if (loop)
        ev_loop_destroy(loop);
}
