/* Service hours (sessions and seconds by a dimension, optionally per day,
 * week or month) and fairness (hours per interpreter, with the Gini
 * coefficient), both from the per-day hour buckets "h". */
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct hours_row {
    int64_t sessions, seconds, corrected;
} hours_row;

typedef struct hours_st {
    agg rows; /* "PERIOD\x1fVALUE" -> hours_row */
    const char *cols[10];
} hours_st;

static bool is_time(dm_report_dim d)
{
    return d == DM_DIM_DAY || d == DM_DIM_WEEK || d == DM_DIM_MONTH;
}

static bool hours_init(dm_report *r)
{
    hours_st *st = calloc(1, sizeof *st);
    if (!st)
        return false;
    agg_init(&st->rows, sizeof(hours_row));
    r->st = st;
    return true;
}

/* The period label of a local day for per (day, week or month); "" for none. */
static void period_of(dm_report_dim per, dm_day day, char out[11])
{
    out[0] = '\0';
    if (per == DM_DIM_DAY)
        dm_day_format(day, out);
    else if (per == DM_DIM_WEEK)
        dm_day_week(day, out);
    else if (per == DM_DIM_MONTH)
        dm_day_month(day, out);
}

/* Time groupings read the "all" figures; the others their dimension's. */
static const char *bucket_dim(const dm_report *r)
{
    return is_time(r->q.by) ? "all" : store_dim(r->q.by);
}

static void hours_prefix(dm_report *r)
{
    report_arg(r, "h");
    report_arg(r, bucket_dim(r));
}

static void add_field(dm_report *r, dm_day day, const char *dim, const char *field, const char *value)
{
    hours_st *st = r->st;
    char val[DM_REPORT_ID_MAX + 2], key[64];
    const char *what;
    if (strcmp(dim, bucket_dim(r)) != 0 || !split_value(field, val, &what))
        return;
    if (r->q.only_interpreter[0] && strcmp(val, r->q.only_interpreter) != 0)
        return;
    char period[11];
    period_of(is_time(r->q.by) ? r->q.by : r->q.per, day, period);
    snprintf(key, sizeof key, "%s\x1f%s", period, strcmp(val, "-") == 0 ? "" : val);
    hours_row *row = agg_at(&st->rows, key);
    if (!row) {
        r->oom = true;
        return;
    }
    int64_t v = strtoll(value, NULL, 10);
    if (strcmp(what, "n") == 0)
        row->sessions += v;
    else if (strcmp(what, "s") == 0)
        row->seconds += v;
    else if (strcmp(what, "c") == 0)
        row->corrected += v;
}

static bool hours_feed(dm_report *r, const redisReply *reply)
{
    return each_bucket(r, reply, add_field);
}

/* A row key's period and value. */
static const char *key_parts(const char *key, char period[11])
{
    const char *sep = strchr(key, '\x1f');
    size_t n = sep ? (size_t)(sep - key) : 0;
    memcpy(period, key, n < 10 ? n : 10);
    period[n < 10 ? n : 10] = '\0';
    return sep ? sep + 1 : "";
}

static const char *name_kind(dm_report_dim d)
{
    return d == DM_DIM_INSTITUTION ? "c" : d == DM_DIM_INTERPRETER ? "i" : NULL;
}

static void want_names(dm_report *r, const char *kind)
{
    hours_st *st = r->st;
    char period[11];
    for (size_t i = 0; kind && i < st->rows.n; i++) {
        const char *value = key_parts(st->rows.keys[i], period);
        if (value[0])
            report_want(r, kind, value);
    }
}

static void hours_names(dm_report *r)
{
    want_names(r, name_kind(r->q.by));
}

static void hours_cells(rtab *t, const hours_row *row)
{
    rtab_int(t, row->sessions);
    rtab_int(t, row->seconds);
    rtab_fixed(t, hours_of(row->seconds), 2);
    rtab_int(t, row->corrected);
}

/* Columns: the period, the value and its name when there are such, then the figures. */
static int hours_columns(dm_report *r, hours_st *st)
{
    int c = 0;
    if (is_time(r->q.by) || r->q.per)
        st->cols[c++] = dm_report_dim_name(is_time(r->q.by) ? r->q.by : r->q.per);
    if (!is_time(r->q.by))
        st->cols[c++] = dm_report_dim_name(r->q.by);
    if (name_kind(r->q.by))
        st->cols[c++] = r->q.by == DM_DIM_INSTITUTION ? "institution_name" : "interpreter_name";
    int lead = c;
    static const char *const figures[] = {"sessions", "seconds", "hours", "corrected"};
    for (size_t i = 0; i < 4; i++)
        st->cols[c++] = figures[i];
    st->cols[c] = NULL;
    return lead;
}

static size_t hours_render(dm_report *r, rtab **tabs)
{
    hours_st *st = r->st;
    int lead = hours_columns(r, st);
    rtab *t = tabs[0] = rtab_new(r->q.format, "hours", st->cols);
    size_t *order = agg_sorted(&st->rows);
    if (!t || !order) {
        free(order);
        rtab_free(t);
        tabs[0] = NULL;
        return 1;
    }
    const char *kind = name_kind(r->q.by);
    bool has_period = is_time(r->q.by) || r->q.per;
    hours_row total = {0};
    for (size_t i = 0; i < st->rows.n; i++) {
        const hours_row *row = agg_item(&st->rows, order[i]);
        if (row->sessions == 0 && row->seconds == 0)
            continue; /* every session of it was moved away by corrections */
        char period[11];
        const char *value = key_parts(st->rows.keys[order[i]], period);
        rtab_row(t);
        if (has_period)
            rtab_str(t, period);
        if (!is_time(r->q.by))
            rtab_str(t, value);
        if (kind)
            rtab_str(t, report_name(r, kind, value));
        hours_cells(t, row);
        total.sessions += row->sessions;
        total.seconds += row->seconds;
        total.corrected += row->corrected;
    }
    free(order);
    rtab_total(t);
    for (int c = 0; c < lead; c++)
        rtab_null(t);
    hours_cells(t, &total);
    return 1;
}

static void hours_free(dm_report *r)
{
    hours_st *st = r->st;
    if (!st)
        return;
    agg_free(&st->rows);
    free(st);
}

static const char *const hours_tables[] = {"hours", NULL};

const report_ops dm_report_hours_ops = {
    .tables = hours_tables,
    .script = "report_buckets",
    .chunk_days = 92,
    .prefix = hours_prefix,
    .init = hours_init,
    .feed_days = hours_feed,
    .names = hours_names,
    .render = hours_render,
    .free = hours_free,
};

/* ---- fairness: the same buckets, by interpreter, everyone active included ---- */

static bool fairness_init(dm_report *r)
{
    r->q.by = DM_DIM_INTERPRETER;
    r->q.per = DM_DIM_NONE;
    return hours_init(r);
}

static void fairness_names(dm_report *r)
{
    want_names(r, "i");
    r->all_interpreters = true;
}

/* Active interpreters without a session in the period count, with zero hours. */
static void add_idle(dm_report *r)
{
    hours_st *st = r->st;
    char key[DM_REPORT_ID_MAX + 4];
    for (size_t i = 0; i < r->names.n; i++) {
        const name_entry *e = agg_item(&r->names, i);
        if (strncmp(r->names.keys[i], "i:", 2) != 0 || !e->active)
            continue;
        snprintf(key, sizeof key, "\x1f%s", r->names.keys[i] + 2);
        if (!agg_at(&st->rows, key))
            r->oom = true;
    }
}

static const char *const fair_cols[] = {"interpreter", "interpreter_name", "sessions", "seconds", "hours", "share",
                                        NULL};
static const char *const summary_cols[] = {"interpreters", "sessions",     "seconds",    "hours",
                                           "mean_hours",   "median_hours", "max_hours",  "gini", NULL};

static void fair_row(dm_report *r, rtab *t, const char *id, const hours_row *row, int64_t total)
{
    rtab_row(t);
    rtab_str(t, id);
    rtab_str(t, report_name(r, "i", id));
    rtab_int(t, row->sessions);
    rtab_int(t, row->seconds);
    rtab_fixed(t, hours_of(row->seconds), 2);
    if (total > 0)
        rtab_fixed(t, (double)row->seconds / (double)total, 4);
    else
        rtab_null(t);
}

static void summary(rtab *t, int64_t *secs, size_t n, const hours_row *total)
{
    rtab_row(t);
    rtab_int(t, (long long)n);
    rtab_int(t, total->sessions);
    rtab_int(t, total->seconds);
    rtab_fixed(t, hours_of(total->seconds), 2);
    if (n == 0) {
        for (int i = 0; i < 4; i++)
            rtab_null(t);
        return;
    }
    double gini = dm_report_gini(secs, n); /* sorts secs */
    rtab_fixed(t, hours_of(total->seconds) / (double)n, 2);
    rtab_fixed(t, hours_of(secs[dm_report_rank(n, 50)]), 2);
    rtab_fixed(t, hours_of(secs[n - 1]), 2);
    if (gini < 0)
        rtab_null(t);
    else
        rtab_fixed(t, gini, 4);
}

static size_t fairness_render(dm_report *r, rtab **tabs)
{
    hours_st *st = r->st;
    add_idle(r);
    tabs[0] = rtab_new(r->q.format, "interpreters", fair_cols);
    tabs[1] = rtab_new(r->q.format, "summary", summary_cols);
    size_t *order = agg_sorted(&st->rows);
    int64_t *secs = malloc((st->rows.n + 1) * sizeof *secs);
    if (!tabs[0] || !tabs[1] || !order || !secs || r->oom) {
        free(order);
        free(secs);
        rtab_free(tabs[0]);
        tabs[0] = NULL;
        return 2;
    }
    hours_row total = {0};
    for (size_t i = 0; i < st->rows.n; i++) {
        const hours_row *row = agg_item(&st->rows, i);
        total.sessions += row->sessions;
        total.seconds += row->seconds;
    }
    char period[11];
    for (size_t i = 0; i < st->rows.n; i++) {
        const hours_row *row = agg_item(&st->rows, order[i]);
        fair_row(r, tabs[0], key_parts(st->rows.keys[order[i]], period), row, total.seconds);
        secs[i] = row->seconds;
    }
    summary(tabs[1], secs, st->rows.n, &total);
    free(order);
    free(secs);
    return 2;
}

static const char *const fairness_tables[] = {"interpreters", "summary", NULL};

const report_ops dm_report_fairness_ops = {
    .tables = fairness_tables,
    .script = "report_buckets",
    .chunk_days = 92,
    .prefix = hours_prefix,
    .init = fairness_init,
    .feed_days = hours_feed,
    .names = fairness_names,
    .render = fairness_render,
    .free = hours_free,
};
