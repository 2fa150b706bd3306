/* Speed of urgent requests: time from creation to first offer, to
 * acceptance and to the session's start, by language or institution. Every
 * duration is kept (4-byte lists per day and value), so the percentiles are
 * exact; shares count against every urgent request that closed, so a request
 * never met counts as not met in time. */
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define METRICS 3

typedef struct u32vec {
    uint32_t *v;
    size_t n, cap;
} u32vec;

typedef struct speed_row {
    int64_t urgent;
    u32vec m[METRICS];
} speed_row;

typedef struct speed_st {
    agg rows; /* value -> speed_row */
    const char *cols[16];
} speed_st;

static const char *const metric_names[METRICS] = {"offer", "accept", "start"};
static const uint32_t limits_ms[] = {2 * 60000, 5 * 60000, 15 * 60000};

static bool vec_reserve(u32vec *a, size_t n)
{
    if (a->n + n <= a->cap)
        return true;
    size_t cap = a->cap ? a->cap : 64;
    while (cap < a->n + n)
        cap *= 2;
    uint32_t *p = realloc(a->v, cap * sizeof *p);
    if (!p)
        return false;
    a->v = p;
    a->cap = cap;
    return true;
}

static bool vec_append(u32vec *a, const uint32_t *v, size_t n)
{
    if (!vec_reserve(a, n))
        return false;
    if (n)
        memcpy(a->v + a->n, v, n * sizeof *v);
    a->n += n;
    return true;
}

/* Appends a list of 4-byte big-endian values. */
static bool vec_unpack(u32vec *a, const redisReply *blob)
{
    if (blob->type != REDIS_REPLY_STRING || blob->len % 4 != 0 || !vec_reserve(a, blob->len / 4))
        return false;
    const unsigned char *p = (const unsigned char *)blob->str;
    for (size_t i = 0; i < blob->len; i += 4)
        a->v[a->n++] = (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 | (uint32_t)p[i + 2] << 8 | p[i + 3];
    return true;
}

static bool speed_init(dm_report *r)
{
    speed_st *st = calloc(1, sizeof *st);
    if (!st)
        return false;
    agg_init(&st->rows, sizeof(speed_row));
    r->st = st;
    return true;
}

static void speed_prefix(dm_report *r)
{
    report_arg(r, store_dim(r->q.by));
}

static bool speed_feed(dm_report *r, const redisReply *reply)
{
    speed_st *st = r->st;
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        if (!is_array(e, 2 + METRICS))
            return false;
        speed_row *row = agg_at(&st->rows, rstr(e->element[0]));
        if (!row)
            return false;
        row->urgent += strtoll(rstr(e->element[1]), NULL, 10);
        for (int m = 0; m < METRICS; m++)
            if (!vec_unpack(&row->m[m], e->element[2 + m]))
                return false;
    }
    return true;
}

static void speed_names(dm_report *r)
{
    speed_st *st = r->st;
    for (size_t i = 0; r->q.by == DM_DIM_INSTITUTION && i < st->rows.n; i++)
        report_want(r, "c", st->rows.keys[i]);
}

/* The figures of one sorted list against its number of requests. */
static void speed_cells(rtab *t, int64_t requests, const u32vec *sorted)
{
    static const int pcts[] = {50, 90, 95};
    rtab_int(t, requests);
    rtab_int(t, (long long)sorted->n);
    for (int i = 0; i < 3; i++) {
        if (sorted->n)
            rtab_fixed(t, dm_report_percentile(sorted->v, sorted->n, pcts[i]) / 1000.0, 3);
        else
            rtab_null(t);
    }
    size_t within[3];
    for (int i = 0; i < 3; i++) {
        within[i] = dm_report_count_le(sorted->v, sorted->n, limits_ms[i]);
        rtab_int(t, (long long)within[i]);
    }
    for (int i = 0; i < 3; i++) {
        if (requests > 0)
            rtab_fixed(t, (double)within[i] / (double)requests, 4);
        else
            rtab_null(t);
    }
}

static void metric_table(dm_report *r, rtab *t, int m, const size_t *order)
{
    speed_st *st = r->st;
    bool named = r->q.by == DM_DIM_INSTITUTION;
    u32vec all = {0};
    int64_t requests = 0;
    for (size_t i = 0; i < st->rows.n; i++) {
        const char *key = st->rows.keys[order[i]];
        const speed_row *row = agg_item(&st->rows, order[i]);
        rtab_row(t);
        rtab_str(t, key);
        if (named)
            rtab_str(t, report_name(r, "c", key));
        speed_cells(t, row->urgent, &row->m[m]);
        requests += row->urgent;
        if (!vec_append(&all, row->m[m].v, row->m[m].n))
            r->oom = true;
    }
    dm_report_sort_u32(all.v, all.n);
    rtab_total(t);
    rtab_null(t);
    if (named)
        rtab_null(t);
    speed_cells(t, requests, &all);
    free(all.v);
}

static size_t speed_render(dm_report *r, rtab **tabs)
{
    speed_st *st = r->st;
    static const char *const figures[] = {"requests",    "reached",     "median_s",     "p90_s",
                                          "p95_s",       "within_2min", "within_5min",  "within_15min",
                                          "share_2min",  "share_5min",  "share_15min"};
    int c = 0;
    st->cols[c++] = dm_report_dim_name(r->q.by);
    if (r->q.by == DM_DIM_INSTITUTION)
        st->cols[c++] = "institution_name";
    for (size_t i = 0; i < sizeof figures / sizeof *figures; i++)
        st->cols[c++] = figures[i];
    st->cols[c] = NULL;
    for (size_t i = 0; i < st->rows.n; i++) {
        speed_row *row = agg_item(&st->rows, i);
        for (int m = 0; m < METRICS; m++)
            dm_report_sort_u32(row->m[m].v, row->m[m].n);
    }
    size_t *order = agg_sorted(&st->rows);
    for (int m = 0; m < METRICS; m++) {
        tabs[m] = rtab_new(r->q.format, metric_names[m], st->cols);
        if (tabs[m] && order)
            metric_table(r, tabs[m], m, order);
    }
    free(order);
    if (!order || r->oom) {
        rtab_free(tabs[0]);
        tabs[0] = NULL;
    }
    return METRICS;
}

static void speed_free(dm_report *r)
{
    speed_st *st = r->st;
    if (!st)
        return;
    for (size_t i = 0; i < st->rows.n; i++) {
        speed_row *row = agg_item(&st->rows, i);
        for (int m = 0; m < METRICS; m++)
            free(row->m[m].v);
    }
    agg_free(&st->rows);
    free(st);
}

static const char *const speed_tables[] = {"offer", "accept", "start", NULL};

const report_ops dm_report_speed_ops = {
    .tables = speed_tables,
    .script = "report_speed",
    .chunk_days = 31,
    .prefix = speed_prefix,
    .init = speed_init,
    .feed_days = speed_feed,
    .names = speed_names,
    .render = speed_render,
    .free = speed_free,
};
