/* The report room: service hours, speed, fill, supply, fairness, feedback and
 * the raw exports, computed from the aggregates the Lua scripts keep in
 * Redis (proto/README.md, "Reports"). Pure C: it plans which scripts to
 * run, digests their replies and renders JSON, CSV or terminal tables; the
 * caller does the I/O (dm_store_run on the server, dm_store_sync_run in
 * dragomanctl). Local days and times follow TZ, which the programs set from
 * the configured timezone. */
#ifndef DRAGOMAN_REPORT_H
#define DRAGOMAN_REPORT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct redisReply;

/* ---- dates: days since 1970-01-01 in the proleptic Gregorian calendar ---- */
typedef int32_t dm_day;

dm_day dm_day_from_civil(int y, int m, int d);
void dm_day_to_civil(dm_day day, int *y, int *m, int *d);
/* "YYYY-MM-DD" (a real date) to a day; false otherwise. */
bool dm_day_parse(const char *s, dm_day *out);
void dm_day_format(dm_day day, char out[11]); /* YYYY-MM-DD */
void dm_day_key(dm_day day, char out[9]);     /* YYYYMMDD, as the Lua scripts key buckets */
bool dm_day_from_key(const char *key, dm_day *out);
void dm_day_week(dm_day day, char out[9]);    /* ISO week, e.g. 2026-W03 */
void dm_day_month(dm_day day, char out[8]);   /* 2026-01 */

/* UTC milliseconds of the local midnight that starts day. */
int64_t dm_day_start_ms(dm_day day);
/* "2026-01-14T09:30:00+02:00": local time (seconds, truncated) and offset. */
void dm_report_iso_time(int64_t ms, char out[32]);

/* The zone argument the report-keeping Lua scripts take (their last ARGV):
 * "since_s:offset_s,..." ascending, every UTC offset in force from five years
 * before now_ms to two days after. Cached for an hour; one thread only. */
const char *dm_report_zone_arg(int64_t now_ms);
/* What the Lua scripts make of a zone argument (the same rule, for tests):
 * the local day and hour of a UTC time. */
void dm_report_zone_day(const char *spec, int64_t utc_ms, dm_day *day, int *hour);
/* Builds a zone argument into out covering [from_s, to_s]; false when it does not fit. */
bool dm_report_zone_build(int64_t from_s, int64_t to_s, char *out, size_t cap);

/* ---- math ---- */
void dm_report_sort_u32(uint32_t *v, size_t n);
/* The 0-based index of the nearest-rank p-th percentile (p in 1..100) in a
 * sorted list of n > 0: the smallest value with at least p% of the list at
 * or below it. The median is p = 50: for an even count, the lower middle. */
size_t dm_report_rank(size_t n, int p);
/* sorted[dm_report_rank(n, p)]. */
uint32_t dm_report_percentile(const uint32_t *sorted, size_t n, int p);
/* How many values of a sorted list are at or below limit. */
size_t dm_report_count_le(const uint32_t *sorted, size_t n, uint32_t limit);
/* Gini coefficient of non-negative amounts (0 = all equal, towards 1 = one
 * has everything); sorts x. Negative (undefined) when n is 0 or the sum is 0. */
double dm_report_gini(int64_t *x, size_t n);

/* ---- CSV ---- */
/* Appends one CSV field (RFC 4180 quoting; text starting with = + - @ or a
 * tab/CR is prefixed with ' so spreadsheets do not run it as a formula).
 * Returns the bytes written, or what would be needed when cap is too small. */
size_t dm_report_csv_field(const char *s, char *out, size_t cap);

/* ---- queries ---- */
typedef enum {
    DM_REPORT_HOURS,
    DM_REPORT_SPEED,
    DM_REPORT_FILL,
    DM_REPORT_SUPPLY,
    DM_REPORT_FAIRNESS,
    DM_REPORT_FEEDBACK,
    DM_REPORT_SESSIONS,
    DM_REPORT_REQUESTS,
    DM_REPORT__COUNT
} dm_report_kind;

typedef enum {
    DM_DIM_NONE,
    DM_DIM_LANGUAGE,
    DM_DIM_INSTITUTION,
    DM_DIM_INTERPRETER,
    DM_DIM_MODALITY,
    DM_DIM_SPECIALTY,
    DM_DIM_DAY,
    DM_DIM_WEEK,
    DM_DIM_MONTH,
    DM_DIM__COUNT
} dm_report_dim;

typedef enum { DM_REPORT_JSON, DM_REPORT_CSV, DM_REPORT_TEXT } dm_report_format;

#define DM_REPORT_MAX_DAYS 1100
#define DM_REPORT_ID_MAX 32

typedef struct dm_report_query {
    dm_report_kind kind;
    dm_day from, to; /* inclusive local days */
    dm_report_dim by, per;
    char language[DM_REPORT_ID_MAX + 1], institution[DM_REPORT_ID_MAX + 1], interpreter[DM_REPORT_ID_MAX + 1];
    dm_report_format format;
    char table[24]; /* CSV: which table ("" = the first) */
    /* Set by the caller, never from the query string: an interpreter's own id,
     * to which every figure is then restricted. */
    char only_interpreter[DM_REPORT_ID_MAX + 1];
} dm_report_query;

const char *dm_report_kind_name(dm_report_kind k);
bool dm_report_kind_parse(const char *name, dm_report_kind *out);
const char *dm_report_dim_name(dm_report_dim d);
/* Parses a query string ("from=2026-01-01&to=2026-01-31&by=language",
 * percent-encoded) for a kind. On false, field names the offending parameter
 * ("" when none) and err says why. */
bool dm_report_parse(dm_report_kind kind, const char *qs, dm_report_query *q, char field[24], char *err,
                     size_t errlen);

/* ---- running a report ---- */
typedef struct dm_report dm_report;

dm_report *dm_report_new(const dm_report_query *q);
/* The next script to run and its arguments (valid until the next call);
 * false when every reply is in. */
bool dm_report_step(dm_report *r, const char **script, int *argc, const char *const **argv);
/* Digests the reply to the last step; false when it is not what the script returns. */
bool dm_report_feed(dm_report *r, const struct redisReply *reply);
/* The finished report, malloc'd (NUL-terminated, *len bytes); NULL when out of memory. */
char *dm_report_render(dm_report *r, const char *timezone, size_t *len);
const char *dm_report_content_type(const dm_report *r);
void dm_report_free(dm_report *r);

#endif
