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

/* libevent thread, with the lws thread gone. */
void dm_net_loop_free(struct ev_loop *loop)
{
    if (loop)
        ev_loop_destroy(loop);
}
