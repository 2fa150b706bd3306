/* Web Push sending on the libevent loop. libcurl's multi interface tells us
 * which sockets to watch and when to call it back (the socket and timer
 * callbacks); libevent watches them; completed transfers are collected after
 * each call into libcurl, never inside one, so a completion callback may
 * start another send. libevent thread. */
#include "dragoman/pushsend.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct dm_pushsend {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    dm_vapid_key *key;
    char subject[DM_VAPID_MAX_CLAIM + 1];
    char public_key[DM_VAPID_PUBLIC_B64_LEN + 1];
    long timeout_ms;
    struct send_job *jobs; /* in flight, so that freeing can drop them */
};

typedef struct send_job {
    struct send_job *prev, *next;
    dm_pushsend *ps;
    CURL *easy;
    struct curl_slist *headers;
    uint8_t *body;
    dm_push_done_fn done;
    void *ud;
    long retry_after_s;
    char error[CURL_ERROR_SIZE];
} send_job;

static void job_finish(send_job *j, const dm_push_result *r)
{
    if (j->prev)
        j->prev->next = j->next;
    else
        j->ps->jobs = j->next;
    if (j->next)
        j->next->prev = j->prev;
    j->done(j->ud, r);
    curl_slist_free_all(j->headers);
    curl_easy_cleanup(j->easy);
    free(j->body);
    free(j);
}

/* Runs the callbacks of every finished transfer. */
static void collect(dm_pushsend *ps)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(ps->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode code = msg->data.result;
        send_job *j = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&j);
        dm_push_result r = {.retry_after_s = j->retry_after_s};
        if (code == CURLE_OK)
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r.status);
        else
            snprintf(r.error, sizeof r.error, "%s", j->error[0] ? j->error : curl_easy_strerror(code));
        curl_multi_remove_handle(ps->multi, easy);
        job_finish(j, &r);
    }
}

static void on_socket_event(evutil_socket_t fd, short what, void *arg)
{
    dm_pushsend *ps = arg;
    int action = ((what & EV_READ) ? CURL_CSELECT_IN : 0) | ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    int running;
    curl_multi_socket_action(ps->multi, fd, action, &running);
    collect(ps);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    dm_pushsend *ps = arg;
    int running;
    curl_multi_socket_action(ps->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    collect(ps);
}

/* libcurl: watch s for what; the socket's event is kept as its socketp. */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)easy;
    dm_pushsend *ps = userp;
    struct event *ev = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (ev)
            event_free(ev);
        curl_multi_assign(ps->multi, s, NULL);
        return 0;
    }
    short kind = (short)(EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) | ((what & CURL_POLL_OUT) ? EV_WRITE : 0));
    if (ev) {
        event_del(ev);
        event_assign(ev, ps->base, s, kind, on_socket_event, ps);
    } else {
        ev = event_new(ps->base, s, kind, on_socket_event, ps);
        if (!ev)
            return -1;
        curl_multi_assign(ps->multi, s, ev);
    }
    return event_add(ev, NULL);
}

/* libcurl: call back in timeout_ms (-1: no timer). */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    dm_pushsend *ps = userp;
    if (timeout_ms < 0)
        return evtimer_del(ps->timer);
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    return evtimer_add(ps->timer, &tv);
}

dm_pushsend *dm_pushsend_new(struct event_base *base, dm_vapid_key *key, const char *subject, long timeout_ms)
{
    dm_pushsend *ps = calloc(1, sizeof *ps);
    if (!ps || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        goto fail;
    ps->base = base;
    ps->key = key;
    ps->timeout_ms = timeout_ms;
    snprintf(ps->subject, sizeof ps->subject, "%s", subject);
    ps->multi = curl_multi_init();
    ps->timer = evtimer_new(base, on_timeout, ps);
    if (!ps->multi || !ps->timer || !dm_vapid_public_b64url(key, ps->public_key))
        goto fail;
    curl_multi_setopt(ps->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(ps->multi, CURLMOPT_SOCKETDATA, ps);
    curl_multi_setopt(ps->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(ps->multi, CURLMOPT_TIMERDATA, ps);
    return ps;
fail:
    if (ps) {
        ps->key = NULL;
        dm_pushsend_free(ps);
    }
    dm_vapid_free(key);
    return NULL;
}

const char *dm_pushsend_public_key(const dm_pushsend *ps)
{
    return ps->public_key;
}

bool dm_push_sub_parse(const char *endpoint, const char *p256dh, const char *auth, dm_push_sub *out)
{
    size_t n;
    char origin[DM_PUSH_ENDPOINT_MAX + 1];
    if (strlen(endpoint) > DM_PUSH_ENDPOINT_MAX || !dm_webpush_origin(endpoint, origin, sizeof origin))
        return false;
    if (!dm_b64url_decode(p256dh, strlen(p256dh), out->p256dh, sizeof out->p256dh, &n) || n != sizeof out->p256dh ||
        out->p256dh[0] != 0x04)
        return false;
    if (!dm_b64url_decode(auth, strlen(auth), out->auth, sizeof out->auth, &n) || n != sizeof out->auth)
        return false;
    /* A key off the curve would fail every send; a trial message finds out now. */
    uint8_t body[DM_WEBPUSH_BODY_LEN(1)];
    size_t body_len;
    if (!dm_webpush_encrypt(out->p256dh, out->auth, (const uint8_t *)"x", 1, NULL, NULL, body, sizeof body, &body_len))
        return false;
    snprintf(out->endpoint, sizeof out->endpoint, "%s", endpoint);
    return true;
}

/* Keeps Retry-After (seconds form; the date form is rare for push services and ignored). */
static size_t on_header(char *buf, size_t size, size_t n, void *userp)
{
    send_job *j = userp;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len > sizeof name - 1 && strncasecmp(buf, name, sizeof name - 1) == 0) {
        char *end;
        long v = strtol(buf + sizeof name - 1, &end, 10);
        if (end != buf + sizeof name - 1 && v >= 0)
            j->retry_after_s = v;
    }
    return len;
}

static size_t discard(char *buf, size_t size, size_t n, void *userp)
{
    (void)buf;
    (void)userp;
    return size * n;
}

static bool add_header(send_job *j, const char *fmt, const char *value)
{
    char line[DM_VAPID_HEADER_MAX + 32];
    snprintf(line, sizeof line, fmt, value);
    struct curl_slist *l = curl_slist_append(j->headers, line);
    if (!l)
        return false;
    j->headers = l;
    return true;
}

static bool make_headers(dm_pushsend *ps, send_job *j, const dm_push_sub *sub, const dm_push_msg *m)
{
    char origin[DM_PUSH_ENDPOINT_MAX + 1], auth[DM_VAPID_HEADER_MAX], ttl[24];
    if (!dm_webpush_origin(sub->endpoint, origin, sizeof origin) ||
        !dm_vapid_authorization(ps->key, origin, ps->subject, (int64_t)time(NULL), 12 * 3600, auth, sizeof auth))
        return false;
    snprintf(ttl, sizeof ttl, "%d", m->ttl_s > 0 ? m->ttl_s : 0);
    /* "Expect:" stops libcurl waiting for a 100 Continue that push services do not send. */
    return add_header(j, "Authorization: %s", auth) && add_header(j, "TTL: %s", ttl) &&
           add_header(j, "Urgency: %s", m->urgency) && add_header(j, "Content-Encoding: %s", "aes128gcm") &&
           add_header(j, "Content-Type: %s", "application/octet-stream") && add_header(j, "Expect:%s", "") &&
           (!m->topic[0] || add_header(j, "Topic: %s", m->topic));
}

static bool make_easy(dm_pushsend *ps, send_job *j, const dm_push_sub *sub, size_t body_len)
{
    CURL *e = j->easy = curl_easy_init();
    return e && curl_easy_setopt(e, CURLOPT_URL, sub->endpoint) == CURLE_OK &&
           curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
           curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
           curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ps->timeout_ms) == CURLE_OK &&
           curl_easy_setopt(e, CURLOPT_POST, 1L) == CURLE_OK &&
           curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->body) == CURLE_OK &&
           curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)body_len) == CURLE_OK &&
           curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->headers) == CURLE_OK &&
           curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK &&
           curl_easy_setopt(e, CURLOPT_HEADERDATA, j) == CURLE_OK &&
           curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard) == CURLE_OK &&
           curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->error) == CURLE_OK &&
           curl_easy_setopt(e, CURLOPT_PRIVATE, j) == CURLE_OK;
}

bool dm_pushsend_send(dm_pushsend *ps, const dm_push_sub *sub, const dm_push_msg *m, dm_push_done_fn done, void *ud)
{
    size_t len = strlen(m->payload), body_len = 0;
    if (len > DM_WEBPUSH_MAX_PLAINTEXT)
        return false;
    send_job *j = calloc(1, sizeof *j);
    if (!j)
        return false;
    j->ps = ps;
    j->done = done;
    j->ud = ud;
    j->retry_after_s = -1;
    j->body = malloc(DM_WEBPUSH_BODY_LEN(len));
    if (!j->body ||
        !dm_webpush_encrypt(sub->p256dh, sub->auth, (const uint8_t *)m->payload, len, NULL, NULL, j->body,
                            DM_WEBPUSH_BODY_LEN(len), &body_len) ||
        !make_headers(ps, j, sub, m) || !make_easy(ps, j, sub, body_len) ||
        curl_multi_add_handle(ps->multi, j->easy) != CURLM_OK) {
        curl_slist_free_all(j->headers);
        curl_easy_cleanup(j->easy);
        free(j->body);
        free(j);
        return false;
    }
    j->next = ps->jobs;
    if (ps->jobs)
        ps->jobs->prev = j;
    ps->jobs = j;
    return true;
}

void dm_pushsend_free(dm_pushsend *ps)
{
    if (!ps)
        return;
    while (ps->jobs) {
        curl_multi_remove_handle(ps->multi, ps->jobs->easy);
        dm_push_result r = {.status = -1, .retry_after_s = -1, .error = "stopped"};
        job_finish(ps->jobs, &r);
    }
    if (ps->multi)
        curl_multi_cleanup(ps->multi);
    if (ps->timer)
        event_free(ps->timer);
    dm_vapid_free(ps->key);
    free(ps);
    curl_global_cleanup();
}
