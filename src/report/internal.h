/* Shared by the files of the report room only. */
#ifndef DRAGOMAN_REPORT_INTERNAL_H
#define DRAGOMAN_REPORT_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dragoman/report.h"

struct redisReply;

/* Keys report_rebuild.lua looks at per call: a few milliseconds of Redis. */
#define REBUILD_BATCH "300"

/* ---- buf.c: a growing text buffer; once out of memory it stays failed ---- */
typedef struct dm_buf {
    char *p;
    size_t len, cap;
    bool oom;
} dm_buf;

/* Room for more bytes and a NUL; false once out of memory. */
bool buf_reserve(dm_buf *b, size_t more);
void buf_add(dm_buf *b, const char *s, size_t n);
void buf_str(dm_buf *b, const char *s);
void buf_printf(dm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_json_str(dm_buf *b, const char *s);
void buf_free(dm_buf *b);

/* ---- buf.c: items of one size found by a string key, added zeroed ---- */
typedef struct agg {
    char **keys;
    size_t *slots; /* open addressing: item index + 1, 0 = empty */
    unsigned char *items;
    size_t size, n, cap, nslots;
    bool oom;
} agg;

void agg_init(agg *a, size_t size);
void *agg_at(agg *a, const char *key); /* NULL when out of memory */
void *agg_find(const agg *a, const char *key);
void *agg_item(const agg *a, size_t i);
/* Item indexes in key order; malloc'd (NULL when out of memory and n > 0). */
size_t *agg_sorted(const agg *a);
void agg_free(agg *a);

/* ---- table.c: one table written in the output format as rows come ---- */
typedef struct rtab rtab;

/* cols is NULL-terminated and must outlive the table. */
rtab *rtab_new(dm_report_format fmt, const char *name, const char *const *cols);
void rtab_row(rtab *t);   /* starts a row */
void rtab_total(rtab *t); /* starts the total row: at most one, after every row */
void rtab_int(rtab *t, long long v);
void rtab_fixed(rtab *t, double v, int decimals);
void rtab_str(rtab *t, const char *s);
void rtab_null(rtab *t);
void rtab_time(rtab *t, int64_t ms); /* ISO-8601 local; null for 0 */
void rtab_free(rtab *t);
/* The document: meta is NULL-terminated key/value pairs. CSV carries only the
 * table named (the first when table is ""). */
char *rtab_render(dm_report_format fmt, const char *const *meta, rtab **tabs, size_t n, const char *table,
                  size_t *len);

/* ---- date.c: dm_report_iso_time for many times in a row ---- */
/* Takes note of TZ (as every dm_report_iso_time does)... */
void report_zone_check(void);
/* ...so that this one need not: for the rows of one table. */
void report_iso_time(int64_t ms, char out[32]);

/* ---- report.c: the report being computed ---- */
typedef struct report_ops report_ops;

struct dm_report {
    dm_report_query q;
    const report_ops *ops;
    int phase;
    dm_day cursor;
    char **args;
    int nargs, capargs;
    agg names; /* "c:ID" / "i:ID" -> name_entry: the names asked for, then found */
    bool all_interpreters; /* ask for every interpreter in the registry too */
    bool index_ready;      /* report_rebuild.lua said done */
    void *st; /* the kind's own state */
    bool oom;
};

typedef struct name_entry {
    char name[128];
    bool active;
} name_entry;

struct report_ops {
    const char *const *tables;
    const char *script; /* run over chunks of days */
    int chunk_days;
    /* Reads the indexes of single requests: report_rebuild.lua runs first,
     * until it says they hold every request. */
    bool indexed;
    /* Arguments before the day keys. */
    void (*prefix)(dm_report *r);
    bool (*init)(dm_report *r);
    bool (*feed_days)(dm_report *r, const struct redisReply *reply);
    /* Reads open requests too (report_open.lua) when set. */
    bool (*feed_open)(dm_report *r, const struct redisReply *reply);
    /* Asks for names (report_want) once the days are in; NULL for none. */
    void (*names)(dm_report *r);
    /* Creates the tables, in the order of tables, filled; returns how many. */
    size_t (*render)(dm_report *r, rtab **tabs);
    void (*free)(dm_report *r);
};

/* The names of a kind's tables, NULL-terminated. */
const char *const *report_tables(dm_report_kind kind);
void report_arg(dm_report *r, const char *s);
/* Asks for the name of "c" (clinic) or "i" (interpreter) id. */
void report_want(dm_report *r, const char *kind, const char *id);
const char *report_name(const dm_report *r, const char *kind, const char *id);
/* A reply element's text ("" when it is not a string). */
const char *rstr(const struct redisReply *e);
bool is_array(const struct redisReply *e, size_t min);
/* Splits a bucket field "VALUE:WHAT" (WHAT may hold more colons); false when malformed. */
bool split_value(const char *f, char val[DM_REPORT_ID_MAX + 2], const char **what);
/* Calls fn for every field of a report_buckets.lua reply; false when malformed. */
typedef void (*bucket_fn)(dm_report *r, dm_day day, const char *dim, const char *field, const char *value);
bool each_bucket(dm_report *r, const struct redisReply *reply, bucket_fn fn);
/* Storage name of a dimension in the Lua buckets ("clinic" for institution). */
const char *store_dim(dm_report_dim d);
/* Hours with two decimals from whole seconds. */
double hours_of(int64_t seconds);

extern const report_ops dm_report_hours_ops, dm_report_fairness_ops, dm_report_fill_ops, dm_report_supply_ops,
    dm_report_speed_ops, dm_report_feedback_ops, dm_report_sessions_ops, dm_report_requests_ops;

#endif
