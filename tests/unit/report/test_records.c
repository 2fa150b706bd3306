/* Reports of single requests read from the day strings the Lua scripts keep
 * (rep_row and rep_fb in src/store/lua/_report.lua): the index check first,
 * then the rows split, unescaped, filtered and ordered by time, and the
 * feedback figures summed and grouped. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

#include "dragoman/clock.h"
#include "dragoman/report.h"

static redisReply *str(const char *s)
{
    redisReply *r = calloc(1, sizeof *r);
    r->type = REDIS_REPLY_STRING;
    r->str = strdup(s);
    r->len = strlen(s);
    return r;
}

static redisReply *num(long long v)
{
    redisReply *r = calloc(1, sizeof *r);
    r->type = REDIS_REPLY_INTEGER;
    r->integer = v;
    return r;
}

static redisReply *arr(size_t n, ...)
{
    redisReply *r = calloc(1, sizeof *r);
    r->type = REDIS_REPLY_ARRAY;
    r->elements = n;
    r->element = calloc(n ? n : 1, sizeof *r->element);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        r->element[i] = va_arg(ap, redisReply *);
    va_end(ap);
    return r;
}

static dm_report *start(dm_report_kind kind, const char *qs, dm_report_format fmt)
{
    setenv("TZ", "UTC", 1);
    dm_report_query q;
    char field[24], err[200];
    assert_true(dm_report_parse(kind, qs, &q, field, err, sizeof err));
    q.format = fmt;
    dm_report *r = dm_report_new(&q);
    assert_non_null(r);
    /* The indexes are completed first: more, then done. */
    const char *script;
    int argc;
    const char *const *argv;
    for (int done = 0; done <= 1; done++) {
        assert_true(dm_report_step(r, &script, &argc, &argv));
        assert_string_equal(script, "report_rebuild");
        assert_int_equal(argc, 2); /* how many keys, and the zone: today's strings stay grown */
        assert_string_equal(argv[1], dm_report_zone_arg(dm_now_ms()));
        redisReply *reply = arr(2, num(done), num(done ? 0 : 7));
        assert_true(dm_report_feed(r, reply));
        freeReplyObject(reply);
    }
    return r;
}

/* Feeds one step's reply (freed) after checking its script and first argument. */
static bool feed(dm_report *r, const char *want_script, const char *want_arg, redisReply *reply)
{
    const char *script;
    int argc;
    const char *const *argv;
    assert_true(dm_report_step(r, &script, &argc, &argv));
    assert_string_equal(script, want_script);
    if (want_arg)
        assert_string_equal(argv[0], want_arg);
    bool ok = dm_report_feed(r, reply);
    freeReplyObject(reply);
    return ok;
}

static char *finish(dm_report *r)
{
    const char *script;
    int argc;
    const char *const *argv;
    assert_false(dm_report_step(r, &script, &argc, &argv));
    size_t len;
    char *out = dm_report_render(r, "UTC", &len);
    assert_non_null(out);
    assert_int_equal(strlen(out), len);
    dm_report_free(r);
    return out;
}

/* Two sessions of 30 January 2026 as rep_row writes them, the later first;
 * a name with every escaped byte; another language filtered out. */
static const char *const SESSIONS_DAY =
    "\nr2,1769767200000,ar,c-n,i-a,North%2C \"N\",Amal%0Aline 100%25,1769763300,1769763310,1769763320,"
    "1769769900,2700,video,now,,1,1769763600,1769765400,5,2,0"
    "\nr1,1769763600000,ar,c-n,i-b,North,Bashir,1769763300,,,1769765400,1800,phone,later,mental_health,,,,,1,1"
    "\nr3,1769763600000,fa,c-n,i-f,North,Farhad,1769763300,,,1769765400,1800,phone,now,,,,,,1,0";

static void sessions_export(void **state)
{
    (void)state;
    dm_report *r = start(DM_REPORT_SESSIONS, "from=2026-01-30&to=2026-01-30&language=ar", DM_REPORT_CSV);
    assert_true(feed(r, "report_rows", "xs", arr(1, str(SESSIONS_DAY))));
    char *csv = finish(r);
    assert_string_equal(
        csv, "request,created_at,first_offer_at,accepted_at,started_at,ended_at,seconds,language,modality,urgency,"
             "specialty,institution,institution_name,interpreter,interpreter_name,corrected,orig_started_at,"
             "orig_ended_at,rating,asked,escalated\r\n"
             "r1,2026-01-30T08:55:00+00:00,,,2026-01-30T09:00:00+00:00,2026-01-30T09:30:00+00:00,1800,ar,phone,"
             "later,mental_health,c-n,North,i-b,Bashir,0,,,,1,1\r\n"
             "r2,2026-01-30T08:55:00+00:00,2026-01-30T08:55:10+00:00,2026-01-30T08:55:20+00:00,"
             "2026-01-30T10:00:00+00:00,2026-01-30T10:45:00+00:00,2700,ar,video,now,,c-n,\"North, \"\"N\"\"\",i-a,"
             "\"Amal\nline 100%\",1,2026-01-30T09:00:00+00:00,2026-01-30T09:30:00+00:00,5,2,0\r\n"
             "TOTAL,,,,,,4500,,,,,,,,,,,,,,\r\n");
    free(csv);

    r = start(DM_REPORT_SESSIONS, "from=2026-01-30&to=2026-01-30&interpreter=i-a", DM_REPORT_JSON);
    assert_true(feed(r, "report_rows", "xs", arr(1, str(SESSIONS_DAY))));
    char *json = finish(r);
    assert_non_null(strstr(json, "\"institution_name\":\"North, \\\"N\\\"\",\"interpreter\":\"i-a\","
                                 "\"interpreter_name\":\"Amal\\u000aline 100%\""));
    assert_non_null(strstr(json, "\"total\":{\"request\":null,"));
    assert_non_null(strstr(json, "\"seconds\":2700,"));
    assert_null(strstr(json, "\"r1\""));
    free(json);
}

static void requests_export(void **state)
{
    (void)state;
    dm_report *r = start(DM_REPORT_REQUESTS, "from=2026-01-30&to=2026-01-31", DM_REPORT_CSV);
    /* A month's worth of days goes in one call: both days here, ordered together. */
    assert_true(feed(r, "report_rows", "xr",
                     arr(2,
                         str("\nq2,1769763600001,uk,c-n,,North,,unfilled,video,now,,1769763310,,,,1769764500,,,"
                             "nobody_online,1,3"),
                         str("\nq1,1769763600000,uk,c-n,,North,,cancelled,video,now,,,,,,1769764000,clinic,"
                             "searching,,0,0"))));
    char *csv = finish(r);
    assert_string_equal(
        csv, "request,created_at,state,language,modality,urgency,specialty,institution,institution_name,interpreter,"
             "interpreter_name,first_offer_at,accepted_at,started_at,ended_at,closed_at,cancelled_by,cancel_stage,"
             "unfilled_reason,escalated,asked\r\n"
             "q1,2026-01-30T09:00:00+00:00,cancelled,uk,video,now,,c-n,North,,,,,,,2026-01-30T09:06:40+00:00,"
             "clinic,searching,,0,0\r\n"
             "q2,2026-01-30T09:00:00+00:00,unfilled,uk,video,now,,c-n,North,,,2026-01-30T08:55:10+00:00,,,,"
             "2026-01-30T09:15:00+00:00,,,nobody_online,1,3\r\n");
    free(csv);
}

static void refuses_malformed_rows(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "r1,1769763600000",                  /* no leading new line */
        "\nr1,1769763600000,ar",             /* too few values */
        "\nr1,1,ar,c,i,n,n,1,,,1,1,p,n,,,,,,1,1,extra", /* too many */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        dm_report *r = start(DM_REPORT_SESSIONS, "from=2026-01-30&to=2026-01-30", DM_REPORT_CSV);
        assert_false(feed(r, "report_rows", "xs", arr(1, str(bad[i]))));
        dm_report_free(r);
    }
    dm_report *r = start(DM_REPORT_SESSIONS, "from=2026-01-30&to=2026-01-30", DM_REPORT_CSV);
    assert_false(feed(r, "report_rows", "xs", arr(1, num(3))));
    dm_report_free(r);
    r = start(DM_REPORT_FEEDBACK, "from=2026-01-30&to=2026-01-30", DM_REPORT_JSON);
    assert_false(feed(r, "report_feedback", "20260130", arr(2, arr(1, str("\nar c-n i-a 1 1")), arr(1, str("")))));
    dm_report_free(r);
}

/* Figures "LANGUAGE CLINIC INTERPRETER n r sum s1..s5 cm nt" of two days. */
static redisReply *feedback_days(void)
{
    return arr(2,
               arr(2, str("\nar c-n i-a 2 2 9 0 0 0 1 1 1 0\nfa c-e i-f 1 0 0 0 0 0 0 0 0 1"),
                   str("\nar c-e i-a 1 1 3 0 0 1 0 0 0 0")),
               arr(2,
                   str("\nr9,1769767200000,ar,c-n,i-a,North,Amal,5,Good%2C thanks,"
                       "\nr8,1769763600000,fa,c-e,i-f,East,Farhad,,,%3D1+1"),
                   str("")));
}

static void feedback_report(void **state)
{
    (void)state;
    dm_report *r = start(DM_REPORT_FEEDBACK, "from=2026-01-30&to=2026-01-31", DM_REPORT_CSV);
    assert_true(feed(r, "report_feedback", "20260130", feedback_days()));
    redisReply *names =
        arr(2, arr(3, str("i:i-a"), str("Amal"), str("1")), arr(3, str("i:i-f"), str("Farhad"), str("1")));
    assert_true(feed(r, "report_names", NULL, names));
    char *csv = finish(r);
    assert_string_equal(csv, "interpreter,interpreter_name,sessions,rated,mean_rating,rating_1,rating_2,rating_3,"
                             "rating_4,rating_5,comments,notes\r\n"
                             "i-a,Amal,3,3,4.00,0,0,1,1,1,1,0\r\n"
                             "i-f,Farhad,1,0,,0,0,0,0,0,0,1\r\n"
                             "TOTAL,,4,3,4.00,0,0,1,1,1,1,1\r\n");
    free(csv);

    /* Filtered: only the combinations and comments of that institution. */
    r = start(DM_REPORT_FEEDBACK, "from=2026-01-30&to=2026-01-31&by=language&institution=c-e&table=comments",
              DM_REPORT_CSV);
    assert_true(feed(r, "report_feedback", "20260130", feedback_days()));
    csv = finish(r);
    assert_string_equal(csv, "request,started_at,language,institution,institution_name,interpreter,interpreter_name,"
                             "rating,clinic_comment,interpreter_note\r\n"
                             "r8,2026-01-30T09:00:00+00:00,fa,c-e,East,i-f,Farhad,,,'=1+1\r\n");
    free(csv);
    r = start(DM_REPORT_FEEDBACK, "from=2026-01-30&to=2026-01-31&by=language&institution=c-e", DM_REPORT_CSV);
    assert_true(feed(r, "report_feedback", "20260130", feedback_days()));
    csv = finish(r);
    assert_string_equal(csv, "language,sessions,rated,mean_rating,rating_1,rating_2,rating_3,rating_4,rating_5,"
                             "comments,notes\r\n"
                             "ar,1,1,3.00,0,0,1,0,0,0,0\r\n"
                             "fa,1,0,,0,0,0,0,0,0,1\r\n"
                             "TOTAL,2,1,3.00,0,0,1,0,0,0,1\r\n");
    free(csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sessions_export),
        cmocka_unit_test(requests_export),
        cmocka_unit_test(refuses_malformed_rows),
        cmocka_unit_test(feedback_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
