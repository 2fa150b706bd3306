/* Running a report: for the kinds that read the indexes of single requests,
 * report_rebuild.lua until they are complete; the days of the period in
 * chunks through the kind's script, then open requests and names where the
 * kind needs them, then the tables. The caller runs each step's script and
 * feeds back the reply. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dragoman/clock.h"
#include "internal.h"

#define MAX_TABLES 4

enum { PHASE_START, PHASE_INDEX, PHASE_DAYS, PHASE_OPEN, PHASE_NAMES, PHASE_DONE };

static const report_ops *const all_ops[DM_REPORT__COUNT] = {
    [DM_REPORT_HOURS] = &dm_report_hours_ops,       [DM_REPORT_SPEED] = &dm_report_speed_ops,
    [DM_REPORT_FILL] = &dm_report_fill_ops,         [DM_REPORT_SUPPLY] = &dm_report_supply_ops,
    [DM_REPORT_FAIRNESS] = &dm_report_fairness_ops, [DM_REPORT_FEEDBACK] = &dm_report_feedback_ops,
    [DM_REPORT_SESSIONS] = &dm_report_sessions_ops, [DM_REPORT_REQUESTS] = &dm_report_requests_ops,
};

const char *const *report_tables(dm_report_kind kind)
{
    return all_ops[kind]->tables;
}

dm_report *dm_report_new(const dm_report_query *q)
{
    dm_report *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->q = *q;
    r->ops = all_ops[q->kind];
    r->cursor = q->from;
    agg_init(&r->names, sizeof(name_entry));
    if (r->ops->init && !r->ops->init(r)) {
        dm_report_free(r);
        return NULL;
    }
    return r;
}

static void clear_args(dm_report *r)
{
    for (int i = 0; i < r->nargs; i++)
        free(r->args[i]);
    r->nargs = 0;
}

void report_arg(dm_report *r, const char *s)
{
    if (r->nargs == r->capargs) {
        int cap = r->capargs ? r->capargs * 2 : 64;
        char **args = realloc(r->args, (size_t)cap * sizeof *args);
        if (!args) {
            r->oom = true;
            return;
        }
        r->args = args;
        r->capargs = cap;
    }
    char *copy = strdup(s);
    if (!copy)
        r->oom = true;
    else
        r->args[r->nargs++] = copy;
}

void report_want(dm_report *r, const char *kind, const char *id)
{
    char key[DM_REPORT_ID_MAX + 4];
    snprintf(key, sizeof key, "%s:%s", kind, id);
    if (!agg_at(&r->names, key))
        r->oom = true;
}

const char *report_name(const dm_report *r, const char *kind, const char *id)
{
    char key[DM_REPORT_ID_MAX + 4];
    snprintf(key, sizeof key, "%s:%s", kind, id);
    const name_entry *e = agg_find(&r->names, key);
    return e ? e->name : "";
}

static void day_chunk(dm_report *r)
{
    r->phase = PHASE_DAYS;
    if (r->ops->prefix)
        r->ops->prefix(r);
    for (int i = 0; i < r->ops->chunk_days && r->cursor <= r->q.to; i++, r->cursor++) {
        char key[9];
        dm_day_key(r->cursor, key);
        report_arg(r, key);
    }
}

static void open_args(dm_report *r)
{
    char n[24];
    r->phase = PHASE_OPEN;
    snprintf(n, sizeof n, "%lld", (long long)dm_day_start_ms(r->q.from));
    report_arg(r, n);
    snprintf(n, sizeof n, "%lld", (long long)dm_day_start_ms(r->q.to + 1));
    report_arg(r, n);
}

static bool names_args(dm_report *r)
{
    r->phase = PHASE_NAMES;
    r->ops->names(r);
    for (size_t i = 0; i < r->names.n; i++)
        report_arg(r, r->names.keys[i]);
    if (r->all_interpreters)
        report_arg(r, "*i");
    return r->nargs > 0;
}

bool dm_report_step(dm_report *r, const char **script, int *argc, const char *const **argv)
{
    clear_args(r);
    *script = NULL;
    if (r->ops->indexed && !r->index_ready) {
        r->phase = PHASE_INDEX;
        report_arg(r, REBUILD_BATCH);
        report_arg(r, dm_report_zone_arg(dm_now_ms()));
        *script = "report_rebuild";
    } else if (r->phase <= PHASE_DAYS && r->cursor <= r->q.to) {
        day_chunk(r);
        *script = r->ops->script;
    } else if (r->phase < PHASE_OPEN && r->ops->feed_open) {
        open_args(r);
        *script = "report_open";
    } else if (r->phase < PHASE_NAMES && r->ops->names && names_args(r)) {
        *script = "report_names";
    } else {
        r->phase = PHASE_DONE;
    }
    *argc = r->nargs;
    *argv = (const char *const *)r->args;
    return *script != NULL && !r->oom;
}

static bool feed_names(dm_report *r, const redisReply *reply)
{
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        if (!is_array(e, 3))
            return false;
        name_entry *n = agg_at(&r->names, rstr(e->element[0]));
        if (!n)
            return false;
        snprintf(n->name, sizeof n->name, "%s", rstr(e->element[1]));
        n->active = strcmp(rstr(e->element[2]), "0") != 0;
    }
    return true;
}

bool dm_report_feed(dm_report *r, const redisReply *reply)
{
    if (!is_array(reply, 0))
        return false;
    switch (r->phase) {
    case PHASE_INDEX:
        if (!is_array(reply, 2) || reply->element[0]->type != REDIS_REPLY_INTEGER ||
            reply->element[1]->type != REDIS_REPLY_INTEGER)
            return false;
        r->index_ready = reply->element[0]->integer == 1;
        return true;
    case PHASE_DAYS:
        return r->ops->feed_days(r, reply);
    case PHASE_OPEN:
        return r->ops->feed_open(r, reply);
    case PHASE_NAMES:
        return feed_names(r, reply);
    default:
        return false;
    }
}

const char *dm_report_content_type(const dm_report *r)
{
    static const char *const types[] = {"application/json", "text/csv; charset=utf-8", "text/plain; charset=utf-8"};
    return types[r->q.format];
}

char *dm_report_render(dm_report *r, const char *timezone, size_t *len)
{
    if (r->oom)
        return NULL;
    rtab *tabs[MAX_TABLES] = {0};
    size_t n = r->ops->render(r, tabs);
    char from[11], to[11];
    dm_day_format(r->q.from, from);
    dm_day_format(r->q.to, to);
    const char *meta[] = {"report",      dm_report_kind_name(r->q.kind),
                          "from",        from,
                          "to",          to,
                          "by",          dm_report_dim_name(r->q.by),
                          "per",         dm_report_dim_name(r->q.per),
                          "language",    r->q.language,
                          "institution", r->q.institution,
                          "interpreter", r->q.only_interpreter[0] ? r->q.only_interpreter : r->q.interpreter,
                          "timezone",    timezone,
                          NULL};
    bool complete = n > 0;
    for (size_t i = 0; i < n; i++)
        complete &= tabs[i] != NULL;
    char *out = complete ? rtab_render(r->q.format, meta, tabs, n, r->q.table, len) : NULL;
    for (size_t i = 0; i < n; i++)
        rtab_free(tabs[i]);
    return out;
}

void dm_report_free(dm_report *r)
{
    if (!r)
        return;
    if (r->ops->free)
        r->ops->free(r);
    clear_args(r);
    free(r->args);
    agg_free(&r->names);
    free(r);
}

const char *rstr(const redisReply *e)
{
    return e && (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS) && e->str ? e->str : "";
}

bool is_array(const redisReply *e, size_t min)
{
    return e && e->type == REDIS_REPLY_ARRAY && e->elements >= min;
}

bool split_value(const char *f, char val[DM_REPORT_ID_MAX + 2], const char **what)
{
    const char *colon = strchr(f, ':');
    if (!colon || (size_t)(colon - f) > DM_REPORT_ID_MAX + 1)
        return false;
    memcpy(val, f, (size_t)(colon - f));
    val[colon - f] = '\0';
    *what = colon + 1;
    return true;
}

bool each_bucket(dm_report *r, const redisReply *reply, bucket_fn fn)
{
    for (size_t i = 0; i + 2 < reply->elements; i += 3) {
        dm_day day;
        const redisReply *flat = reply->element[i + 2];
        if (!dm_day_from_key(rstr(reply->element[i]), &day) || !is_array(flat, 0))
            return false;
        const char *dim = rstr(reply->element[i + 1]);
        for (size_t k = 0; k + 1 < flat->elements; k += 2)
            fn(r, day, dim, rstr(flat->element[k]), rstr(flat->element[k + 1]));
    }
    return reply->elements % 3 == 0 && !r->oom;
}

const char *store_dim(dm_report_dim d)
{
    return d == DM_DIM_INSTITUTION ? "clinic" : dm_report_dim_name(d);
}

double hours_of(int64_t seconds)
{
    return (double)seconds / 3600.0;
}
