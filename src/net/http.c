/* protocols[0]: the HTTP API (/api/..., /healthz, /metrics) answered later
 * from the libevent thread, plus the jobs lws gives the first protocol: the
 * cross-thread wakeup and WebSocket upgrades that named no subprotocol.
 * lws serves static files from the "/" mount by itself; their callbacks, and
 * any other reason not handled here, go to lws_callback_http_dummy. Every
 * function here runs on the lws service thread. */
#include "net_internal.h"

#include "dragoman/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* lws thread. Ends the request with a status and closes the connection:
 * after a refusal the rest of the request (a body we will not read) must not
 * be parsed as the next request. */
static int http_refuse(struct lws *wsi, unsigned int status)
{
    lws_return_http_status(wsi, status, NULL);
    return -1;
}

static bool is_api_path(const char *path)
{
    return strcmp(path, "/healthz") == 0 || strcmp(path, "/metrics") == 0 || strncmp(path, "/api/", 5) == 0;
}

static const char *method_name(int meth)
{
    switch (meth) {
    case LWSHUMETH_GET:
        return "GET";
    case LWSHUMETH_POST:
        return "POST";
    case LWSHUMETH_PUT:
        return "PUT";
    case LWSHUMETH_DELETE:
        return "DELETE";
    default:
        return NULL;
    }
}

/* lws thread. lws has already percent-decoded the arguments and split them at '&', so
 * the query is rebuilt, percent-encoding every byte that could be misread
 * ('&', '%', '+', '#', ...): the application decodes it exactly once. Empty
 * arguments are dropped: lws turns a trailing '&' into an argument "/". */
static int copy_query(struct lws *wsi, char *dst, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    char frag[512];
    size_t o = 0;
    for (int i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i) >= 0; i++) {
        if (frag[0] == '\0' || strcmp(frag, "/") == 0)
            continue;
        if (o > 0 && o < cap)
            dst[o++] = '&';
        for (const unsigned char *s = (const unsigned char *)frag; *s && o + 3 < cap; s++) {
            if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                strchr("-._~=", *s)) {
                dst[o++] = (char)*s;
                continue;
            }
            dst[o++] = '%';
            dst[o++] = hex[*s >> 4];
            dst[o++] = hex[*s & 15];
        }
    }
    if (o + 3 >= cap)
        return -1;
    dst[o] = '\0';
    return 0;
}

/* lws thread. -1 when absent, -2 when not a plain decimal number. */
static long long content_length(struct lws *wsi)
{
    char buf[24];
    int n = lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_HTTP_CONTENT_LENGTH);
    if (n == 0)
        return -1;
    if (n < 0 || n > 18 || strspn(buf, "0123456789") != (size_t)n)
        return -2;
    return strtoll(buf, NULL, 10);
}

/* lws thread. Fills the event's request fields; an HTTP status when something does not fit. */
static unsigned int read_request(struct lws *wsi, int meth, const char *path, dm_net_event *ev)
{
    snprintf(ev->method, sizeof ev->method, "%s", method_name(meth));
    if (strlen(path) >= sizeof ev->path || copy_query(wsi, ev->query, sizeof ev->query) != 0)
        return HTTP_STATUS_REQ_URI_TOO_LONG;
    if (lws_hdr_copy(wsi, ev->authorization, sizeof ev->authorization, WSI_TOKEN_HTTP_AUTHORIZATION) < 0)
        return HTTP_STATUS_BAD_REQUEST;
    if (lws_hdr_copy(wsi, ev->origin, sizeof ev->origin, WSI_TOKEN_ORIGIN) < 0)
        return HTTP_STATUS_FORBIDDEN;
    snprintf(ev->path, sizeof ev->path, "%s", path);
    lws_get_peer_simple(wsi, ev->peer, sizeof ev->peer);
    return 0;
}

/* lws calls back with the body (LWS_CALLBACK_HTTP_BODY, then
 * _BODY_COMPLETION) when the request has a Content-Length above zero, and
 * for a POST with an explicit zero. Otherwise the request is whole now. */
static bool body_follows(int meth, long long cl)
{
    return cl > 0 || (cl == 0 && meth == LWSHUMETH_POST);
}

/* lws thread. Registers the request under a new id, then hands it over at once
 * or, when a body follows, once it is complete. */
static int http_request(dm_net *net, struct lws *wsi, dm_http_conn *hc, void *in, size_t len)
{
    char *path = NULL;
    int plen = 0;
    int meth = lws_http_get_uri_and_method(wsi, &path, &plen);
    if (meth < 0 || !path || !is_api_path(path))
        return lws_callback_http_dummy(wsi, LWS_CALLBACK_HTTP, hc, in, len);
    if (net->stopping)
        return http_refuse(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE);
    if (!method_name(meth))
        return http_refuse(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED);
    long long cl = content_length(wsi);
    if (cl == -2 || (cl == -1 && (meth == LWSHUMETH_POST || meth == LWSHUMETH_PUT)))
        return http_refuse(wsi, cl == -2 ? HTTP_STATUS_BAD_REQUEST : HTTP_STATUS_LENGTH_REQUIRED);
    if (cl > (long long)net->max_body)
        return http_refuse(wsi, HTTP_STATUS_REQ_ENTITY_TOO_LARGE);
    dm_in *req = dm_net_in_new(DM_NET_HTTP, 0, true);
    if (!req)
        return http_refuse(wsi, HTTP_STATUS_INTERNAL_SERVER_ERROR);
    unsigned int status = read_request(wsi, meth, path, req->full);
    if (status || dm_net_register(net, &hc->c, wsi, false) != 0) {
        dm_net_in_free(req);
        return http_refuse(wsi, status ? status : HTTP_STATUS_INTERNAL_SERVER_ERROR);
    }
    req->conn = hc->c.id;
    if (!body_follows(meth, cl)) {
        dm_net_emit(net, req);
        return 0;
    }
    req->data = malloc((size_t)cl + 1);
    if (!req->data) {
        dm_net_in_free(req);
        return http_refuse(wsi, HTTP_STATUS_INTERNAL_SERVER_ERROR);
    }
    hc->req = req;
    hc->body_cap = (size_t)cl;
    return 0;
}

/* lws thread. The buffer was sized from Content-Length, which passed the
 * max_body check; lws never delivers more than announced. */
static int http_body(struct lws *wsi, dm_http_conn *hc, const void *data, size_t len)
{
    dm_in *req = hc->req;
    if (!req || !len)
        return 0;
    if (len > hc->body_cap - req->len)
        return http_refuse(wsi, HTTP_STATUS_REQ_ENTITY_TOO_LARGE);
    memcpy(req->data + req->len, data, len);
    req->len += len;
    return 0;
}

/* lws thread. */
static int http_body_done(dm_net *net, dm_http_conn *hc)
{
    dm_in *req = hc->req;
    if (!req)
        return 0;
    hc->req = NULL;
    req->data[req->len] = '\0';
    dm_net_emit(net, req);
    return 0;
}

/* 1xx, 204 and 304 answers carry neither a body nor a Content-Length. */
static bool has_body(int status)
{
    return status >= 200 && status != 204 && status != 304;
}

/* lws thread. */
static int reply_headers(struct lws *wsi, int status, const char *ctype, size_t len, unsigned char **p,
                         unsigned char *end)
{
    static const char nostore[] = "no-store";
    if (lws_add_http_header_status(wsi, (unsigned int)status, p, end))
        return -1;
    if (*ctype && lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, (const unsigned char *)ctype,
                                               (int)strlen(ctype), p, end))
        return -1;
    if (has_body(status) && lws_add_http_header_content_length(wsi, len, p, end))
        return -1;
    if (lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:", (const unsigned char *)nostore,
                                    (int)strlen(nostore), p, end))
        return -1;
    return lws_finalize_http_header(wsi, p, end) ? -1 : 0;
}

/* lws thread. Headers and body go out in one lws_write: they were laid out so that the
 * headers can be moved right in front of the body. */
static int http_write_reply(dm_net *net, struct lws *wsi, dm_http_conn *hc)
{
    dm_out *o = hc->reply;
    hc->reply = NULL;
    unsigned char *body = o->buf + LWS_PRE + DM_NET_HDR_ROOM;
    const char *ctype = (const char *)body + o->len;
    unsigned char *start = o->buf + LWS_PRE, *p = start;
    if (reply_headers(wsi, o->code, ctype, o->len, &p, body) != 0) {
        dm_error("net: reply headers for %llu do not fit", (unsigned long long)hc->c.id);
        free(o);
        return -1;
    }
    size_t hlen = (size_t)(p - start);
    size_t blen = has_body(o->code) ? o->len : 0;
    memmove(body - hlen, start, hlen);
    /* A reply that overtook its own body (shutdown) must not keep the connection. */
    bool partial = hc->req != NULL;
    dm_net_unregister(net, &hc->c);
    int n = lws_write(wsi, body - hlen, hlen + blen, LWS_WRITE_HTTP_FINAL);
    free(o);
    if (n < 0 || partial)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* lws thread. The pss is freed right after this (end of the transaction or of the
 * connection); an answer arriving later finds no id and is dropped. */
static void http_forget(dm_net *net, dm_http_conn *hc)
{
    if (!hc)
        return;
    dm_net_unregister(net, &hc->c);
    dm_net_in_free(hc->req);
    hc->req = NULL;
    free(hc->reply);
    hc->reply = NULL;
}

/* lws thread. Only the first answer counts; HTTP ids get no WebSocket output. */
void dm_net_http_route(dm_http_conn *hc, dm_out *o)
{
    if (o->kind != DM_OUT_REPLY || hc->reply) {
        free(o);
        return;
    }
    hc->reply = o;
    lws_callback_on_writable(hc->c.wsi);
}

/* lws thread (PROTOCOL_INIT also comes on dm_net_start's thread, and is ignored). */
int dm_net_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    dm_net *net = lws_context_user(lws_get_context(wsi));
    dm_http_conn *hc = user;
    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        /* Broadcast to every protocol: only this one drains. */
        dm_net_drain_outbound(net);
        return 0;
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        /* Just accepted, before lws spends anything on it (see fd_ceiling).
         * While stopping, every client told to go tries again at once: turned
         * away only after its headers, ten thousand of them kept this thread
         * too busy to close the connections it was stopping for. */
        return net->stopping || (int)(intptr_t)in >= net->fd_ceiling ? -1 : 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        /* A WebSocket that asked for no subprotocol lands here: refuse it. */
        return -1;
    case LWS_CALLBACK_HTTP:
        return http_request(net, wsi, hc, in, len);
    case LWS_CALLBACK_HTTP_BODY:
        return http_body(wsi, hc, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return http_body_done(net, hc);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (hc && hc->reply)
            return http_write_reply(net, wsi, hc);
        break;
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
        http_forget(net, hc);
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}
