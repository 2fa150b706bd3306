/* Report parameters and the shapes of the output. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

#include "dragoman/report.h"

static char field[24], err[200];

static bool parse(dm_report_kind kind, const char *qs, dm_report_query *q)
{
    return dm_report_parse(kind, qs, q, field, err, sizeof err);
}

static void accepts(void **state)
{
    (void)state;
    dm_report_query q;
    assert_true(parse(DM_REPORT_HOURS, "from=2026-01-01&to=2026-12-31&by=language&per=month&format=csv", &q));
    assert_int_equal(q.by, DM_DIM_LANGUAGE);
    assert_int_equal(q.per, DM_DIM_MONTH);
    assert_int_equal(q.format, DM_REPORT_CSV);
    assert_int_equal(q.to - q.from, 364);
    assert_true(parse(DM_REPORT_HOURS, "from=2026-01-01&to=2026-01-01&", &q)); /* a trailing & is harmless */
    assert_int_equal(q.by, DM_DIM_LANGUAGE);                                    /* the default */
    assert_true(parse(DM_REPORT_FEEDBACK, "to=2026-01-31&from=2026-01-01&institution=c%2Dnorth&table=comments", &q));
    assert_string_equal(q.institution, "c-north");
    assert_string_equal(q.table, "comments");
    assert_int_equal(q.by, DM_DIM_INTERPRETER);
    assert_true(parse(DM_REPORT_SPEED, "from=2026-01-01&to=2026-01-31&by=institution", &q));
}

static void refuses(dm_report_kind kind, const char *qs, const char *want_field)
{
    dm_report_query q;
    assert_false(parse(kind, qs, &q));
    assert_string_equal(field, want_field);
    assert_non_null(strstr(err, want_field));
}

static void refusals(void **state)
{
    (void)state;
    refuses(DM_REPORT_HOURS, "to=2026-01-31", "from");
    refuses(DM_REPORT_HOURS, "from=2026-01-01", "to");
    refuses(DM_REPORT_HOURS, "from=2026-02-01&to=2026-01-31", "to");
    refuses(DM_REPORT_HOURS, "from=2023-01-01&to=2026-01-31", "to"); /* over 1100 days */
    refuses(DM_REPORT_HOURS, "from=2026-01-01&to=2026-01-31&by=colour", "by");
    refuses(DM_REPORT_HOURS, "from=2026-01-01&to=2026-01-31&by=month&per=week", "per");
    refuses(DM_REPORT_HOURS, "from=2026-01-01&to=2026-01-31&from=2026-01-02", "from");
    refuses(DM_REPORT_HOURS, "from=2026-01-01&to=2026-01-31&colour=red", "colour");
    refuses(DM_REPORT_HOURS, "from=2026-01-01&to=2026-01-31&language=ar", "language");
    refuses(DM_REPORT_SPEED, "from=2026-01-01&to=2026-01-31&by=modality", "by");
    refuses(DM_REPORT_SESSIONS, "from=2026-01-01&to=2026-01-31&language=Arabic", "language");
    refuses(DM_REPORT_SESSIONS, "from=2026-01-01&to=2026-01-31&interpreter=..%2F", "interpreter");
    refuses(DM_REPORT_SESSIONS, "from=2026-01-01&to=2026-01-31&table=hours", "table");
    refuses(DM_REPORT_SESSIONS, "from=2026-01-01&to=2026-01-31&format=xml", "format");
    /* the terminal's format is dragomanctl's alone */
    refuses(DM_REPORT_SESSIONS, "from=2026-01-01&to=2026-01-31&format=text", "format");
    refuses(DM_REPORT_SESSIONS, "from=2026-01-01&to=2026-01-31&bad%zz=1", "query");
    refuses(DM_REPORT_SESSIONS, "from=2026-01-01&to=2026-01-31&novalue", "query");
    dm_report_kind k;
    assert_true(dm_report_kind_parse("fairness", &k));
    assert_int_equal(k, DM_REPORT_FAIRNESS);
    assert_false(dm_report_kind_parse("Hours", &k));
}

/* A hiredis reply tree built by hand, as a script would answer. */
static redisReply *str(const char *s)
{
    redisReply *r = calloc(1, sizeof *r);
    r->type = REDIS_REPLY_STRING;
    r->str = strdup(s);
    r->len = strlen(s);
    return r;
}

static redisReply *bin(const char *data, size_t len)
{
    redisReply *r = calloc(1, sizeof *r);
    r->type = REDIS_REPLY_STRING;
    r->str = malloc(len + 1);
    memcpy(r->str, data, len + 1);
    r->len = len;
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

static char *run_hours(const char *qs, const char *only, dm_report_format fmt, redisReply *buckets, redisReply *names)
{
    dm_report_query q;
    assert_true(parse(DM_REPORT_HOURS, qs, &q));
    q.format = fmt;
    strcpy(q.only_interpreter, only);
    dm_report *r = dm_report_new(&q);
    const char *script;
    int argc;
    const char *const *argv;
    assert_true(dm_report_step(r, &script, &argc, &argv));
    assert_string_equal(script, "report_buckets");
    assert_string_equal(argv[0], "h");
    assert_string_equal(argv[1], "interpreter");
    assert_string_equal(argv[2], "20260130");
    assert_int_equal(argc, 5);
    assert_true(dm_report_feed(r, buckets));
    if (names) {
        assert_true(dm_report_step(r, &script, &argc, &argv));
        assert_string_equal(script, "report_names");
        assert_true(dm_report_feed(r, names));
    }
    assert_false(dm_report_step(r, &script, &argc, &argv));
    size_t len;
    char *out = dm_report_render(r, "UTC", &len);
    assert_non_null(out);
    assert_int_equal(strlen(out), len);
    dm_report_free(r);
    freeReplyObject(buckets);
    freeReplyObject(names);
    return out;
}

static redisReply *two_days(void)
{
    return arr(6, str("20260130"), str("interpreter"),
               arr(8, str("i-a:n"), str("2"), str("i-a:s"), str("5400"), str("i-b:n"), str("1"), str("i-b:s"),
                   str("60")),
               str("20260201"), str("interpreter"), arr(4, str("i-a:n"), str("1"), str("i-a:s"), str("1800")));
}

static redisReply *names(void)
{
    return arr(2, arr(3, str("i:i-a"), str("Amal, \"A\""), str("1")), arr(3, str("i:i-b"), str("Bashir"), str("1")));
}

static void hours_shapes(void **state)
{
    (void)state;
    const char *qs = "from=2026-01-30&to=2026-02-01&by=interpreter&per=month";
    char *json = run_hours(qs, "", DM_REPORT_JSON, two_days(), names());
    assert_string_equal(json,
                        "{\"report\":\"hours\",\"from\":\"2026-01-30\",\"to\":\"2026-02-01\",\"by\":\"interpreter\","
                        "\"per\":\"month\",\"language\":\"\",\"institution\":\"\",\"interpreter\":\"\","
                        "\"timezone\":\"UTC\",\"tables\":{\"hours\":{\"columns\":[\"month\",\"interpreter\","
                        "\"interpreter_name\",\"sessions\",\"seconds\",\"hours\",\"corrected\"],\"rows\":["
                        "{\"month\":\"2026-01\",\"interpreter\":\"i-a\",\"interpreter_name\":\"Amal, \\\"A\\\"\","
                        "\"sessions\":2,\"seconds\":5400,\"hours\":1.50,\"corrected\":0},"
                        "{\"month\":\"2026-01\",\"interpreter\":\"i-b\",\"interpreter_name\":\"Bashir\","
                        "\"sessions\":1,\"seconds\":60,\"hours\":0.02,\"corrected\":0},"
                        "{\"month\":\"2026-02\",\"interpreter\":\"i-a\",\"interpreter_name\":\"Amal, \\\"A\\\"\","
                        "\"sessions\":1,\"seconds\":1800,\"hours\":0.50,\"corrected\":0}],"
                        "\"total\":{\"month\":null,\"interpreter\":null,\"interpreter_name\":null,\"sessions\":4,"
                        "\"seconds\":7260,\"hours\":2.02,\"corrected\":0}}}}");
    free(json);
    char *csv = run_hours(qs, "", DM_REPORT_CSV, two_days(), names());
    assert_string_equal(csv, "month,interpreter,interpreter_name,sessions,seconds,hours,corrected\r\n"
                             "2026-01,i-a,\"Amal, \"\"A\"\"\",2,5400,1.50,0\r\n"
                             "2026-01,i-b,Bashir,1,60,0.02,0\r\n"
                             "2026-02,i-a,\"Amal, \"\"A\"\"\",1,1800,0.50,0\r\n"
                             "TOTAL,,,4,7260,2.02,0\r\n");
    free(csv);
}

static void interpreter_sees_own_row(void **state)
{
    (void)state;
    char *csv = run_hours("from=2026-01-30&to=2026-02-01&by=interpreter", "i-b", DM_REPORT_CSV, two_days(), names());
    assert_string_equal(csv, "interpreter,interpreter_name,sessions,seconds,hours,corrected\r\n"
                             "i-b,Bashir,1,60,0.02,0\r\n"
                             "TOTAL,,1,60,0.02,0\r\n");
    free(csv);
}

static void refuses_malformed_replies(void **state)
{
    (void)state;
    dm_report_query q;
    assert_true(parse(DM_REPORT_SPEED, "from=2026-01-30&to=2026-01-30", &q));
    dm_report *r = dm_report_new(&q);
    const char *script;
    int argc;
    const char *const *argv;
    assert_true(dm_report_step(r, &script, &argc, &argv));
    assert_string_equal(argv[0], "language");
    redisReply *bad = arr(1, arr(5, str("ar"), str("2"), str("abc"), str(""), str(""))); /* not whole 4-byte values */
    assert_false(dm_report_feed(r, bad));
    freeReplyObject(bad);
    /* binary: the NUL bytes are data */
    redisReply *ok = arr(1, arr(5, str("ar"), str("2"), bin("\x00\x00\x03\xe8", 4), str(""), str("")));
    assert_true(dm_report_feed(r, ok));
    freeReplyObject(ok);
    dm_report_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts),      cmocka_unit_test(refusals), cmocka_unit_test(hours_shapes),
        cmocka_unit_test(interpreter_sees_own_row), cmocka_unit_test(refuses_malformed_replies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
