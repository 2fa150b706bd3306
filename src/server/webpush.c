/* Offers to phones by Web Push (proto/README.md "Push"): an offer goes to
 * every device of an interpreter whose phone push can wake, unless their
 * settings say not now; its withdrawal follows with the same topic (so a push
 * service replaces an undelivered offer) and the same notification tag. A
 * push service's 404/410 forgets the device; 429, 5xx and silence are retried
 * with backoff while the message still matters. libevent thread. */
#include <cjson/cJSON.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dragoman/clock.h"
#include "dragoman/log.h"
#include "dragoman/pushsend.h"
#include "handlers.h"

#define SEND_TIMEOUT_MS 10000L
#define WITHDRAWN_TTL_MS 60000
#define MAX_ATTEMPTS 6

/* An offer sent by push and still open: its withdrawal must follow it. */
typedef struct pushed {
    char oid[DM_ID_MAX + 1];
    int64_t deadline;
    struct pushed *next;
} pushed;

typedef struct push_job {
    dm_server *srv;
    char iid[DM_ID_MAX + 1];
    char device[DM_PEER_MAX + 1];
    char topic[DM_ID_MAX + 1];
    dm_push_sub sub;
    int ttl_s;
    int64_t until_ms; /* retrying after this is pointless: the offer is over */
    int attempts;
    struct event *timer;             /* while waiting to retry */
    struct push_job *prev, *next;    /* in the list of those waiting */
    char payload[];
} push_job;

struct dm_webpush {
    dm_pushsend *sender;
    pushed *live;
    push_job *waiting;
};

/* What the devices of one interpreter are to get, while their subscriptions are read. */
typedef struct fanout {
    dm_server *srv;
    char iid[DM_ID_MAX + 1];
    char topic[DM_ID_MAX + 1];
    char modality[16]; /* an offer's, checked against the settings; "" for a withdrawal */
    int64_t until_ms;
    char payload[];
} fanout;

static void vapid_path(const dm_config *cfg, char *out, size_t len)
{
    if (cfg->vapid_key[0])
        snprintf(out, len, "%s", cfg->vapid_key);
    else
        snprintf(out, len, "%s/vapid.pem", cfg->data_dir);
}

/* The data folder exists already when the server runs its own Redis there;
 * with a Redis of its own choosing it may not. */
static void make_parent(const char *path)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(dir, 0700);
        *p = '/';
    }
    mkdir(dir, 0700);
}

struct dm_webpush *dm_webpush_start(dm_server *srv)
{
    char path[300];
    vapid_path(srv->cfg, path, sizeof path);
    make_parent(path);
    bool created = false;
    dm_vapid_key *key = dm_vapid_load_or_create(path, &created);
    if (!key) {
        dm_error("web push: cannot read or make the VAPID key %s", path);
        return NULL;
    }
    struct dm_webpush *wp = calloc(1, sizeof *wp);
    if (wp)
        wp->sender = dm_pushsend_new(srv->base, key, srv->cfg->vapid_subject, SEND_TIMEOUT_MS);
    else
        dm_vapid_free(key);
    if (!wp || !wp->sender) {
        free(wp);
        return NULL;
    }
    dm_info("web push: VAPID key %s %s", path, created ? "made" : "loaded");
    return wp;
}

static void job_free(push_job *j)
{
    if (j->timer)
        event_free(j->timer);
    free(j);
}

void dm_webpush_stop(struct dm_webpush *wp)
{
    if (!wp)
        return;
    while (wp->waiting) {
        push_job *j = wp->waiting;
        wp->waiting = j->next;
        job_free(j);
    }
    dm_pushsend_free(wp->sender);
    while (wp->live) {
        pushed *p = wp->live;
        wp->live = p->next;
        free(p);
    }
    free(wp);
}

const char *dm_webpush_key(const dm_server *srv)
{
    return srv->push ? dm_pushsend_public_key(srv->push->sender) : NULL;
}

/* Remembers an offer sent by push, dropping those long past their deadline. */
static void live_add(struct dm_webpush *wp, const char *oid, int64_t deadline)
{
    int64_t now = dm_now_ms();
    for (pushed **p = &wp->live; *p;) {
        if ((*p)->deadline < now - WITHDRAWN_TTL_MS) {
            pushed *old = *p;
            *p = old->next;
            free(old);
        } else {
            p = &(*p)->next;
        }
    }
    pushed *n = calloc(1, sizeof *n);
    if (!n)
        return;
    snprintf(n->oid, sizeof n->oid, "%s", oid);
    n->deadline = deadline;
    n->next = wp->live;
    wp->live = n;
}

static bool live_take(struct dm_webpush *wp, const char *oid)
{
    for (pushed **p = &wp->live; *p; p = &(*p)->next) {
        if (strcmp((*p)->oid, oid) == 0) {
            pushed *hit = *p;
            *p = hit->next;
            free(hit);
            return true;
        }
    }
    return false;
}

static void send_job(push_job *j);

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    push_job *j = arg;
    struct dm_webpush *wp = j->srv->push;
    if (j->prev)
        j->prev->next = j->next;
    else
        wp->waiting = j->next;
    if (j->next)
        j->next->prev = j->prev;
    event_free(j->timer);
    j->timer = NULL;
    send_job(j);
}

/* Waits for the push service's Retry-After, or 1, 2, 4... s; false when that is too late. */
static bool retry_later(push_job *j, long retry_after_s)
{
    int64_t wait = retry_after_s >= 0 ? retry_after_s * 1000 : 1000LL << (j->attempts - 1);
    if (j->attempts >= MAX_ATTEMPTS || dm_now_ms() + wait >= j->until_ms)
        return false;
    j->timer = evtimer_new(j->srv->base, on_retry, j);
    struct timeval tv = {.tv_sec = (time_t)(wait / 1000), .tv_usec = (suseconds_t)(wait % 1000) * 1000};
    if (!j->timer || evtimer_add(j->timer, &tv) != 0)
        return false;
    struct dm_webpush *wp = j->srv->push;
    j->prev = NULL;
    j->next = wp->waiting;
    if (wp->waiting)
        wp->waiting->prev = j;
    wp->waiting = j;
    return true;
}

static void on_forgotten(void *ud, redisReply *reply)
{
    (void)ud;
    if (reply && reply->type == REDIS_REPLY_ERROR)
        dm_warn("web push: forgetting a device failed: %s", reply->str);
}

static void on_sent(void *ud, const dm_push_result *r)
{
    push_job *j = ud;
    if (r->status < 0 || (r->status >= 200 && r->status < 300)) {
        job_free(j);
        return;
    }
    if (r->status == 404 || r->status == 410) {
        dm_info("web push: device %s of %s is gone (%ld); forgetting it", j->device, j->iid, r->status);
        dm_num grace = dm_grace(j->srv);
        const char *argv[] = {"unsub", j->iid, grace.s, j->device, NULL};
        dm_store_runv(j->srv->store, "push", argv, on_forgotten, NULL);
        job_free(j);
        return;
    }
    bool transient = r->status == 0 || r->status == 429 || r->status >= 500;
    if (transient && retry_later(j, r->retry_after_s))
        return;
    dm_warn("web push to %s's device %s failed: %ld %s", j->iid, j->device, r->status, r->error);
    job_free(j);
}

static void send_job(push_job *j)
{
    int64_t left_s = (j->until_ms - dm_now_ms()) / 1000;
    dm_push_msg m = {.payload = j->payload, .ttl_s = left_s > 0 ? (int)left_s : 0, .urgency = "high",
                     .topic = j->topic};
    j->attempts++;
    if (!dm_pushsend_send(j->srv->push->sender, &j->sub, &m, on_sent, j)) {
        dm_warn("web push: cannot make a message for %s's device %s", j->iid, j->device);
        job_free(j);
    }
}

/* "HH:MM-HH:MM" holds the local time now (a span past midnight wraps). */
static bool quiet_now(const char *quiet)
{
    int h1, m1, h2, m2;
    if (sscanf(quiet, "%d:%d-%d:%d", &h1, &m1, &h2, &m2) != 4)
        return false;
    time_t t = time(NULL);
    struct tm lt;
    localtime_r(&t, &lt);
    int now = lt.tm_hour * 60 + lt.tm_min, from = h1 * 60 + m1, to = h2 * 60 + m2;
    return from <= to ? (now >= from && now < to) : (now >= from || now < to);
}

static bool modality_allowed(const char *csv, const char *modality)
{
    if (!csv[0] || !modality[0])
        return true;
    size_t n = strlen(modality);
    for (const char *p = csv; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, modality, n) == 0)
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}

static void start_device(const fanout *f, const redisReply *d)
{
    if (d->type != REDIS_REPLY_ARRAY || d->elements < 4)
        return;
    size_t len = strlen(f->payload);
    push_job *j = calloc(1, sizeof *j + len + 1);
    if (!j)
        return;
    if (!dm_push_sub_parse(d->element[1]->str, d->element[2]->str, d->element[3]->str, &j->sub)) {
        free(j);
        return;
    }
    j->srv = f->srv;
    snprintf(j->iid, sizeof j->iid, "%s", f->iid);
    snprintf(j->device, sizeof j->device, "%s", d->element[0]->str);
    snprintf(j->topic, sizeof j->topic, "%s", f->topic);
    j->until_ms = f->until_ms;
    memcpy(j->payload, f->payload, len + 1);
    send_job(j);
}

/* {on, quiet, modalities, devices, made_free}: see push.lua. */
static void on_devices(void *ud, redisReply *reply)
{
    fanout *f = ud;
    bool ok = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 4 && f->srv->push;
    bool offer = f->modality[0] != '\0';
    if (ok && offer)
        ok = strcmp(reply->element[0]->str, "1") == 0 && !quiet_now(reply->element[1]->str) &&
             modality_allowed(reply->element[2]->str, f->modality);
    if (ok && offer)
        live_add(f->srv->push, f->topic, f->until_ms);
    for (size_t i = 0; ok && i < reply->element[3]->elements; i++)
        start_device(f, reply->element[3]->element[i]);
    free(f);
}

static void fan_out(dm_server *srv, const char *iid, const char *topic, const char *modality, int64_t until_ms,
                    cJSON *payload)
{
    char *text = cJSON_PrintUnformatted(payload);
    cJSON_Delete(payload);
    fanout *f = text ? calloc(1, sizeof *f + strlen(text) + 1) : NULL;
    if (f) {
        f->srv = srv;
        snprintf(f->iid, sizeof f->iid, "%s", iid);
        snprintf(f->topic, sizeof f->topic, "%s", topic);
        snprintf(f->modality, sizeof f->modality, "%s", modality);
        f->until_ms = until_ms;
        memcpy(f->payload, text, strlen(text) + 1);
        dm_num grace = dm_grace(srv);
        const char *argv[] = {"get", iid, grace.s, NULL};
        if (!dm_store_runv(srv->store, "push", argv, on_devices, f))
            free(f);
    }
    free(text);
}

/* Nothing patient-identifying: no note, no location, no names but the clinic's. */
void dm_webpush_offer(dm_server *srv, const char *iid, const char *oid, int64_t deadline, const redisReply *request)
{
    if (!srv->push)
        return;
    cJSON *payload = cJSON_CreateObject();
    cJSON_AddStringToObject(payload, "type", "offer");
    cJSON *o = cJSON_AddObjectToObject(payload, "offer");
    cJSON_AddStringToObject(o, "id", oid);
    cJSON_AddStringToObject(o, "request", dm_view_field(request, "id"));
    cJSON_AddStringToObject(o, "language", dm_view_field(request, "language"));
    cJSON_AddStringToObject(o, "modality", dm_view_field(request, "modality"));
    cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "clinic"), "name", dm_view_field(request, "clinic_name"));
    dm_proto_add_int(o, "deadline", deadline);
    fan_out(srv, iid, oid, dm_view_field(request, "modality"), deadline, payload);
}

void dm_webpush_withdrawn(dm_server *srv, const char *iid, const char *oid, const char *reason)
{
    if (!srv->push || !live_take(srv->push, oid))
        return;
    cJSON *payload = cJSON_CreateObject();
    cJSON_AddStringToObject(payload, "type", "offer.withdrawn");
    cJSON_AddStringToObject(payload, "offer", oid);
    cJSON_AddStringToObject(payload, "reason", reason);
    fan_out(srv, iid, oid, "", dm_now_ms() + WITHDRAWN_TTL_MS, payload);
}

void dm_webpush_receipt(dm_server *srv, const char *oid, const char *rid, const char *iid, const char *event,
                        const char *via)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "offer", oid);
    cJSON_AddStringToObject(body, "request", rid);
    cJSON_AddStringToObject(body, "interpreter", iid);
    cJSON_AddStringToObject(body, "event", event);
    if (via[0])
        cJSON_AddStringToObject(body, "via", via);
    dm_proto_add_int(body, "at", dm_now_ms());
    dm_server_deliver(srv, "coord", dm_proto_push("offer.receipt", body));
}
