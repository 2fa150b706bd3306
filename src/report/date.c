/* Calendar days, ISO weeks and the deployment's time zone. Day arithmetic is
 * H. Hinnant's days_from_civil/civil_from_days; local times come from libc
 * (TZ is set from the configuration), and the zone argument hands the Lua
 * scripts the offsets in force so they key buckets by the same local days. */
#include "dragoman/report.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ZONE_YEARS 5
#define ZONE_CACHE_MS 3600000

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

dm_day dm_day_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153u * (unsigned)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (unsigned)d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int)doe - 719468;
}

void dm_day_to_civil(dm_day day, int *y, int *m, int *d)
{
    int z = day + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)yoe + era * 400 + (*m <= 2);
}

static bool valid_date(int y, int m, int d)
{
    if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1)
        return false;
    int cy, cm, cd;
    dm_day_to_civil(dm_day_from_civil(y, m, d), &cy, &cm, &cd);
    return cy == y && cm == m && cd == d;
}

bool dm_day_parse(const char *s, dm_day *out)
{
    int y, m, d, n = 0;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || !valid_date(y, m, d))
        return false;
    *out = dm_day_from_civil(y, m, d);
    return true;
}

void dm_day_format(dm_day day, char out[11])
{
    int y, m, d;
    dm_day_to_civil(day, &y, &m, &d);
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u, (unsigned)d % 100u);
}

void dm_day_key(dm_day day, char out[9])
{
    int y, m, d;
    dm_day_to_civil(day, &y, &m, &d);
    snprintf(out, 9, "%04u%02u%02u", (unsigned)y % 10000u, (unsigned)m % 100u, (unsigned)d % 100u);
}

bool dm_day_from_key(const char *key, dm_day *out)
{
    int y, m, d, n = 0;
    if (strlen(key) != 8 || sscanf(key, "%4d%2d%2d%n", &y, &m, &d, &n) != 3 || n != 8 || !valid_date(y, m, d))
        return false;
    *out = dm_day_from_civil(y, m, d);
    return true;
}

/* ISO 8601: weeks start on Monday and belong to the year of their Thursday. */
void dm_day_week(dm_day day, char out[9])
{
    int iso_wd = (int)floor_mod((int64_t)day + 3, 7) + 1; /* 1 = Monday; 1970-01-01 was a Thursday */
    dm_day thursday = day - iso_wd + 4;
    int y, m, d;
    dm_day_to_civil(thursday, &y, &m, &d);
    int week = (thursday - dm_day_from_civil(y, 1, 1)) / 7 + 1;
    snprintf(out, 9, "%04u-W%02u", (unsigned)y % 10000u, (unsigned)week % 100u);
}

void dm_day_month(dm_day day, char out[8])
{
    int y, m, d;
    dm_day_to_civil(day, &y, &m, &d);
    snprintf(out, 8, "%04u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u);
}

int64_t dm_day_start_ms(dm_day day)
{
    int y, m, d;
    dm_day_to_civil(day, &y, &m, &d);
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_isdst = -1};
    return (int64_t)mktime(&tm) * 1000;
}

static long offset_at(int64_t s)
{
    time_t t = (time_t)s;
    struct tm tm;
    localtime_r(&t, &tm);
    return tm.tm_gmtoff;
}

/* UTC offsets of recently seen UTC hours: the raw exports format a year of
 * times, and localtime_r for each costs more than all the rest. An hour whose
 * first and last second have the same offset is taken to have it throughout
 * (zones change offset at most once within an hour); an hour with a change in
 * it is not cached. The cache belongs to one TZ value and its thread. */
#define HOUR_CACHE 256
static _Thread_local struct {
    int64_t hour[HOUR_CACHE];
    long off[HOUR_CACHE];
    char tz[128];
    bool valid;
    int64_t day; /* the last local day turned into a date */
    int y, m, d;
} seen;

/* Forgets what was cached for another TZ; false when TZ cannot be cached. */
static bool zone_check(void)
{
    const char *tz = getenv("TZ");
    if (!tz)
        tz = "";
    if (seen.valid && strcmp(tz, seen.tz) == 0)
        return true;
    seen.valid = false;
    if (strlen(tz) >= sizeof seen.tz)
        return false;
    for (int i = 0; i < HOUR_CACHE; i++)
        seen.hour[i] = INT64_MIN;
    strcpy(seen.tz, tz);
    seen.day = INT64_MIN;
    seen.valid = true;
    return true;
}

static bool cached_offset(int64_t s, long *off)
{
    if (!seen.valid)
        return false;
    int64_t hour = floor_div(s, 3600);
    size_t slot = (size_t)floor_mod(hour, HOUR_CACHE);
    if (seen.hour[slot] != hour) {
        long first = offset_at(hour * 3600);
        if (offset_at(hour * 3600 + 3599) != first)
            return false;
        seen.hour[slot] = hour;
        seen.off[slot] = first;
    }
    *off = seen.off[slot];
    return true;
}

static char *digits(char *p, unsigned v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + n;
}

static void iso_time(int64_t ms, char out[32])
{
    int64_t s = floor_div(ms, 1000);
    long off;
    if (cached_offset(s, &off) && off % 60 == 0) {
        int64_t local = s + off, day = floor_div(local, 86400);
        if (day != seen.day) {
            dm_day_to_civil((dm_day)day, &seen.y, &seen.m, &seen.d);
            seen.day = day;
        }
        unsigned sec = (unsigned)floor_mod(local, 86400);
        unsigned aoff = (unsigned)labs(off / 60);
        if (seen.y >= 0 && seen.y <= 9999) {
            char *p = digits(out, (unsigned)seen.y, 4);
            *p++ = '-';
            p = digits(p, (unsigned)seen.m, 2);
            *p++ = '-';
            p = digits(p, (unsigned)seen.d, 2);
            *p++ = 'T';
            p = digits(p, sec / 3600, 2);
            *p++ = ':';
            p = digits(p, sec / 60 % 60, 2);
            *p++ = ':';
            p = digits(p, sec % 60, 2);
            *p++ = off < 0 ? '-' : '+';
            p = digits(p, aoff / 60 % 100, 2);
            *p++ = ':';
            p = digits(p, aoff % 60, 2);
            *p = '\0';
            return;
        }
    }
    time_t t = (time_t)s;
    struct tm tm;
    localtime_r(&t, &tm);
    off = tm.tm_gmtoff / 60;
    char sign = off < 0 ? '-' : '+';
    off = labs(off);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, "%c%02ld:%02ld", sign, off / 60, off % 60);
}

void dm_report_iso_time(int64_t ms, char out[32])
{
    zone_check();
    iso_time(ms, out);
}

void report_zone_check(void)
{
    zone_check();
}

void report_iso_time(int64_t ms, char out[32])
{
    iso_time(ms, out);
}

/* The first second in (lo, hi] whose offset differs from lo's. */
static int64_t transition(int64_t lo, int64_t hi)
{
    long before = offset_at(lo);
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (offset_at(mid) == before)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

static bool append_entry(char *out, size_t cap, size_t *used, int64_t since, long off)
{
    int n = snprintf(out + *used, cap - *used, "%s%lld:%ld", *used ? "," : "", (long long)since, off);
    if (n < 0 || (size_t)n >= cap - *used)
        return false;
    *used += (size_t)n;
    return true;
}

bool dm_report_zone_build(int64_t from_s, int64_t to_s, char *out, size_t cap)
{
    size_t used = 0;
    if (cap == 0)
        return false;
    out[0] = '\0';
    long off = offset_at(from_s);
    if (!append_entry(out, cap, &used, from_s, off))
        return false;
    for (int64_t s = from_s; s < to_s; s += 86400) {
        int64_t next = s + 86400 < to_s ? s + 86400 : to_s;
        if (offset_at(next) == off)
            continue;
        int64_t at = transition(s, next);
        off = offset_at(at);
        if (!append_entry(out, cap, &used, at, off))
            return false;
    }
    return true;
}

const char *dm_report_zone_arg(int64_t now_ms)
{
    static char spec[2048];
    static int64_t built_ms = -1;
    if (built_ms >= 0 && now_ms >= built_ms && now_ms - built_ms < ZONE_CACHE_MS)
        return spec;
    int64_t now_s = now_ms / 1000;
    if (!dm_report_zone_build(now_s - (int64_t)ZONE_YEARS * 366 * 86400, now_s + 2 * 86400, spec, sizeof spec))
        snprintf(spec, sizeof spec, "0:%ld", offset_at(now_s));
    built_ms = now_ms;
    return spec;
}

void dm_report_zone_day(const char *spec, int64_t utc_ms, dm_day *day, int *hour)
{
    int64_t off = 0;
    bool first = true;
    for (const char *p = spec; p && *p;) {
        char *end;
        long long since = strtoll(p, &end, 10);
        if (*end != ':')
            break;
        long long o = strtoll(end + 1, &end, 10);
        if (first || utc_ms >= since * 1000)
            off = o * 1000;
        else
            break;
        first = false;
        p = *end == ',' ? end + 1 : end;
    }
    int64_t loc = utc_ms + off;
    *day = (dm_day)floor_div(loc, 86400000);
    *hour = (int)floor_mod(floor_div(loc, 3600000), 24);
}
