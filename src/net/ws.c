/* The "dragoman.v1" WebSocket protocol. Every function here runs on the lws
 * service thread. */
#include "net_internal.h"

#include "dragoman/log.h"

#include <stdlib.h>
#include <string.h>

static dm_net *net_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

/* lws thread. The endpoint lives at /ws only, and an Origin that does not
 * fit the event is refused rather than cut: a truncated origin could match a
 * registered one. */
static int ws_filter(dm_net *net, struct lws *wsi)
{
    char uri[8];
    if (net->stopping)
        return -1;
    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0 || strcmp(uri, "/ws") != 0)
        return -1;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) >= (int)sizeof(((dm_net_event *)0)->origin))
        return -1;
    return 0;
}

/* lws thread. The handshake headers are still attached here and gone afterwards. */
static int ws_established(dm_net *net, struct lws *wsi, dm_ws_conn *wc)
{
    if (dm_net_register(net, &wc->c, wsi, true) != 0)
        return -1;
    dm_in *in = dm_net_in_new(DM_NET_WS_OPEN, wc->c.id, true);
    if (!in)
        return -1;
    lws_hdr_copy(wsi, in->full->origin, sizeof in->full->origin, WSI_TOKEN_ORIGIN);
    lws_get_peer_simple(wsi, in->full->peer, sizeof in->full->peer);
    dm_net_emit(net, in);
    return 0;
}

/* lws thread. Sets the close frame lws sends when the callback then returns
 * -1; without it the client sees 1006. */
static int ws_refuse(struct lws *wsi, enum lws_close_status code, const char *reason)
{
    lws_close_reason(wsi, code, (unsigned char *)(uintptr_t)reason, strlen(reason));
    return -1;
}

/* lws thread. */
static int rx_reserve(dm_ws_conn *wc, size_t need, size_t limit, bool final)
{
    if (need <= wc->rx_cap)
        return 0;
    /* A final piece gets exactly its size; a growing message doubles, up to the limit. */
    size_t cap = final ? need : wc->rx_cap * 2;
    if (cap < need)
        cap = need < 4096 ? 4096 : need;
    if (cap > limit)
        cap = limit;
    char *rx = realloc(wc->rx, cap);
    if (!rx)
        return -1;
    wc->rx = rx;
    wc->rx_cap = cap;
    return 0;
}

/* lws thread. lws hands over a message in pieces: one per frame and, within a frame, one
 * per rx buffer. They are glued here until the final one. */
static int ws_receive(dm_net *net, struct lws *wsi, dm_ws_conn *wc, const void *data, size_t len)
{
    if (lws_frame_is_binary(wsi))
        return ws_refuse(wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE, "text only");
    if (len > net->max_message - wc->rx_len)
        return ws_refuse(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too large");
    bool final = lws_is_final_fragment(wsi);
    if (rx_reserve(wc, wc->rx_len + len + 1, net->max_message + 1, final) != 0)
        return ws_refuse(wsi, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
    memcpy(wc->rx + wc->rx_len, data, len);
    wc->rx_len += len;
    if (!final)
        return 0;
    dm_in *in = dm_net_in_new(DM_NET_WS_MESSAGE, wc->c.id, false);
    if (!in)
        return ws_refuse(wsi, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
    wc->rx[wc->rx_len] = '\0';
    in->data = wc->rx;
    in->len = wc->rx_len;
    wc->rx = NULL;
    wc->rx_len = wc->rx_cap = 0;
    dm_net_emit(net, in);
    return 0;
}

/* lws thread. Whether the message went out or to lws's own buffer (what
 * the socket did not take lws keeps and sends first); false: the connection
 * is broken. */
static bool ws_write(struct lws *wsi, const dm_out *o)
{
    int n = lws_write(wsi, (unsigned char *)o->buf + LWS_PRE, o->len, LWS_WRITE_TEXT);
    return n >= 0 && (size_t)n >= o->len;
}

/* lws thread. One lws_write per callback: lws keeps what the socket did not take and
 * calls again only once it has gone out. */
static int ws_writeable(struct lws *wsi, dm_ws_conn *wc)
{
    dm_out *o = wc->out_head;
    if (!o)
        return 0;
    wc->out_head = (dm_out *)o->node.next;
    if (!wc->out_head)
        wc->out_tail = NULL;
    if (o->kind == DM_OUT_CLOSE) {
        lws_close_reason(wsi, (enum lws_close_status)o->code, o->buf, o->len);
        free(o);
        return -1;
    }
    bool sent = ws_write(wsi, o);
    wc->out_bytes -= o->len;
    free(o);
    if (!sent)
        return -1;
    if (wc->out_head)
        lws_callback_on_writable(wsi);
    return 0;
}

/* lws thread. The connection is gone: whatever was still queued for it goes too. */
static void ws_closed(dm_net *net, dm_ws_conn *wc)
{
    if (!wc->c.id)
        return;
    uint64_t id = wc->c.id;
    dm_net_unregister(net, &wc->c);
    while (wc->out_head) {
        dm_out *o = wc->out_head;
        wc->out_head = (dm_out *)o->node.next;
        free(o);
    }
    wc->out_tail = NULL;
    free(wc->rx);
    wc->rx = NULL;
    dm_in *in = dm_net_in_new(DM_NET_WS_CLOSE, id, false);
    if (in)
        dm_net_emit(net, in);
    else
        dm_error("net: out of memory reporting the close of %llu", (unsigned long long)id);
}

/* lws thread. A message for a connection with nothing queued is written at
 * once instead of from a WRITEABLE callback: asking lws for one cost two
 * epoll_ctl calls and a turn of its loop per message (35,000 calls a second
 * at 1,000 requests/s), though the socket nearly always has room. What the
 * socket does not take lws keeps and sends first (lws_partial_buffered);
 * while it has such a rest, messages queue as before, so order holds and the
 * backlog limit still applies. false: the message must queue. */
static bool ws_send_now(dm_ws_conn *wc, dm_out *o)
{
    struct lws *wsi = wc->c.wsi;
    if (wc->out_head || lws_partial_buffered(wsi))
        return false;
    /* Not inside this connection's callback, so a broken one cannot be
     * closed by returning -1: lws closes it at its next timeout check. */
    if (!ws_write(wsi, o))
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    free(o);
    return true;
}

/* lws thread. Messages go out in order and a close goes last: anything routed after a
 * close (or an HTTP reply sent to a WebSocket id) is dropped. */
void dm_net_ws_route(dm_ws_conn *wc, dm_out *o)
{
    if (wc->closing || o->kind == DM_OUT_REPLY) {
        free(o);
        return;
    }
    if (o->kind == DM_OUT_SEND && ws_send_now(wc, o))
        return;
    if (o->kind == DM_OUT_SEND && wc->out_bytes + o->len > DM_NET_MAX_BACKLOG) {
        free(o);
        atomic_fetch_add(&net_of(wc->c.wsi)->cut_not_reading, 1);
        o = dm_net_out_close(wc->c.id, LWS_CLOSE_STATUS_POLICY_VIOLATION, "not reading: too much output queued");
        if (!o)
            return;
    }
    if (o->kind == DM_OUT_SEND)
        wc->out_bytes += o->len;
    o->node.next = NULL;
    if (wc->out_tail)
        wc->out_tail->node.next = &o->node;
    else
        wc->out_head = o;
    wc->out_tail = o;
    if (o->kind == DM_OUT_CLOSE)
        wc->closing = true;
    lws_callback_on_writable(wc->c.wsi);
}

/* lws thread (PROTOCOL_INIT also comes on dm_net_start's thread, and is ignored). */
int dm_net_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    dm_ws_conn *wc = user;
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return ws_filter(net_of(wsi), wsi);
    case LWS_CALLBACK_ESTABLISHED:
        return ws_established(net_of(wsi), wsi, wc);
    case LWS_CALLBACK_RECEIVE:
        return ws_receive(net_of(wsi), wsi, wc, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return ws_writeable(wsi, wc);
    case LWS_CALLBACK_CLOSED:
        ws_closed(net_of(wsi), wc);
        return 0;
    default:
        return 0;
    }
}
