/* The report room's figures: nearest-rank percentiles, shares, the Gini
 * coefficient and CSV quoting. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "dragoman/report.h"

static void percentile_nearest_rank(void **state)
{
    (void)state;
    uint32_t v[] = {40, 10, 30, 20};
    dm_report_sort_u32(v, 4);
    assert_int_equal(v[0], 10);
    assert_int_equal(v[3], 40);
    assert_int_equal(dm_report_percentile(v, 4, 50), 20); /* the lower middle of an even count */
    assert_int_equal(dm_report_percentile(v, 4, 75), 30);
    assert_int_equal(dm_report_percentile(v, 4, 90), 40);
    assert_int_equal(dm_report_percentile(v, 4, 100), 40);
    assert_int_equal(dm_report_percentile(v, 4, 1), 10);
    uint32_t one[] = {7};
    assert_int_equal(dm_report_percentile(one, 1, 50), 7);
    assert_int_equal(dm_report_percentile(one, 1, 95), 7);
}

static void percentile_of_hundred(void **state)
{
    (void)state;
    uint32_t v[100];
    for (uint32_t i = 0; i < 100; i++)
        v[i] = 100 - i; /* 100..1, unsorted */
    dm_report_sort_u32(v, 100);
    assert_int_equal(dm_report_percentile(v, 100, 50), 50);
    assert_int_equal(dm_report_percentile(v, 100, 90), 90);
    assert_int_equal(dm_report_percentile(v, 100, 95), 95);
    assert_int_equal(dm_report_rank(10, 50), 4);
    assert_int_equal(dm_report_rank(11, 50), 5);
    assert_int_equal(dm_report_rank(20, 95), 18);
}

static void shares_count_inclusive_limits(void **state)
{
    (void)state;
    uint32_t v[] = {0, 60000, 120000, 120001, 300000, 900000, 900001};
    assert_int_equal(dm_report_count_le(v, 7, 120000), 3); /* exactly 2 minutes counts as within */
    assert_int_equal(dm_report_count_le(v, 7, 300000), 5);
    assert_int_equal(dm_report_count_le(v, 7, 900000), 6);
    assert_int_equal(dm_report_count_le(v, 0, 900000), 0);
    assert_int_equal(dm_report_count_le(v, 7, 4294967295u), 7);
}

static void gini_coefficient(void **state)
{
    (void)state;
    int64_t equal[] = {3600, 3600, 3600, 3600};
    assert_true(dm_report_gini(equal, 4) > -1e-12 && dm_report_gini(equal, 4) < 1e-12);
    int64_t one_has_all[] = {0, 0, 0, 7200};
    assert_float_equal(dm_report_gini(one_has_all, 4), 0.75, 1e-12); /* (n-1)/n */
    int64_t v[] = {5, 1, 3, 2, 4}; /* sum|xi-xj| over pairs = 2*20, mean 3: 40 / (2*25*3) */
    assert_float_equal(dm_report_gini(v, 5), 40.0 / 150.0, 1e-12);
    assert_int_equal(v[0], 1); /* sorted in place */
    int64_t zero[] = {0, 0};
    assert_true(dm_report_gini(zero, 2) < 0);
    assert_true(dm_report_gini(NULL, 0) < 0);
}

static void check_csv(const char *in, const char *want)
{
    char out[128];
    size_t n = dm_report_csv_field(in, out, sizeof out);
    assert_int_equal(n, strlen(want));
    assert_string_equal(out, want);
    assert_int_equal(dm_report_csv_field(in, out, n), n); /* too small: says what it needs */
}

static void csv_quoting(void **state)
{
    (void)state;
    check_csv("plain", "plain");
    check_csv("", "");
    check_csv("a,b", "\"a,b\"");
    check_csv("say \"hi\"", "\"say \"\"hi\"\"\"");
    check_csv("two\nlines", "\"two\nlines\"");
    check_csv("cr\r", "\"cr\r\"");
    check_csv("=1+1", "'=1+1");
    check_csv("+49 30", "'+49 30");
    check_csv("-2", "'-2");
    check_csv("@SUM(A1)", "'@SUM(A1)");
    check_csv("=a,b", "\"'=a,b\"");
    check_csv("Åbo, Ümlaut", "\"Åbo, Ümlaut\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(percentile_nearest_rank), cmocka_unit_test(percentile_of_hundred),
        cmocka_unit_test(shares_count_inclusive_limits), cmocka_unit_test(gini_coefficient),
        cmocka_unit_test(csv_quoting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
