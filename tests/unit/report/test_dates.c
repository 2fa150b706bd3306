/* Days, ISO weeks and the deployment's zone: the day keys the Lua scripts
 * compute from the zone argument must be the local days libc gives, across
 * DST changes, month and year ends. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dragoman/report.h"

static void use_zone(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

static void civil_round_trip(void **state)
{
    (void)state;
    assert_int_equal(dm_day_from_civil(1970, 1, 1), 0);
    assert_int_equal(dm_day_from_civil(2000, 3, 1), 11017);
    for (dm_day d = -1000; d < 40000; d += 7) {
        int y, m, dd;
        dm_day_to_civil(d, &y, &m, &dd);
        assert_int_equal(dm_day_from_civil(y, m, dd), d);
    }
    char s[11], k[9];
    dm_day_format(dm_day_from_civil(2024, 2, 29), s);
    assert_string_equal(s, "2024-02-29");
    dm_day_key(dm_day_from_civil(2026, 1, 5), k);
    assert_string_equal(k, "20260105");
    dm_day back;
    assert_true(dm_day_from_key("20260105", &back));
    assert_int_equal(back, dm_day_from_civil(2026, 1, 5));
}

static void parse_dates(void **state)
{
    (void)state;
    dm_day d;
    assert_true(dm_day_parse("2024-02-29", &d));
    assert_false(dm_day_parse("2026-02-29", &d));
    assert_false(dm_day_parse("2026-13-01", &d));
    assert_false(dm_day_parse("2026-1-01", &d));
    assert_false(dm_day_parse("2026-01-01x", &d));
    assert_false(dm_day_parse("", &d));
    assert_false(dm_day_from_key("2026010", &d));
}

static void check_week(int y, int m, int d, const char *want)
{
    char w[9];
    dm_day_week(dm_day_from_civil(y, m, d), w);
    assert_string_equal(w, want);
}

static void iso_weeks(void **state)
{
    (void)state;
    check_week(2025, 12, 29, "2026-W01"); /* Monday of the week of 1 January 2026, a Thursday */
    check_week(2025, 12, 31, "2026-W01");
    check_week(2026, 1, 4, "2026-W01");
    check_week(2026, 1, 5, "2026-W02");
    check_week(2021, 1, 3, "2020-W53"); /* a Sunday still in 2020's last week */
    check_week(2020, 12, 31, "2020-W53");
    check_week(2026, 3, 29, "2026-W13");
    check_week(1970, 1, 1, "1970-W01");
    char mo[8];
    dm_day_month(dm_day_from_civil(2026, 12, 31), mo);
    assert_string_equal(mo, "2026-12");
}

/* The local day and hour of t by libc. */
static void libc_day(int64_t ms, dm_day *day, int *hour)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    *day = dm_day_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    *hour = tm.tm_hour;
}

/* Every 10 minutes for over a year: the zone argument agrees with libc. */
static void zone_agrees_with_libc(const char *tz)
{
    use_zone(tz);
    int64_t from = (int64_t)dm_day_from_civil(2025, 12, 1) * 86400;
    char spec[2048];
    assert_true(dm_report_zone_build(from - 86400 * 400, from + 86400 * 420, spec, sizeof spec));
    for (int64_t s = from; s < from + 86400 * 400; s += 600) {
        dm_day a, b;
        int ha, hb;
        dm_report_zone_day(spec, s * 1000, &a, &ha);
        libc_day(s * 1000, &b, &hb);
        if (a != b || ha != hb)
            fail_msg("%s at %lld: zone argument says day %d hour %d, libc day %d hour %d", tz, (long long)s, a, ha,
                     b, hb);
    }
}

static void zones(void **state)
{
    (void)state;
    zone_agrees_with_libc("Europe/Helsinki");
    zone_agrees_with_libc("America/New_York");
    zone_agrees_with_libc("Asia/Kolkata");    /* +05:30 */
    zone_agrees_with_libc("Australia/Adelaide"); /* +09:30/+10:30, DST in the southern summer */
    zone_agrees_with_libc("UTC");
}

static int64_t utc_ms(int y, int m, int d, int h, int mi)
{
    return ((int64_t)dm_day_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60) * 1000;
}

static void helsinki_edges(void **state)
{
    (void)state;
    use_zone("Europe/Helsinki");
    const char *spec = dm_report_zone_arg(utc_ms(2026, 11, 23, 12, 0));
    dm_day day;
    int hour;
    /* 31 Dec 2025 23:30 local (EET, +2) is 21:30 UTC */
    dm_report_zone_day(spec, utc_ms(2025, 12, 31, 21, 30), &day, &hour);
    assert_int_equal(day, dm_day_from_civil(2025, 12, 31));
    assert_int_equal(hour, 23);
    dm_report_zone_day(spec, utc_ms(2025, 12, 31, 22, 0), &day, &hour);
    assert_int_equal(day, dm_day_from_civil(2026, 1, 1));
    assert_int_equal(hour, 0);
    /* 29 Mar 2026: 00:59 UTC is 02:59 EET; 01:00 UTC is 04:00 EEST */
    dm_report_zone_day(spec, utc_ms(2026, 3, 29, 0, 59), &day, &hour);
    assert_int_equal(hour, 2);
    dm_report_zone_day(spec, utc_ms(2026, 3, 29, 1, 0), &day, &hour);
    assert_int_equal(hour, 4);
    /* 31 Aug 2026 21:00 UTC is 1 Sep 00:00 EEST */
    dm_report_zone_day(spec, utc_ms(2026, 8, 31, 21, 0), &day, &hour);
    assert_int_equal(day, dm_day_from_civil(2026, 9, 1));
    assert_int_equal(dm_day_start_ms(dm_day_from_civil(2026, 9, 1)), utc_ms(2026, 8, 31, 21, 0));
    char iso[32];
    dm_report_iso_time(utc_ms(2026, 3, 29, 1, 30), iso);
    assert_string_equal(iso, "2026-03-29T04:30:00+03:00");
    dm_report_iso_time(utc_ms(2025, 12, 31, 21, 30) + 999, iso);
    assert_string_equal(iso, "2025-12-31T23:30:00+02:00");
    use_zone("America/St_Johns");
    dm_report_iso_time(utc_ms(2026, 1, 1, 12, 0), iso);
    assert_string_equal(iso, "2026-01-01T08:30:00-03:30");
}

/* The times of a year of exports come from a cache of hourly offsets: they
 * must be exactly what localtime_r says, in zones with half-hour offsets and
 * half-hour DST shifts, on the hours of a change, before 1970 (offsets in
 * seconds), and when TZ changes between calls. */
static void reference_iso(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    long off = tm.tm_gmtoff / 60;
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
}

static void iso_times_match_libc(void **state)
{
    (void)state;
    static const char *const zones[] = {"Europe/Helsinki", "Australia/Lord_Howe", "Asia/Kathmandu",
                                        "America/St_Johns", "UTC", "Europe/Helsinki", "Pacific/Chatham"};
    char got[32], want[32];
    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
        use_zone(zones[z]);
        /* Every 7,919 s (not a divisor of an hour) over three years, and around every change of 2026. */
        for (int64_t ms = utc_ms(2025, 1, 1, 0, 0); ms < utc_ms(2028, 1, 1, 0, 0); ms += 7919000 + 1) {
            dm_report_iso_time(ms, got);
            reference_iso(ms, want);
            assert_string_equal(got, want);
        }
        for (int64_t ms = utc_ms(2026, 1, 1, 0, 0); ms < utc_ms(2027, 1, 1, 0, 0); ms += 3600000) {
            for (int64_t d = -1000; d <= 1000; d += 1000) {
                dm_report_iso_time(ms + d, got);
                reference_iso(ms + d, want);
                assert_string_equal(got, want);
            }
        }
        for (int64_t ms = -2500000000000; ms < 0; ms += 86400000LL * 97 + 12345) {
            dm_report_iso_time(ms, got);
            reference_iso(ms, want);
            assert_string_equal(got, want);
        }
    }
}

static void no_zone_is_utc(void **state)
{
    (void)state;
    dm_day day;
    int hour;
    dm_report_zone_day("", utc_ms(2026, 2, 28, 23, 59), &day, &hour);
    assert_int_equal(day, dm_day_from_civil(2026, 2, 28));
    assert_int_equal(hour, 23);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(civil_round_trip), cmocka_unit_test(parse_dates), cmocka_unit_test(iso_weeks),
        cmocka_unit_test(zones),            cmocka_unit_test(helsinki_edges), cmocka_unit_test(no_zone_is_utc),
        cmocka_unit_test(iso_times_match_libc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
