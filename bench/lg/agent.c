/* Interpreters and clinics speaking dragoman.v1 (proto/README.md) over the
 * connections of net.c: hello, presence, offers answered after a delay with
 * the configured chances, sessions started and ended, requests created at a
 * rate or kept in flight, and some of them cancelled by their clinic. Every
 * latency is taken on this side. */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lg.h"

#define MSG_MAX 512
#define PACE_US 1000.0
#define CREATE_BURST 64
#define UPGRADE_TIMEOUT_US 15e6
#define FIRST_CONNECT_TRIES 5
/* A request refused as busy is asked again as the clinic page does
 * (src/web/lib/clinic.js): with the same idempotency key, after 1, 2, 4, 8,
 * then every 15 s. */
static const double shed_retry_us[] = {1e6, 2e6, 4e6, 8e6, 15e6};
#define HELLO_RETRY_US 200e3

static lg_agent *agent_of(lg_conn *c)
{
    return (lg_agent *)c; /* conn is the agent's first member */
}

static void send_text(lg *g, lg_agent *a, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void send_text(lg *g, lg_agent *a, const char *fmt, ...)
{
    char msg[MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n > 0 && n < MSG_MAX)
        lg_conn_send(&g->net, &a->conn, msg, (size_t)n);
}

static void timer(lg *g, double delay_us, int kind, int obj, uint32_t gen)
{
    sim_evq_push(&g->timers, (int64_t)(lg_now_us() + delay_us), kind, obj, gen);
}

long lg_inflight(const lg *g)
{
    return g->c.creates - g->c.cycles - g->c.unfilled - g->c.create_errors - g->c.cancelled;
}

static void send_create(lg *g, lg_agent *a, uint32_t seq)
{
    send_text(g, a,
              "{\"type\":\"request.create\",\"id\":\"c%u\",\"language\":\"%s\",\"modality\":\"video\","
              "\"urgency\":\"now\",\"duration_min\":30,\"idempotency_key\":\"%s-%u\"}",
              seq, g->o.langs[seq % (uint32_t)g->o.nlangs], g->o.run_tag, seq);
}

/* A request.create from the next clinic that is ready, round robin. Its
 * dispatch latency counts from here, refusals and retries included. */
bool lg_create(lg *g)
{
    for (int tries = 0; tries < g->o.clinics; tries++) {
        lg_agent *a = &g->agents[(g->c.creates + tries) % g->o.clinics];
        if (a->phase != PH_READY)
            continue;
        if (g->ncreate == g->capcreate) {
            uint32_t cap = g->capcreate ? g->capcreate * 2 : 65536;
            double *t = realloc(g->create_t, cap * sizeof *t);
            if (t)
                g->create_t = t;
            unsigned char *counts = realloc(g->create_tries, cap);
            if (counts)
                g->create_tries = counts;
            if (!t || !counts)
                return false;
            g->capcreate = cap;
        }
        uint32_t seq = g->ncreate++;
        g->create_t[seq] = g->measuring ? lg_now_us() : 0;
        g->create_tries[seq] = 0;
        send_create(g, a, seq);
        g->c.creates++;
        return true;
    }
    return false;
}

static void pace(lg *g)
{
    if (!g->creating)
        return;
    if (g->o.inflight > 0) {
        while (lg_inflight(g) < g->o.inflight && lg_create(g))
            ;
        return;
    }
    double due = g->o.rate * (lg_now_us() - g->t0) / 1e6;
    for (int n = 0; n < CREATE_BURST && (double)g->c.creates < due; n++)
        if (!lg_create(g))
            break;
}

void lg_start_creating(lg *g)
{
    g->creating = true;
    g->t0 = lg_now_us();
    g->c.creates = g->c.cycles = g->c.unfilled = g->c.create_errors = g->c.shed = 0;
    g->c.cancels = g->c.cancelled = g->c.cancel_conflicts = 0;
    g->ncreate = 0;
    if (g->o.inflight > 0)
        pace(g);
    else
        timer(g, PACE_US, T_PACE, -1, 0);
}

static void send_hello(lg *g, lg_agent *a)
{
    send_text(g, a, "{\"type\":\"hello\",\"id\":\"h\",\"token\":\"lg%c-%d\"}", a->role == LG_INTERP ? 'i' : 'c', a->k);
}

static void on_open(void *ud, lg_conn *c)
{
    lg *g = ud;
    lg_agent *a = agent_of(c);
    g->connecting--;
    a->opening = false;
    a->ever_open = true;
    a->attempts = 0;
    a->phase = PH_HELLO;
    send_hello(g, a);
    lg_connect_more(g);
}

static void became_ready(lg *g, lg_agent *a)
{
    a->phase = PH_READY;
    if (a->role == LG_CLINIC) {
        g->ready_clinic++;
        return;
    }
    g->ready_interp++;
    timer(g, g->o.ping_s * 1e6 * (0.5 + lg_uniform(g)), T_PING, (int)(a - g->agents), ++a->ping_gen);
}

static void on_close(void *ud, lg_conn *c, int err)
{
    lg *g = ud;
    lg_agent *a = agent_of(c);
    if (a->opening) {
        a->opening = false;
        g->connecting--;
        if (++g->c.connect_failures <= 3 && err)
            fprintf(stderr, "loadgen: connect: %s\n", strerror(err));
        a->attempts++;
    } else {
        g->c.closes++;
    }
    if (a->phase == PH_READY)
        a->role == LG_INTERP ? g->ready_interp-- : g->ready_clinic--;
    a->phase = PH_DOWN;
    a->offer = 0;
    if (!a->ever_open && a->attempts >= FIRST_CONNECT_TRIES) {
        g->unconnectable++; /* the server keeps refusing: it is at its limit */
        g->refused++;
    } else if (g->reconnect) {
        double backoff = a->attempts ? 200e3 + 300e3 * lg_uniform(g) : g->o.reconnect_jitter_ms * 1e3 * lg_uniform(g);
        timer(g, backoff, T_RECONNECT, (int)(a - g->agents), 0);
    }
    lg_connect_more(g);
}

static const char *str_at(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        v = cJSON_GetObjectItemCaseSensitive(v, b);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static void on_offer(lg *g, lg_agent *a, const cJSON *msg, double now)
{
    uint32_t oid = lg_number(str_at(cJSON_GetObjectItemCaseSensitive(msg, "offer"), "id", NULL));
    uint32_t rid = lg_number(str_at(cJSON_GetObjectItemCaseSensitive(msg, "offer"), "request", NULL));
    g->c.offers++;
    /* As the phone app does: an offer no device acknowledges is withdrawn as undelivered. */
    send_text(g, a, "{\"type\":\"offer.ack\",\"id\":\"k%u\",\"offer\":\"o%u\",\"event\":\"received\",\"via\":\"ws\"}",
              oid, oid);
    lg_req *r = lg_req_get(g, rid);
    if (r->t_offer == 0) {
        r->t_offer = now;
        if (r->t_create > 0)
            lg_sample(&g->dispatch, now - r->t_create);
    }
    double u = lg_uniform(g);
    if (u >= g->o.accept + g->o.decline)
        return;
    a->offer = oid;
    a->offer_rid = rid;
    a->offer_accepts = u < g->o.accept;
    double delay = g->o.delay_min_ms + (g->o.delay_max_ms - g->o.delay_min_ms) * lg_uniform(g);
    timer(g, delay * 1e3, T_ANSWER, (int)(a - g->agents), oid);
}

static void on_withdrawn(lg *g, lg_agent *a, const cJSON *msg, double now)
{
    const char *reason = str_at(msg, "reason", NULL);
    uint32_t oid = lg_number(str_at(msg, "offer", NULL)), rid = lg_number(str_at(msg, "request", NULL));
    if (a->offer == oid)
        a->offer = 0;
    if (strcmp(reason, "taken") == 0) {
        g->c.withdrawn_taken++;
        lg_req *r = lg_req_get(g, rid);
        if (r->t_accept > 0 && g->measuring)
            lg_sample(&g->withdraw, now - r->t_accept);
    } else if (strcmp(reason, "expired") == 0) {
        g->c.withdrawn_expired++;
    } else if (strcmp(reason, "cancelled") == 0) {
        g->c.withdrawn_cancelled++;
    } else {
        g->c.withdrawn_other++;
    }
}

/* The clinic sees its request change: "assigned" ends the accept latency. */
static void on_request(lg *g, const cJSON *msg, double now)
{
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(msg, "request");
    const char *state = str_at(req, "state", NULL);
    lg_req *r = lg_req_get(g, lg_number(str_at(req, "id", NULL)));
    if (strcmp(state, "assigned") == 0 && !r->assigned_seen) {
        r->assigned_seen = true;
        if (r->t_accept > 0 && g->measuring)
            lg_sample(&g->accept, now - r->t_accept);
    } else if (strcmp(state, "unfilled") == 0) {
        g->c.unfilled++;
        pace(g);
    }
}

/* The clinic has its request; with the configured chance it will cancel it
 * after a while, whatever state it is in by then. */
static void on_created(lg *g, lg_agent *a, uint32_t seq, const cJSON *msg)
{
    g->c.create_results++;
    uint32_t rid = lg_number(str_at(cJSON_GetObjectItemCaseSensitive(msg, "data"), "request", "id"));
    lg_req *r = lg_req_get(g, rid);
    if (seq < g->ncreate && g->create_t[seq] > 0 && r->t_create == 0) {
        r->t_create = g->create_t[seq];
        if (r->t_offer > 0)
            lg_sample(&g->dispatch, r->t_offer - r->t_create);
    }
    if (g->o.cancel > 0 && lg_uniform(g) < g->o.cancel) {
        double delay = g->o.cancel_min_ms + (g->o.cancel_max_ms - g->o.cancel_min_ms) * lg_uniform(g);
        timer(g, delay * 1e3, T_CANCEL, (int)(a - g->agents), rid);
    }
}

/* Results of what this agent sent, told apart by the id's first letter. */
static void on_result(lg *g, lg_agent *a, const cJSON *msg, const char *id)
{
    uint32_t n = lg_number(id);
    switch (id[0]) {
    case 'h':
        if (a->role == LG_CLINIC) {
            became_ready(g, a);
            break;
        }
        a->phase = PH_PRESENCE;
        send_text(g, a, "{\"type\":\"presence.set\",\"id\":\"p\",\"status\":\"available\"}");
        break;
    case 'p': became_ready(g, a); break;
    case 'c': on_created(g, a, n, msg); break;
    case 'a':
        g->c.accepted++;
        send_text(g, a, "{\"type\":\"session.start\",\"id\":\"s%u\",\"request\":\"r%u\"}", n, n);
        break;
    case 's':
        g->c.starts++;
        timer(g, g->o.session_ms * 1e3, T_END, (int)(a - g->agents), n);
        break;
    case 'e':
        g->c.cycles++;
        pace(g);
        break;
    case 'x':
        g->c.cancelled++;
        pace(g);
        break;
    default: break;
    }
}

static void on_error(lg *g, lg_agent *a, const char *id, const char *code)
{
    /* Normal races: answering an offer that was withdrawn meanwhile,
     * starting a session its clinic had just cancelled, or cancelling once
     * the session had started or ended. */
    if (strcmp(code, "conflict") == 0 && id[0] && strchr("adsx", id[0])) {
        if (id[0] == 'x')
            g->c.cancel_conflicts++;
        else
            g->c.conflicts++;
        return;
    }
    if (id[0] == 'c' && strcmp(code, "unavailable") == 0) {
        uint32_t seq = (uint32_t)strtoul(id + 1, NULL, 10);
        size_t last = sizeof shed_retry_us / sizeof *shed_retry_us - 1;
        size_t k = seq < g->ncreate ? g->create_tries[seq] : last;
        if (k < last)
            g->create_tries[seq]++;
        g->c.shed++;
        timer(g, shed_retry_us[k], T_RETRY, (int)(a - g->agents), seq);
        return;
    }
    /* A server still connecting to Redis cannot check a token yet: the app
     * tries again after a pause, and so does the agent. */
    if (id[0] == 'h' && strcmp(code, "unavailable") == 0) {
        g->c.hello_retries++;
        timer(g, HELLO_RETRY_US * (1 + lg_uniform(g)), T_HELLO, (int)(a - g->agents), a->connects);
        return;
    }
    if (id[0] == 'c')
        g->c.create_errors++;
    g->c.errors++;
    if (g->c.errors <= 5)
        fprintf(stderr, "loadgen: error reply to %s: %s\n", id, code);
}

static void on_message(void *ud, lg_conn *c, char *text, size_t len)
{
    lg *g = ud;
    lg_agent *a = agent_of(c);
    double now = lg_now_us();
    cJSON *msg = cJSON_ParseWithLength(text, len);
    const char *type = str_at(msg, "type", NULL), *id = str_at(msg, "id", NULL);
    if (strcmp(type, "result") == 0)
        on_result(g, a, msg, id);
    else if (strcmp(type, "error") == 0)
        on_error(g, a, id, str_at(msg, "code", NULL));
    else if (strcmp(type, "offer") == 0)
        on_offer(g, a, msg, now);
    else if (strcmp(type, "offer.withdrawn") == 0)
        on_withdrawn(g, a, msg, now);
    else if (strcmp(type, "request") == 0 && a->role == LG_CLINIC)
        on_request(g, msg, now);
    else if (strcmp(type, "bye") == 0)
        g->c.byes++;
    cJSON_Delete(msg);
}

static void answer(lg *g, lg_agent *a, uint32_t oid)
{
    if (a->offer != oid || a->phase != PH_READY)
        return;
    a->offer = 0;
    if (a->offer_accepts) {
        lg_req *r = lg_req_get(g, a->offer_rid);
        if (r->t_accept == 0)
            r->t_accept = lg_now_us();
        g->c.accepts++;
        send_text(g, a, "{\"type\":\"offer.accept\",\"id\":\"a%u\",\"offer\":\"o%u\"}", a->offer_rid, oid);
    } else {
        g->c.declines++;
        send_text(g, a, "{\"type\":\"offer.decline\",\"id\":\"d%u\",\"offer\":\"o%u\"}", a->offer_rid, oid);
    }
}

/* A first connection the server took at the TCP level but never answered
 * (it had no descriptor left to accept it with) is given up after a while. */
static void upgrade_overdue(lg *g, lg_agent *a, uint32_t connect)
{
    if (!a->opening || a->connects != connect)
        return;
    lg_conn_close(&g->net, &a->conn);
    a->opening = false;
    g->connecting--;
    g->unconnectable++;
    g->unanswered++;
    lg_connect_more(g);
}

static void fire(lg *g, const sim_event *e)
{
    lg_agent *a = e->obj >= 0 ? &g->agents[e->obj] : NULL;
    switch (e->kind) {
    case T_PACE:
        pace(g);
        if (g->creating && g->o.inflight <= 0)
            timer(g, PACE_US, T_PACE, -1, 0);
        break;
    case T_ANSWER: answer(g, a, e->gen); break;
    case T_END:
        if (a->phase == PH_READY)
            send_text(g, a, "{\"type\":\"session.end\",\"id\":\"e%u\",\"request\":\"r%u\"}", e->gen, e->gen);
        break;
    case T_PING:
        if (a->phase != PH_READY || e->gen != a->ping_gen)
            break;
        send_text(g, a, "{\"type\":\"ping\",\"id\":\"k\"}");
        timer(g, g->o.ping_s * 1e6, T_PING, e->obj, e->gen);
        break;
    case T_UPGRADE: upgrade_overdue(g, a, e->gen); break;
    case T_CANCEL:
        if (a->phase != PH_READY)
            break;
        g->c.cancels++;
        send_text(g, a, "{\"type\":\"request.cancel\",\"id\":\"x%u\",\"request\":\"r%u\"}", e->gen, e->gen);
        break;
    case T_HELLO:
        if (a->phase == PH_HELLO && e->gen == a->connects)
            send_hello(g, a);
        break;
    case T_RETRY:
        if (a->phase == PH_READY)
            send_create(g, a, e->gen);
        else
            g->c.create_errors++;
        break;
    case T_RECONNECT:
        if (a->conn.state == LG_CLOSED && g->reconnect) {
            g->c.reconnects++;
            a->connects++;
            g->connecting++;
            a->opening = true;
            if (!lg_conn_connect(&g->net, &a->conn))
                on_close(g, &a->conn, 1);
        }
        break;
    default: break;
    }
}

void lg_connect_more(lg *g)
{
    while (g->next_connect < g->nagents && g->connecting < g->o.connect_window) {
        if (g->next_connect >= g->o.max_conns) {
            g->unconnectable += g->nagents - g->next_connect;
            g->next_connect = g->nagents;
            break;
        }
        lg_agent *a = &g->agents[g->next_connect];
        timer(g, UPGRADE_TIMEOUT_US, T_UPGRADE, g->next_connect++, ++a->connects);
        g->connecting++;
        a->opening = true;
        if (!lg_conn_connect(&g->net, &a->conn)) {
            a->opening = false;
            g->connecting--;
            g->c.connect_failures++;
            g->unconnectable++; /* no descriptor left: trying again would not help */
            if (g->c.connect_failures <= 3)
                perror("loadgen: socket");
        }
    }
}

bool lg_run_until(lg *g, bool (*done)(const lg *g), double timeout_s)
{
    double end = lg_now_us() + timeout_s * 1e6;
    while (!done(g)) {
        double now = lg_now_us();
        if (now >= end)
            return false;
        double next = (double)sim_evq_peek_time(&g->timers);
        lg_net_poll(&g->net, next <= now ? 0 : next - now > 20e3 ? 20000 : (int64_t)(next - now));
        sim_event e;
        while (sim_evq_peek_time(&g->timers) <= (int64_t)lg_now_us() && sim_evq_pop(&g->timers, &e))
            fire(g, &e);
    }
    return true;
}

bool lg_init(lg *g, const lg_opts *o)
{
    memset(g, 0, sizeof *g);
    g->o = *o;
    g->rng = o->seed | 1;
    g->nagents = o->clinics + o->interpreters;
    g->agents = calloc((size_t)g->nagents, sizeof *g->agents);
    sim_evq_init(&g->timers);
    lg_net_cbs cbs = {on_open, on_message, on_close};
    if (!g->agents || !lg_track_init(g, 1u << 21) || !lg_net_init(&g->net, o->host, o->port, "/ws", cbs, g))
        return false;
    for (int i = 0; i < g->nagents; i++) {
        lg_agent *a = &g->agents[i];
        a->role = i < o->clinics ? LG_CLINIC : LG_INTERP;
        a->k = a->role == LG_CLINIC ? i : i - o->clinics;
        a->conn.fd = -1;
        a->conn.id = i;
    }
    return true;
}

void lg_free(lg *g)
{
    for (int i = 0; i < g->nagents; i++) {
        lg_conn_close(&g->net, &g->agents[i].conn);
        lg_conn_free(&g->agents[i].conn);
    }
    lg_net_free(&g->net);
    sim_evq_free(&g->timers);
    free(g->agents);
    free(g->reqs);
    free(g->create_t);
    free(g->create_tries);
    free(g->dispatch.v);
    free(g->accept.v);
    free(g->withdraw.v);
}
