/* /metrics in the Prometheus text format. libevent thread. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "server.h"

typedef struct buf {
    char *s;
    size_t len, cap;
} buf;

static void put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap + (size_t)n + 1) * 2;
        char *s = realloc(b->s, cap);
        if (!s)
            return;
        b->s = s;
        b->cap = cap;
    }
}

static void counter(buf *b, const char *name, const char *help, const char *labels, uint64_t v)
{
    put(b, "# HELP dragoman_%s %s\n# TYPE dragoman_%s counter\ndragoman_%s%s %llu\n", name, help, name, name,
        labels, (unsigned long long)v);
}

typedef struct role_count {
    size_t n[DM_ROLE_GUEST + 1];
} role_count;

static void count_role(dm_conn *conn, void *ud)
{
    role_count *rc = ud;
    if ((unsigned)conn->actor.role <= DM_ROLE_GUEST)
        rc->n[conn->actor.role]++;
}

const double dm_accept_bounds_ms[DM_ACCEPT_NBUCKETS] = {5000,   15000,  30000,  60000,   120000,
                                                         300000, 600000, 900000, 1800000, 0};

void dm_metrics_observe(const double *bounds, size_t nb, uint64_t *counts, double *sum, double v)
{
    size_t b = 0;
    while (b + 1 < nb && v > bounds[b])
        b++;
    counts[b]++;
    *sum += v;
}

static void histogram(buf *b, const char *name, const char *help, const double *bounds, size_t nb,
                      const uint64_t *counts, double sum, double scale)
{
    put(b, "# HELP dragoman_%s %s\n# TYPE dragoman_%s histogram\n", name, help, name);
    uint64_t cum = 0;
    for (size_t i = 0; i < nb; i++) {
        cum += counts[i];
        if (i + 1 == nb)
            put(b, "dragoman_%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
        else
            put(b, "dragoman_%s_bucket{le=\"%g\"} %llu\n", name, bounds[i] * scale, (unsigned long long)cum);
    }
    put(b, "dragoman_%s_sum %g\ndragoman_%s_count %llu\n", name, sum * scale, name, (unsigned long long)cum);
}

char *dm_metrics_text(dm_server *srv, const redisReply *stats)
{
    buf b = {0};
    const dm_counters *c = &srv->counters;
    put(&b, "# HELP dragoman_connections Open WebSocket connections by role.\n"
            "# TYPE dragoman_connections gauge\n");
    role_count rc = {0};
    dm_conns_each(srv->conns, count_role, &rc);
    for (int r = DM_ROLE_NONE; r <= DM_ROLE_GUEST; r++)
        put(&b, "dragoman_connections{role=\"%s\"} %zu\n", r == DM_ROLE_NONE ? "unauthenticated" : dm_role_name(r),
            rc.n[r]);
    put(&b, "# HELP dragoman_requests Open requests by state.\n# TYPE dragoman_requests gauge\n");
    for (size_t i = 0; stats && i + 3 < stats->elements; i += 2)
        put(&b, "dragoman_requests{state=\"%s\"} %lld\n", stats->element[i]->str, stats->element[i + 1]->integer);
    if (stats && stats->elements >= 2)
        put(&b, "# HELP dragoman_interpreters_available Interpreters available with fresh heartbeats.\n"
                "# TYPE dragoman_interpreters_available gauge\ndragoman_interpreters_available %lld\n",
            stats->element[stats->elements - 1]->integer);
    counter(&b, "requests_created_total", "Requests created.", "", c->requests_created);
    counter(&b, "requests_cancelled_total", "Requests cancelled.", "", c->requests_cancelled);
    counter(&b, "requests_unfilled_total", "Requests given up as unfilled.", "", c->requests_unfilled);
    counter(&b, "requests_shed_total", "New requests refused as busy: Redis was max_backlog scripts behind.", "",
            c->requests_shed);
    counter(&b, "requests_escalated_total", "Requests escalated to coordinators.", "", c->requests_escalated);
    counter(&b, "matches_stalled_total",
            "Requests the clock found waiting with no offer while interpreters of their language were free, and "
            "that got offers when matched again: matches that were lost.",
            "", c->matches_stalled);
    put(&b, "# HELP dragoman_offers_total Offers by outcome.\n# TYPE dragoman_offers_total counter\n");
    const char *outcomes[] = {"sent", "accepted", "declined", "expired", "withdrawn"};
    uint64_t values[] = {c->offers_sent, c->offers_accepted, c->offers_declined, c->offers_expired,
                         c->offers_withdrawn};
    for (int i = 0; i < 5; i++)
        put(&b, "dragoman_offers_total{outcome=\"%s\"} %llu\n", outcomes[i], (unsigned long long)values[i]);
    counter(&b, "sessions_started_total", "Sessions started.", "", c->sessions_started);
    counter(&b, "sessions_ended_total", "Sessions ended.", "", c->sessions_ended);
    counter(&b, "ws_messages_total", "WebSocket messages received.", "", c->ws_messages);
    counter(&b, "errors_total", "Error replies sent.", "", c->ws_errors);
    counter(&b, "connections_cut_total", "WebSockets closed because they stopped reading (1 MB of output waiting).",
            "", dm_net_cut_not_reading(srv->net));
    histogram(&b, "time_to_accept_seconds", "From request creation to acceptance.", dm_accept_bounds_ms,
              DM_ACCEPT_NBUCKETS,
              c->accept_ms_buckets, c->accept_ms_sum, 0.001);
    histogram(&b, "dispatch_seconds",
              "A new request's time in this server before its first offers: from its create read off the network to "
              "the offers handed back for sending.",
              dm_store_buckets_us, DM_STORE_NBUCKETS, c->dispatch_us_buckets, c->dispatch_us_sum, 1e-6);
    uint64_t rtt[DM_STORE_NBUCKETS];
    double rtt_sum;
    dm_store_rtt(srv->store, rtt, &rtt_sum);
    histogram(&b, "redis_round_trip_seconds", "Redis script round trips.", dm_store_buckets_us, DM_STORE_NBUCKETS,
              rtt, rtt_sum, 1e-6);
    put(&b, "# HELP dragoman_redis_up Whether Redis is reachable.\n# TYPE dragoman_redis_up gauge\n"
            "dragoman_redis_up %d\n", dm_store_up(srv->store) ? 1 : 0);
    return b.s;
}
