/* Reports made of single requests, read through the indexes the Lua scripts
 * keep (rep_index in src/store/lua/_report.lua): the raw session export
 * (sessions by local start day, exactly those counted in the hours), the raw
 * request export (closed requests by local creation day), and feedback
 * (figures per day and combination, and the sessions with comments). Each
 * reads one string per day: lines of values joined by ",", "%"-escaped
 * (rep_row). Rows are written as each chunk of days comes in, in order of
 * time. Free text appears only in the feedback report, never in the exports. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_FIELDS 24

/* T_TIME: milliseconds (the time rows are ordered by); T_SECS: seconds. */
typedef enum { T_STR, T_INT, T_FLAG, T_TIME, T_SECS, T_ROLE, T_UNFILLED } col_type;

typedef struct col_spec {
    const char *column, *field;
    col_type type;
} col_spec;

/* A record: the values of its kind's fields, in order. */
typedef const char *const *record;

/* The fields every row starts with (rep_row in _report.lua): the id, the
 * time it is ordered by (ms), and what the filters look at. */
enum { X_ID, X_TIME, X_LANGUAGE, X_CLINIC, X_INTERPRETER };

typedef struct rec_kind {
    const char *index;         /* "xs" or "xr"; NULL: feedback comments */
    const char *const *fields; /* as a row holds them */
    const col_spec *cols;      /* the streamed table's columns */
    const char *table;
} rec_kind;

typedef struct rating_row {
    int64_t sessions, rated, sum, stars[5], comments, notes;
} rating_row;

typedef struct rec_st {
    const rec_kind *kind;
    int nfields;
    const char *cols[MAX_FIELDS + 1];
    int colfield[MAX_FIELDS]; /* index in fields of each column */
    int state_field;          /* requests: where "state" is */
    int seconds_field;        /* sessions: where "rep_s" is */
    rtab *table;              /* the streamed rows */
    int64_t seconds;          /* sessions: the total */
    /* feedback */
    agg ratings; /* group -> rating_row */
    const char *rating_cols[16];
} rec_st;

static int field_index(const rec_kind *k, const char *name)
{
    for (int i = 0; k->fields[i]; i++)
        if (strcmp(k->fields[i], name) == 0)
            return i;
    return -1;
}

/* A decimal integer (strtoll's value for the digits the scripts write). */
static long long num(const char *v)
{
    bool neg = *v == '-';
    unsigned long long n = 0;
    for (v += neg || *v == '+'; *v >= '0' && *v <= '9'; v++)
        n = n * 10 + (unsigned long long)(*v - '0');
    return neg ? -(long long)n : (long long)n;
}

static void write_cell(const rec_st *st, rtab *t, const col_spec *c, record rec, int col)
{
    const char *v = rec[st->colfield[col]];
    char role[24];
    switch (c->type) {
    case T_STR:
        rtab_str(t, v);
        break;
    case T_INT:
        if (v[0])
            rtab_int(t, num(v));
        else
            rtab_null(t);
        break;
    case T_FLAG:
        rtab_int(t, strcmp(v, "1") == 0);
        break;
    case T_TIME:
        rtab_time(t, num(v));
        break;
    case T_SECS:
        rtab_time(t, num(v) * 1000);
        break;
    case T_ROLE: /* "clinic:c-north" -> "clinic": who, not which person */
        snprintf(role, sizeof role, "%.*s", (int)strcspn(v, ":"), v);
        rtab_str(t, role);
        break;
    case T_UNFILLED: /* a reason code; a canceller's own words are not exported */
        if (strcmp(rec[st->state_field], "unfilled") == 0)
            rtab_str(t, v);
        else
            rtab_null(t);
        break;
    }
}

static void emit_row(rec_st *st, record v)
{
    rtab_row(st->table);
    for (int c = 0; st->kind->cols[c].column; c++)
        write_cell(st, st->table, &st->kind->cols[c], v, c);
}

static bool rec_init_kind(dm_report *r, const rec_kind *k)
{
    rec_st *st = calloc(1, sizeof *st);
    if (!st)
        return false;
    r->st = st;
    st->kind = k;
    agg_init(&st->ratings, sizeof(rating_row));
    while (k->fields[st->nfields])
        st->nfields++;
    int c = 0;
    for (; k->cols[c].column && c < MAX_FIELDS; c++) {
        st->cols[c] = k->cols[c].column;
        st->colfield[c] = field_index(k, k->cols[c].field);
        if (st->colfield[c] < 0)
            return false;
    }
    st->cols[c] = NULL;
    st->state_field = field_index(k, "state");
    st->seconds_field = field_index(k, "rep_s");
    st->table = rtab_new(r->q.format, k->table, st->cols);
    return st->table != NULL;
}

static void rec_free(dm_report *r)
{
    rec_st *st = r->st;
    if (!st)
        return;
    rtab_free(st->table);
    agg_free(&st->ratings);
    free(st);
}

/* ---- the raw exports ---- */

static void export_prefix(dm_report *r)
{
    rec_st *st = r->st;
    report_arg(r, st->kind->index);
}

static bool passes(const dm_report *r, const char *language, const char *clinic, const char *interpreter)
{
    const dm_report_query *q = &r->q;
    return (!q->language[0] || strcmp(language, q->language) == 0) &&
           (!q->institution[0] || strcmp(clinic, q->institution) == 0) &&
           (!q->interpreter[0] || strcmp(interpreter, q->interpreter) == 0);
}

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Undoes the "%XX" escapes of a value in place. */
static void unescape(char *v)
{
    char *o = v;
    for (char *p = v; *p; p++) {
        if (p[0] == '%' && hex(p[1]) >= 0 && hex(p[2]) >= 0) {
            *o++ = (char)(hex(p[1]) * 16 + hex(p[2]));
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

/* A day's rows: "\n" then nf values joined by ",", each. */
typedef struct rows {
    const char **v; /* nf per row */
    size_t n, cap;  /* values */
    char *text;     /* the days' strings, split in place */
} rows;

static void rows_free(rows *rs)
{
    free(rs->v);
    free(rs->text);
    *rs = (rows){0};
}

/* Splits s (a copy, NUL-terminated) in place; false when it is not rows of nf values. */
static bool split_rows(char *s, size_t len, int nf, rows *rs)
{
    size_t at = 0, cut = len; /* where the last row's "\n" became its NUL */
    while (at < len) {
        if (s[at] != '\n' && at != cut)
            return false;
        at++;
        if (rs->n + (size_t)nf > rs->cap) {
            size_t cap = rs->cap ? rs->cap * 2 : 4096;
            while (cap < rs->n + (size_t)nf)
                cap *= 2;
            const char **v = realloc(rs->v, cap * sizeof *v);
            if (!v)
                return false;
            rs->v = v;
            rs->cap = cap;
        }
        const char **row = rs->v + rs->n;
        for (int f = 0; f < nf; f++) {
            char *v = s + at;
            bool escaped = false;
            while (at < len && s[at] != ',' && s[at] != '\n')
                escaped |= s[at++] == '%';
            if (f < nf - 1 ? (at >= len || s[at] != ',') : (at < len && s[at] != '\n'))
                return false;
            if (at < len && s[at] == ',')
                s[at++] = '\0';
            else
                s[(cut = at)] = '\0'; /* the next row's "\n", or the end */
            if (escaped)
                unescape(v);
            row[f] = v;
        }
        rs->n += (size_t)nf;
    }
    return true;
}

/* The strings of a reply (one per day) split into rows of nf values. */
static bool read_rows(const redisReply *days, int nf, rows *rs)
{
    size_t total = 1;
    for (size_t i = 0; i < days->elements; i++) {
        if (days->element[i]->type != REDIS_REPLY_STRING)
            return false;
        total += days->element[i]->len + 1;
    }
    rs->text = malloc(total);
    if (!rs->text)
        return false;
    for (size_t i = 0, at = 0; i < days->elements; i++) {
        const redisReply *e = days->element[i];
        memcpy(rs->text + at, e->str, e->len);
        rs->text[at + e->len] = '\0';
        if (!split_rows(rs->text + at, e->len, nf, rs))
            return false;
        at += e->len + 1;
    }
    return true;
}

typedef struct timed {
    long long t;
    const char *const *row;
} timed;

static int cmp_timed(const void *a, const void *b)
{
    const timed *x = a, *y = b;
    if (x->t != y->t)
        return (x->t > y->t) - (x->t < y->t);
    return strcmp(x->row[X_ID], y->row[X_ID]);
}

/* Writes the rows that pass the filters in order of time, then id. */
static bool emit_rows(dm_report *r, const rows *rs)
{
    rec_st *st = r->st;
    size_t nrows = rs->n / (size_t)st->nfields;
    timed *order = malloc((nrows + 1) * sizeof *order);
    if (!order)
        return false;
    size_t n = 0;
    for (size_t i = 0; i < nrows; i++) {
        const char *const *row = rs->v + i * (size_t)st->nfields;
        if (passes(r, row[X_LANGUAGE], row[X_CLINIC], row[X_INTERPRETER]))
            order[n++] = (timed){num(row[X_TIME]), row};
    }
    qsort(order, n, sizeof *order, cmp_timed);
    for (size_t i = 0; i < n; i++) {
        emit_row(st, order[i].row);
        if (st->seconds_field >= 0)
            st->seconds += num(order[i].row[st->seconds_field]);
    }
    free(order);
    return true;
}

/* A chunk of days: one string of rows per day. */
static bool export_feed(dm_report *r, const redisReply *reply)
{
    rec_st *st = r->st;
    rows rs = {0};
    bool ok = read_rows(reply, st->nfields, &rs) && emit_rows(r, &rs);
    rows_free(&rs);
    return ok && !r->oom;
}

/* The session export's total is its seconds, which are those of the hours. */
static size_t export_render(dm_report *r, rtab **tabs)
{
    rec_st *st = r->st;
    if (st->seconds_field >= 0) {
        rtab_total(st->table);
        for (int c = 0; st->kind->cols[c].column; c++) {
            if (strcmp(st->kind->cols[c].column, "seconds") == 0)
                rtab_int(st->table, st->seconds);
            else
                rtab_null(st->table);
        }
    }
    tabs[0] = st->table;
    st->table = NULL;
    return 1;
}

/* ---- sessions ---- */

/* REP_XS in _report.lua. */
static const char *const session_fields[] = {
    "id", "started_at", "language", "clinic", "interpreter", "clinic_name", "interp_name", "created_at",
    "first_offer_at", "accepted_at", "ended_at", "rep_s", "modality", "urgency", "specialty", "corrected",
    "orig_started_at", "orig_ended_at", "rating", "asked", "escalated", NULL};

static const col_spec session_cols[] = {
    {"request", "id", T_STR},
    {"created_at", "created_at", T_SECS},
    {"first_offer_at", "first_offer_at", T_SECS},
    {"accepted_at", "accepted_at", T_SECS},
    {"started_at", "started_at", T_TIME},
    {"ended_at", "ended_at", T_SECS},
    {"seconds", "rep_s", T_INT},
    {"language", "language", T_STR},
    {"modality", "modality", T_STR},
    {"urgency", "urgency", T_STR},
    {"specialty", "specialty", T_STR},
    {"institution", "clinic", T_STR},
    {"institution_name", "clinic_name", T_STR},
    {"interpreter", "interpreter", T_STR},
    {"interpreter_name", "interp_name", T_STR},
    {"corrected", "corrected", T_FLAG},
    {"orig_started_at", "orig_started_at", T_SECS},
    {"orig_ended_at", "orig_ended_at", T_SECS},
    {"rating", "rating", T_INT},
    {"asked", "asked", T_INT},
    {"escalated", "escalated", T_FLAG},
    {NULL, NULL, T_STR},
};

static const rec_kind sessions_kind = {"xs", session_fields, session_cols, "sessions"};

static bool sessions_init(dm_report *r)
{
    return rec_init_kind(r, &sessions_kind);
}

static const char *const sessions_tables[] = {"sessions", NULL};

const report_ops dm_report_sessions_ops = {
    .tables = sessions_tables,
    .script = "report_rows",
    .chunk_days = 31,
    .indexed = true,
    .prefix = export_prefix,
    .init = sessions_init,
    .feed_days = export_feed,
    .render = export_render,
    .free = rec_free,
};

/* ---- requests ---- */

/* REP_XR in _report.lua. */
static const char *const request_fields[] = {
    "id", "created_at", "language", "clinic", "interpreter", "clinic_name", "interp_name", "state", "modality",
    "urgency", "specialty", "first_offer_at", "accepted_at", "started_at", "ended_at", "closed_at", "cancelled_by",
    "cancel_stage", "reason", "escalated", "asked", NULL};

static const col_spec request_cols[] = {
    {"request", "id", T_STR},
    {"created_at", "created_at", T_TIME},
    {"state", "state", T_STR},
    {"language", "language", T_STR},
    {"modality", "modality", T_STR},
    {"urgency", "urgency", T_STR},
    {"specialty", "specialty", T_STR},
    {"institution", "clinic", T_STR},
    {"institution_name", "clinic_name", T_STR},
    {"interpreter", "interpreter", T_STR},
    {"interpreter_name", "interp_name", T_STR},
    {"first_offer_at", "first_offer_at", T_SECS},
    {"accepted_at", "accepted_at", T_SECS},
    {"started_at", "started_at", T_SECS},
    {"ended_at", "ended_at", T_SECS},
    {"closed_at", "closed_at", T_SECS},
    {"cancelled_by", "cancelled_by", T_ROLE},
    {"cancel_stage", "cancel_stage", T_STR},
    {"unfilled_reason", "reason", T_UNFILLED},
    {"escalated", "escalated", T_FLAG},
    {"asked", "asked", T_INT},
    {NULL, NULL, T_STR},
};

static const rec_kind requests_kind = {"xr", request_fields, request_cols, "requests"};

static bool requests_init(dm_report *r)
{
    return rec_init_kind(r, &requests_kind);
}

static const char *const requests_tables[] = {"requests", NULL};

const report_ops dm_report_requests_ops = {
    .tables = requests_tables,
    .script = "report_rows",
    .chunk_days = 31,
    .indexed = true,
    .prefix = export_prefix,
    .init = requests_init,
    .feed_days = export_feed,
    .render = export_render,
    .free = rec_free,
};

/* ---- feedback: ratings grouped, comments and notes listed ---- */

/* REP_FBC in _report.lua. */
static const char *const comment_fields[] = {"id",          "started_at",  "language", "clinic",         "interpreter",
                                             "clinic_name", "interp_name", "rating",   "clinic_comment", "interp_note",
                                             NULL};

static const col_spec comment_cols[] = {
    {"request", "id", T_STR},
    {"started_at", "started_at", T_TIME},
    {"language", "language", T_STR},
    {"institution", "clinic", T_STR},
    {"institution_name", "clinic_name", T_STR},
    {"interpreter", "interpreter", T_STR},
    {"interpreter_name", "interp_name", T_STR},
    {"rating", "rating", T_INT},
    {"clinic_comment", "clinic_comment", T_STR},
    {"interpreter_note", "interp_note", T_STR},
    {NULL, NULL, T_STR},
};

static const rec_kind feedback_kind = {NULL, comment_fields, comment_cols, "comments"};

static bool feedback_init(dm_report *r)
{
    return rec_init_kind(r, &feedback_kind);
}

/* "n r sum s1 .. s5 cm nt" (rep_fb in _report.lua) into a group. */
static bool add_figures(rec_st *st, const char *group, const char *p)
{
    int64_t v[10];
    for (int i = 0; i < 10; i++) {
        char *end;
        v[i] = strtoll(p, &end, 10);
        if (end == p)
            return false;
        p = end;
    }
    rating_row *row = agg_at(&st->ratings, strcmp(group, "-") == 0 ? "" : group);
    if (!row)
        return false;
    row->sessions += v[0];
    row->rated += v[1];
    row->sum += v[2];
    for (int s = 0; s < 5; s++)
        row->stars[s] += v[3 + s];
    row->comments += v[8];
    row->notes += v[9];
    return true;
}

/* One day's figures: lines "LANGUAGE CLINIC INTERPRETER n r sum ..." ("-"
 * for none), each counted in the group of the value grouped by when it
 * passes the filters. */
static bool add_day(dm_report *r, const char *s)
{
    rec_st *st = r->st;
    int group = r->q.by == DM_DIM_LANGUAGE ? 0 : r->q.by == DM_DIM_INSTITUTION ? 1 : 2;
    while (*s) {
        if (*s++ != '\n')
            return false;
        char part[3][DM_REPORT_ID_MAX + 2];
        for (int i = 0; i < 3; i++) {
            size_t n = strcspn(s, " \n");
            if (n > DM_REPORT_ID_MAX + 1 || s[n] != ' ')
                return false;
            memcpy(part[i], s, n);
            part[i][n] = '\0';
            s += n + 1;
        }
        if (passes(r, part[0], part[1], part[2]) && !add_figures(st, part[group], s))
            return false;
        s += strcspn(s, "\n");
    }
    return true;
}

/* A chunk of days: {figures of each day, comment rows of each day}. */
static bool feedback_feed(dm_report *r, const redisReply *reply)
{
    rec_st *st = r->st;
    if (!is_array(reply, 2) || !is_array(reply->element[0], 0) || !is_array(reply->element[1], 0))
        return false;
    const redisReply *figs = reply->element[0];
    for (size_t i = 0; i < figs->elements; i++)
        if (figs->element[i]->type != REDIS_REPLY_STRING || !add_day(r, figs->element[i]->str))
            return false;
    rows rs = {0};
    bool ok = read_rows(reply->element[1], st->nfields, &rs) && emit_rows(r, &rs);
    rows_free(&rs);
    return ok && !r->oom && !st->ratings.oom;
}

static void feedback_names(dm_report *r)
{
    rec_st *st = r->st;
    if (r->q.by == DM_DIM_LANGUAGE)
        return;
    for (size_t i = 0; i < st->ratings.n; i++)
        report_want(r, r->q.by == DM_DIM_INSTITUTION ? "c" : "i", st->ratings.keys[i]);
}

static void rating_cells(rtab *t, const rating_row *row)
{
    rtab_int(t, row->sessions);
    rtab_int(t, row->rated);
    if (row->rated)
        rtab_fixed(t, (double)row->sum / (double)row->rated, 2);
    else
        rtab_null(t);
    for (int s = 0; s < 5; s++)
        rtab_int(t, row->stars[s]);
    rtab_int(t, row->comments);
    rtab_int(t, row->notes);
}

static void add_rating(rating_row *total, const rating_row *row)
{
    total->sessions += row->sessions;
    total->rated += row->rated;
    total->sum += row->sum;
    for (int s = 0; s < 5; s++)
        total->stars[s] += row->stars[s];
    total->comments += row->comments;
    total->notes += row->notes;
}

static void ratings_table(dm_report *r, rtab *t, bool named)
{
    rec_st *st = r->st;
    size_t *order = agg_sorted(&st->ratings);
    if (!order) {
        r->oom = true;
        return;
    }
    rating_row total;
    memset(&total, 0, sizeof total);
    for (size_t i = 0; i < st->ratings.n; i++) {
        const rating_row *row = agg_item(&st->ratings, order[i]);
        const char *key = st->ratings.keys[order[i]];
        rtab_row(t);
        rtab_str(t, key);
        if (named)
            rtab_str(t, report_name(r, r->q.by == DM_DIM_INSTITUTION ? "c" : "i", key));
        rating_cells(t, row);
        add_rating(&total, row);
    }
    free(order);
    rtab_total(t);
    rtab_null(t);
    if (named)
        rtab_null(t);
    rating_cells(t, &total);
}

static size_t feedback_render(dm_report *r, rtab **tabs)
{
    rec_st *st = r->st;
    static const char *const figures[] = {"sessions", "rated",    "mean_rating", "rating_1", "rating_2",
                                          "rating_3", "rating_4", "rating_5",    "comments", "notes"};
    bool named = r->q.by != DM_DIM_LANGUAGE;
    int c = 0;
    st->rating_cols[c++] = dm_report_dim_name(r->q.by);
    if (named)
        st->rating_cols[c++] = r->q.by == DM_DIM_INSTITUTION ? "institution_name" : "interpreter_name";
    for (size_t i = 0; i < sizeof figures / sizeof *figures; i++)
        st->rating_cols[c++] = figures[i];
    st->rating_cols[c] = NULL;
    tabs[0] = rtab_new(r->q.format, "ratings", st->rating_cols);
    if (tabs[0])
        ratings_table(r, tabs[0], named);
    tabs[1] = st->table;
    st->table = NULL;
    if (r->oom) {
        rtab_free(tabs[0]);
        tabs[0] = NULL;
    }
    return 2;
}

static const char *const feedback_tables[] = {"ratings", "comments", NULL};

const report_ops dm_report_feedback_ops = {
    .tables = feedback_tables,
    .script = "report_feedback",
    .chunk_days = 31,
    .indexed = true,
    .init = feedback_init,
    .feed_days = feedback_feed,
    .names = feedback_names,
    .render = feedback_render,
    .free = rec_free,
};
