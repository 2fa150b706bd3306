/* Fill (requests created, ended, cancelled by whom and when, unfilled and
 * why, by language or institution; accepts, declines and expiries per
 * interpreter) and supply (requests and availability per language and local
 * hour of day). Requests count on the local day they were created: the
 * closed ones from the buckets, the open ones read as they are. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

enum {
    F_CREATED, F_OPEN, F_ENDED, F_CANCELLED, F_UNFILLED, F_ESCALATED,
    F_CLINIC_SEARCHING, F_CLINIC_ASSIGNED, F_COORD_SEARCHING, F_COORD_ASSIGNED,
    F_NOBODY, F_DECLINED, F_GENDER, F_SPECIALTY, F_MODALITY, F_BUSY, F_OTHER,
    F__COUNT
};

static const char *const fill_figures[F__COUNT] = {
    "created", "open", "ended", "cancelled", "unfilled", "escalated",
    "cancelled_clinic_searching", "cancelled_clinic_assigned", "cancelled_coordinator_searching",
    "cancelled_coordinator_assigned", "unfilled_nobody_online", "unfilled_all_declined",
    "unfilled_gender_unavailable", "unfilled_specialty_unavailable", "unfilled_modality_unavailable",
    "unfilled_all_busy", "unfilled_other",
};

/* Bucket words (see rep_closed in _report.lua) and the figure each adds to. */
static const struct {
    const char *what;
    int figure;
} words[] = {
    {"closed", F_CREATED}, {"ended", F_ENDED}, {"cancelled", F_CANCELLED}, {"unfilled", F_UNFILLED},
    {"escalated", F_ESCALATED}, {"cancel:clinic:searching", F_CLINIC_SEARCHING},
    {"cancel:clinic:assigned", F_CLINIC_ASSIGNED}, {"cancel:coordinator:searching", F_COORD_SEARCHING},
    {"cancel:coordinator:assigned", F_COORD_ASSIGNED}, {"unfilled:nobody_online", F_NOBODY},
    {"unfilled:all_declined", F_DECLINED}, {"unfilled:gender_unavailable", F_GENDER},
    {"unfilled:specialty_unavailable", F_SPECIALTY}, {"unfilled:modality_unavailable", F_MODALITY},
    {"unfilled:all_busy", F_BUSY},
};

enum { E_ACCEPTED, E_DECLINED, E_EXPIRED, E__COUNT };
static const char *const event_words[E__COUNT] = {"accepted", "declined", "expired"};

typedef struct fill_row {
    int64_t v[F__COUNT];
} fill_row;

typedef struct event_row {
    int64_t v[E__COUNT];
} event_row;

typedef struct fill_st {
    agg groups;       /* value -> fill_row */
    agg interpreters; /* id -> event_row */
    const char *cols[F__COUNT + 3];
} fill_st;

static int figure_of(const char *what)
{
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strcmp(words[i].what, what) == 0)
            return words[i].figure;
    return strncmp(what, "unfilled:", 9) == 0 ? F_OTHER : -1;
}

static bool fill_init(dm_report *r)
{
    fill_st *st = calloc(1, sizeof *st);
    if (!st)
        return false;
    agg_init(&st->groups, sizeof(fill_row));
    agg_init(&st->interpreters, sizeof(event_row));
    r->st = st;
    return true;
}

static void fill_prefix(dm_report *r)
{
    report_arg(r, "f");
    report_arg(r, r->q.by == DM_DIM_INSTITUTION ? "clinic,interpreter" : "language,interpreter");
}

static void add_event(dm_report *r, const char *iid, const char *what, int64_t n)
{
    fill_st *st = r->st;
    for (int e = 0; e < E__COUNT; e++) {
        if (strcmp(what, event_words[e]) != 0)
            continue;
        event_row *row = agg_at(&st->interpreters, iid);
        if (!row)
            r->oom = true;
        else
            row->v[e] += n;
    }
}

static void add_fill(dm_report *r, dm_day day, const char *dim, const char *field, const char *value)
{
    fill_st *st = r->st;
    char val[DM_REPORT_ID_MAX + 2];
    const char *what;
    (void)day;
    if (!split_value(field, val, &what))
        return;
    int64_t n = strtoll(value, NULL, 10);
    if (strcmp(dim, "interpreter") == 0) {
        add_event(r, val, what, n);
        return;
    }
    int fig = figure_of(what);
    if (fig < 0 || strcmp(dim, store_dim(r->q.by)) != 0)
        return;
    fill_row *row = agg_at(&st->groups, val);
    if (!row)
        r->oom = true;
    else
        row->v[fig] += n;
}

static bool fill_feed(dm_report *r, const redisReply *reply)
{
    return each_bucket(r, reply, add_fill);
}

static bool fill_open(dm_report *r, const redisReply *reply)
{
    fill_st *st = r->st;
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        if (!is_array(e, 3))
            return false;
        fill_row *row = agg_at(&st->groups, rstr(e->element[r->q.by == DM_DIM_INSTITUTION ? 1 : 0]));
        if (!row)
            return false;
        row->v[F_CREATED]++;
        row->v[F_OPEN]++;
    }
    return true;
}

static void fill_names(dm_report *r)
{
    fill_st *st = r->st;
    for (size_t i = 0; r->q.by == DM_DIM_INSTITUTION && i < st->groups.n; i++)
        report_want(r, "c", st->groups.keys[i]);
    for (size_t i = 0; i < st->interpreters.n; i++)
        report_want(r, "i", st->interpreters.keys[i]);
}

static void fill_table(dm_report *r, rtab *t)
{
    fill_st *st = r->st;
    bool named = r->q.by == DM_DIM_INSTITUTION;
    size_t *order = agg_sorted(&st->groups);
    if (!order) {
        r->oom = true;
        return;
    }
    fill_row total = {0};
    for (size_t i = 0; i < st->groups.n; i++) {
        const char *key = st->groups.keys[order[i]];
        const fill_row *row = agg_item(&st->groups, order[i]);
        rtab_row(t);
        rtab_str(t, key);
        if (named)
            rtab_str(t, report_name(r, "c", key));
        for (int f = 0; f < F__COUNT; f++) {
            rtab_int(t, row->v[f]);
            total.v[f] += row->v[f];
        }
    }
    free(order);
    rtab_total(t);
    rtab_null(t);
    if (named)
        rtab_null(t);
    for (int f = 0; f < F__COUNT; f++)
        rtab_int(t, total.v[f]);
}

static const char *const event_cols[] = {"interpreter", "interpreter_name", "accepted", "declined", "expired", NULL};

static void events_table(dm_report *r, rtab *t)
{
    fill_st *st = r->st;
    size_t *order = agg_sorted(&st->interpreters);
    if (!order) {
        r->oom = true;
        return;
    }
    event_row total = {0};
    for (size_t i = 0; i < st->interpreters.n; i++) {
        const char *id = st->interpreters.keys[order[i]];
        const event_row *row = agg_item(&st->interpreters, order[i]);
        rtab_row(t);
        rtab_str(t, id);
        rtab_str(t, report_name(r, "i", id));
        for (int e = 0; e < E__COUNT; e++) {
            rtab_int(t, row->v[e]);
            total.v[e] += row->v[e];
        }
    }
    free(order);
    rtab_total(t);
    rtab_null(t);
    rtab_null(t);
    for (int e = 0; e < E__COUNT; e++)
        rtab_int(t, total.v[e]);
}

static size_t fill_render(dm_report *r, rtab **tabs)
{
    fill_st *st = r->st;
    int c = 0;
    st->cols[c++] = dm_report_dim_name(r->q.by);
    if (r->q.by == DM_DIM_INSTITUTION)
        st->cols[c++] = "institution_name";
    for (int f = 0; f < F__COUNT; f++)
        st->cols[c++] = fill_figures[f];
    st->cols[c] = NULL;
    tabs[0] = rtab_new(r->q.format, "fill", st->cols);
    tabs[1] = rtab_new(r->q.format, "interpreters", event_cols);
    if (tabs[0] && tabs[1]) {
        fill_table(r, tabs[0]);
        events_table(r, tabs[1]);
    }
    if (r->oom) {
        rtab_free(tabs[0]);
        tabs[0] = NULL;
    }
    return 2;
}

static void fill_free(dm_report *r)
{
    fill_st *st = r->st;
    if (!st)
        return;
    agg_free(&st->groups);
    agg_free(&st->interpreters);
    free(st);
}

static const char *const fill_tables[] = {"fill", "interpreters", NULL};

const report_ops dm_report_fill_ops = {
    .tables = fill_tables,
    .script = "report_buckets",
    .chunk_days = 92,
    .prefix = fill_prefix,
    .init = fill_init,
    .feed_days = fill_feed,
    .feed_open = fill_open,
    .names = fill_names,
    .render = fill_render,
    .free = fill_free,
};

/* ---- supply: requests, unfilled and availability per language and hour ---- */

typedef struct supply_row {
    int64_t requests, unfilled, available_ms;
} supply_row;

typedef struct supply_st {
    agg hours; /* "LANG\x1fHH" -> supply_row */
    agg langs; /* LANG -> supply_row */
} supply_st;

static bool supply_init(dm_report *r)
{
    supply_st *st = calloc(1, sizeof *st);
    if (!st)
        return false;
    agg_init(&st->hours, sizeof(supply_row));
    agg_init(&st->langs, sizeof(supply_row));
    r->st = st;
    return true;
}

static void supply_prefix(dm_report *r)
{
    report_arg(r, "p");
    report_arg(r, "");
}

static void supply_add(dm_report *r, const char *lang, int hour, const char *what, int64_t n)
{
    supply_st *st = r->st;
    if (r->q.language[0] && strcmp(lang, r->q.language) != 0)
        return;
    char key[48];
    snprintf(key, sizeof key, "%s\x1f%02d", lang, hour);
    supply_row *rows[2] = {agg_at(&st->hours, key), agg_at(&st->langs, lang)};
    for (int i = 0; i < 2; i++) {
        if (!rows[i]) {
            r->oom = true;
            return;
        }
        if (strcmp(what, "req") == 0)
            rows[i]->requests += n;
        else if (strcmp(what, "unf") == 0)
            rows[i]->unfilled += n;
        else if (strcmp(what, "av") == 0)
            rows[i]->available_ms += n;
    }
}

/* Fields are "LANG:HH:req|unf|av". */
static void supply_field(dm_report *r, dm_day day, const char *dim, const char *field, const char *value)
{
    char lang[DM_REPORT_ID_MAX + 2];
    const char *rest;
    (void)day;
    (void)dim;
    if (split_value(field, lang, &rest) && strlen(rest) > 3 && rest[2] == ':')
        supply_add(r, lang, atoi(rest), rest + 3, strtoll(value, NULL, 10));
}

static bool supply_feed(dm_report *r, const redisReply *reply)
{
    return each_bucket(r, reply, supply_field);
}

static bool supply_open(dm_report *r, const redisReply *reply)
{
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        if (!is_array(e, 3))
            return false;
        time_t t = (time_t)(strtoll(rstr(e->element[2]), NULL, 10) / 1000);
        struct tm tm;
        localtime_r(&t, &tm);
        supply_add(r, rstr(e->element[0]), tm.tm_hour, "req", 1);
    }
    return !r->oom;
}

static void supply_cells(rtab *t, const supply_row *row)
{
    rtab_int(t, row->requests);
    rtab_int(t, row->unfilled);
    rtab_fixed(t, (double)row->available_ms / 3600000.0, 2);
}

/* Rows in key order and the total; lead is how many key cells a row starts with. */
static void supply_table(dm_report *r, rtab *t, const agg *a, int lead)
{
    size_t *order = agg_sorted(a);
    if (!order) {
        r->oom = true;
        return;
    }
    supply_row total = {0};
    for (size_t i = 0; i < a->n; i++) {
        const supply_row *row = agg_item(a, order[i]);
        char lang[48];
        snprintf(lang, sizeof lang, "%s", a->keys[order[i]]);
        char *sep = strchr(lang, '\x1f');
        if (sep)
            *sep = '\0';
        rtab_row(t);
        rtab_str(t, lang);
        if (lead == 2)
            rtab_int(t, sep ? atoi(sep + 1) : 0);
        supply_cells(t, row);
        total.requests += row->requests;
        total.unfilled += row->unfilled;
        total.available_ms += row->available_ms;
    }
    free(order);
    rtab_total(t);
    for (int c = 0; c < lead; c++)
        rtab_null(t);
    supply_cells(t, &total);
}

static const char *const supply_hour_cols[] = {"language", "hour", "requests", "unfilled", "available_hours", NULL};
static const char *const supply_lang_cols[] = {"language", "requests", "unfilled", "available_hours", NULL};

static size_t supply_render(dm_report *r, rtab **tabs)
{
    supply_st *st = r->st;
    tabs[0] = rtab_new(r->q.format, "hours", supply_hour_cols);
    tabs[1] = rtab_new(r->q.format, "languages", supply_lang_cols);
    if (tabs[0] && tabs[1]) {
        supply_table(r, tabs[0], &st->hours, 2);
        supply_table(r, tabs[1], &st->langs, 1);
    }
    if (r->oom) {
        rtab_free(tabs[0]);
        tabs[0] = NULL;
    }
    return 2;
}

static void supply_free(dm_report *r)
{
    supply_st *st = r->st;
    if (!st)
        return;
    agg_free(&st->hours);
    agg_free(&st->langs);
    free(st);
}

static const char *const supply_tables[] = {"hours", "languages", NULL};

const report_ops dm_report_supply_ops = {
    .tables = supply_tables,
    .script = "report_buckets",
    .chunk_days = 92,
    .prefix = supply_prefix,
    .init = supply_init,
    .feed_days = supply_feed,
    .feed_open = supply_open,
    .render = supply_render,
    .free = supply_free,
};
