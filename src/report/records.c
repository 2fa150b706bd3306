/* Reports made of request records, read through the day indexes: the raw
 * session export (sessions by local start day, exactly those counted in the
 * hours), the raw request export (closed requests by local creation day) and
 * feedback. Rows are written as each chunk of days comes in, in order of
 * time; free text appears only in the feedback report, never in the exports. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_FIELDS 24

typedef enum { T_STR, T_INT, T_FLAG, T_TIME, T_ROLE, T_UNFILLED } col_type;

typedef struct col_spec {
    const char *column, *field;
    col_type type;
} col_spec;

/* A record: the values of its kind's fields, in order. The first fields of
 * every kind are these, which filtering and sorting use. */
typedef const char *const *record;
enum { F_ID, F_TIME, F_LANGUAGE, F_CLINIC, F_CLINIC_NAME, F_INTERPRETER, F_INTERP_NAME, F_COMMON };

typedef struct rec_kind {
    const char *index; /* "ss" or "rq" */
    const char *const *fields;
    const col_spec *cols; /* the streamed table's columns */
    const char *table;
    void (*emit)(dm_report *r, record v);
} rec_kind;

typedef struct rating_row {
    char name[128];
    int64_t sessions, rated, sum, stars[5], comments, notes;
} rating_row;

typedef struct rec_st {
    const rec_kind *kind;
    const char *cols[MAX_FIELDS + 1];
    int colfield[MAX_FIELDS]; /* index in fields of each column */
    int state_field;          /* requests: where "state" is */
    rtab *table;              /* the streamed rows */
    int64_t seconds;          /* sessions: the total */
    agg ratings;              /* feedback: group -> rating_row */
    const char *rating_cols[16];
} rec_st;

static int field_index(const rec_kind *k, const char *name)
{
    for (int i = 0; k->fields[i]; i++)
        if (strcmp(k->fields[i], name) == 0)
            return i;
    return -1;
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
            rtab_int(t, strtoll(v, NULL, 10));
        else
            rtab_null(t);
        break;
    case T_FLAG:
        rtab_int(t, strcmp(v, "1") == 0);
        break;
    case T_TIME:
        rtab_time(t, strtoll(v, NULL, 10));
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

static void emit_row(dm_report *r, record v)
{
    rec_st *st = r->st;
    rtab_row(st->table);
    for (int c = 0; st->kind->cols[c].column; c++)
        write_cell(st, st->table, &st->kind->cols[c], v, c);
}

static void emit_session(dm_report *r, record v)
{
    rec_st *st = r->st;
    emit_row(r, v);
    st->seconds += strtoll(v[field_index(st->kind, "rep_s")], NULL, 10);
}

static bool rec_init_kind(dm_report *r, const rec_kind *k)
{
    rec_st *st = calloc(1, sizeof *st);
    if (!st)
        return false;
    r->st = st;
    st->kind = k;
    agg_init(&st->ratings, sizeof(rating_row));
    int c = 0;
    for (; k->cols[c].column && c < MAX_FIELDS; c++) {
        st->cols[c] = k->cols[c].column;
        st->colfield[c] = field_index(k, k->cols[c].field);
        if (st->colfield[c] < 0)
            return false;
    }
    st->cols[c] = NULL;
    st->state_field = field_index(k, "state");
    st->table = rtab_new(r->q.format, k->table, st->cols);
    return st->table != NULL;
}

static void rec_prefix(dm_report *r)
{
    rec_st *st = r->st;
    char n[16];
    int nf = 0;
    while (st->kind->fields[nf])
        nf++;
    snprintf(n, sizeof n, "%d", nf);
    report_arg(r, st->kind->index);
    report_arg(r, n);
    for (int i = 0; i < nf; i++)
        report_arg(r, st->kind->fields[i]);
}

static bool passes(const dm_report *r, record v)
{
    const dm_report_query *q = &r->q;
    return (!q->language[0] || strcmp(v[F_LANGUAGE], q->language) == 0) &&
           (!q->institution[0] || strcmp(v[F_CLINIC], q->institution) == 0) &&
           (!q->interpreter[0] || strcmp(v[F_INTERPRETER], q->interpreter) == 0);
}

typedef struct timed {
    long long t;
    const redisReply *rec;
} timed;

static int cmp_timed(const void *a, const void *b)
{
    const timed *x = a, *y = b;
    if (x->t != y->t)
        return (x->t > y->t) - (x->t < y->t);
    return strcmp(rstr(x->rec->element[F_ID]), rstr(y->rec->element[F_ID]));
}

static bool rec_feed(dm_report *r, const redisReply *reply)
{
    rec_st *st = r->st;
    int nf = 0;
    while (st->kind->fields[nf])
        nf++;
    timed *order = malloc((reply->elements + 1) * sizeof *order);
    if (!order)
        return false;
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        if (!is_array(e, (size_t)nf)) {
            free(order);
            return false;
        }
        order[i] = (timed){strtoll(rstr(e->element[F_TIME]), NULL, 10), e};
    }
    qsort(order, reply->elements, sizeof *order, cmp_timed);
    for (size_t i = 0; i < reply->elements; i++) {
        const char *v[MAX_FIELDS];
        for (int f = 0; f < nf; f++)
            v[f] = rstr(order[i].rec->element[f]);
        if (passes(r, v))
            st->kind->emit(r, v);
    }
    free(order);
    return !r->oom;
}

/* The session export's total is its seconds, which are those of the hours. */
static size_t rec_render(dm_report *r, rtab **tabs)
{
    rec_st *st = r->st;
    if (st->kind->emit == emit_session)
        rtab_total(st->table);
    for (int c = 0; st->kind->emit == emit_session && st->kind->cols[c].column; c++) {
        if (strcmp(st->kind->cols[c].column, "seconds") == 0)
            rtab_int(st->table, st->seconds);
        else
            rtab_null(st->table);
    }
    tabs[0] = st->table;
    st->table = NULL;
    return 1;
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

/* ---- sessions ---- */

static const char *const session_fields[] = {
    "id", "started_at", "language", "clinic", "clinic_name", "interpreter", "interp_name", "created_at",
    "first_offer_at", "accepted_at", "ended_at", "rep_s", "modality", "urgency", "specialty", "corrected",
    "orig_started_at", "orig_ended_at", "rating", "asked", "escalated", NULL};

static const col_spec session_cols[] = {
    {"request", "id", T_STR},
    {"created_at", "created_at", T_TIME},
    {"first_offer_at", "first_offer_at", T_TIME},
    {"accepted_at", "accepted_at", T_TIME},
    {"started_at", "started_at", T_TIME},
    {"ended_at", "ended_at", T_TIME},
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
    {"orig_started_at", "orig_started_at", T_TIME},
    {"orig_ended_at", "orig_ended_at", T_TIME},
    {"rating", "rating", T_INT},
    {"asked", "asked", T_INT},
    {"escalated", "escalated", T_FLAG},
    {NULL, NULL, T_STR},
};

static const rec_kind sessions_kind = {"ss", session_fields, session_cols, "sessions", emit_session};

static bool sessions_init(dm_report *r)
{
    return rec_init_kind(r, &sessions_kind);
}

static const char *const sessions_tables[] = {"sessions", NULL};

const report_ops dm_report_sessions_ops = {
    .tables = sessions_tables,
    .script = "report_records",
    .chunk_days = 7,
    .prefix = rec_prefix,
    .init = sessions_init,
    .feed_days = rec_feed,
    .render = rec_render,
    .free = rec_free,
};

/* ---- requests ---- */

static const char *const request_fields[] = {
    "id", "created_at", "language", "clinic", "clinic_name", "interpreter", "interp_name", "state", "modality",
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
    {"first_offer_at", "first_offer_at", T_TIME},
    {"accepted_at", "accepted_at", T_TIME},
    {"started_at", "started_at", T_TIME},
    {"ended_at", "ended_at", T_TIME},
    {"closed_at", "closed_at", T_TIME},
    {"cancelled_by", "cancelled_by", T_ROLE},
    {"cancel_stage", "cancel_stage", T_STR},
    {"unfilled_reason", "reason", T_UNFILLED},
    {"escalated", "escalated", T_FLAG},
    {"asked", "asked", T_INT},
    {NULL, NULL, T_STR},
};

static const rec_kind requests_kind = {"rq", request_fields, request_cols, "requests", emit_row};

static bool requests_init(dm_report *r)
{
    return rec_init_kind(r, &requests_kind);
}

static const char *const requests_tables[] = {"requests", NULL};

const report_ops dm_report_requests_ops = {
    .tables = requests_tables,
    .script = "report_records",
    .chunk_days = 7,
    .prefix = rec_prefix,
    .init = requests_init,
    .feed_days = rec_feed,
    .render = rec_render,
    .free = rec_free,
};

/* ---- feedback: ratings grouped, comments and notes listed ---- */

static const char *const feedback_fields[] = {
    "id", "started_at", "language", "clinic", "clinic_name", "interpreter", "interp_name", "rating",
    "clinic_comment", "interp_note", "had_clinic_comment", "had_interp_note", NULL};
enum { FB_RATING = F_COMMON, FB_COMMENT, FB_NOTE, FB_HAD_COMMENT, FB_HAD_NOTE };

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

static void rate(rating_row *row, record v)
{
    long stars = strtol(v[FB_RATING], NULL, 10);
    row->sessions++;
    if (stars >= 1 && stars <= 5) {
        row->rated++;
        row->sum += stars;
        row->stars[stars - 1]++;
    }
    row->comments += v[FB_COMMENT][0] || strcmp(v[FB_HAD_COMMENT], "1") == 0;
    row->notes += v[FB_NOTE][0] || strcmp(v[FB_HAD_NOTE], "1") == 0;
}

static void emit_feedback(dm_report *r, record v)
{
    rec_st *st = r->st;
    int key = r->q.by == DM_DIM_LANGUAGE ? F_LANGUAGE : r->q.by == DM_DIM_INSTITUTION ? F_CLINIC : F_INTERPRETER;
    rating_row *row = agg_at(&st->ratings, v[key]);
    if (!row) {
        r->oom = true;
        return;
    }
    if (key != F_LANGUAGE)
        snprintf(row->name, sizeof row->name, "%s", v[key + 1]);
    rate(row, v);
    if (v[FB_COMMENT][0] || v[FB_NOTE][0])
        emit_row(r, v);
}

static const rec_kind feedback_kind = {"ss", feedback_fields, comment_cols, "comments", emit_feedback};

static bool feedback_init(dm_report *r)
{
    return rec_init_kind(r, &feedback_kind);
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
        rtab_row(t);
        rtab_str(t, st->ratings.keys[order[i]]);
        if (named)
            rtab_str(t, row->name);
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
    .script = "report_records",
    .chunk_days = 7,
    .prefix = rec_prefix,
    .init = feedback_init,
    .feed_days = rec_feed,
    .render = feedback_render,
    .free = rec_free,
};
