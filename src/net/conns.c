/* The lws thread's connections: their ids, the outbound queue routed to
 * them, and the goodbye when the server stops (see net_internal.h). Every
 * function here runs on the lws service thread. */
#include "net_internal.h"

#include "dragoman/log.h"

#define STOP_GRACE_S 2.0
/* Goodbyes go out this many at a time, a millisecond apart (see say_goodbyes). */
#define GOODBYE_BATCH 500
#define GOODBYE_GAP_S 0.001

/* lws thread. Ids come from one counter and are never reused, so a late
 * answer for a finished connection can only miss, never hit another one. */
int dm_net_register(dm_net *net, dm_conn *c, struct lws *wsi, bool is_ws)
{
    uint64_t id = ++net->next_id;
    if (dm_connmap_put(&net->map, id, c) != 0) {
        dm_error("net: out of memory registering a connection");
        return -1;
    }
    c->id = id;
    c->wsi = wsi;
    c->is_ws = is_ws;
    return 0;
}

/* lws thread, inside the loop's callbacks. Ends the service loop once the
 * callback returns; once done, closes come from lws_context_destroy and must
 * not end anything again. */
static void finish(dm_net *net)
{
    if (net->done)
        return;
    net->done = true;
    dm_net_loop_break(net->loop);
}

/* lws thread. While stopping, the last connection to go ends the service loop. */
void dm_net_unregister(dm_net *net, dm_conn *c)
{
    if (!c->id)
        return;
    dm_connmap_del(&net->map, c->id);
    c->id = 0;
    if (net->stopping && net->map.count == 0)
        finish(net);
}

/* lws thread. */
static void stop_deadline(dm_net *net)
{
    dm_warn("net: shutdown grace period over, %zu connection(s) still open", net->map.count);
    finish(net);
}

/* lws thread. Up to GOODBYE_BATCH connections not yet told are told to go;
 * true once none is left. Each close handshake gets an lws timer, and lws
 * keeps its timers in a list sorted by walking it, so telling ten thousand at
 * once spent most of a restart in that walk: in batches, the clients' answers
 * end most handshakes (and their timers) before the next batch. The scan
 * starts over each time because closing moves entries of the map. */
static bool say_goodbyes(dm_net *net)
{
    size_t cursor = 0, told = 0;
    dm_conn *c;
    while (told < GOODBYE_BATCH && (c = dm_connmap_next(&net->map, &cursor))) {
        if (c->told_to_go)
            continue;
        c->told_to_go = true;
        told++;
        dm_out *o = c->is_ws ? dm_net_out_close(c->id, LWS_CLOSE_STATUS_GOINGAWAY, "going away")
                             : dm_net_out_reply(c->id, HTTP_STATUS_SERVICE_UNAVAILABLE, "text/plain",
                                                "shutting down\n", 14);
        if (!o)
            continue;
        if (c->is_ws)
            dm_net_ws_route((dm_ws_conn *)c, o);
        else
            dm_net_http_route((dm_http_conn *)c, o);
    }
    return told < GOODBYE_BATCH;
}

/* lws thread. */
static void goodbye_next(dm_net *net)
{
    if (!say_goodbyes(net))
        dm_net_timer_set(net->goodbye_timer, GOODBYE_GAP_S);
}

/* libevent thread, before the lws thread starts: the stop's two timers. */
bool dm_net_stop_timers_new(dm_net *net)
{
    net->stop_timer = dm_net_timer_new(net->loop, stop_deadline, net);
    net->goodbye_timer = dm_net_timer_new(net->loop, goodbye_next, net);
    return net->stop_timer && net->goodbye_timer;
}

/* lws thread: say goodbye to everyone, then let the service loop run until
 * they are gone or the grace period ends. */
static void begin_stop(dm_net *net)
{
    net->stopping = true;
    if (net->map.count == 0) {
        finish(net);
        return;
    }
    dm_net_timer_set(net->stop_timer, STOP_GRACE_S);
    goodbye_next(net);
}

/* lws thread, from LWS_CALLBACK_EVENT_WAIT_CANCELLED. */
void dm_net_drain_outbound(dm_net *net)
{
    dm_queue_node *n = dm_queue_take(net->out_q);
    while (n) {
        dm_out *o = (dm_out *)n;
        n = n->next;
        if (o->kind == DM_OUT_STOP) {
            free(o);
            begin_stop(net);
            continue;
        }
        dm_conn *c = dm_connmap_get(&net->map, o->conn);
        if (!c)
            free(o);
        else if (c->is_ws)
            dm_net_ws_route((dm_ws_conn *)c, o);
        else
            dm_net_http_route((dm_http_conn *)c, o);
    }
}
