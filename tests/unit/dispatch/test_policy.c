/* The matching policy: hard filters, ranking, fairness, relaxation, and the
 * reasons given when nobody fits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "dragoman/dispatch.h"

static dm_candidate cand(const char *id, const char *lang, dm_level level, dm_gender g, int64_t last)
{
    dm_candidate c;
    memset(&c, 0, sizeof c);
    snprintf(c.id, sizeof c.id, "%s", id);
    snprintf(c.langs[0], sizeof c.langs[0], "%s", lang);
    c.levels[0] = level;
    c.nlangs = 1;
    c.gender = g;
    c.modalities = (1u << DM_MODALITY_PHONE) | (1u << DM_MODALITY_VIDEO);
    c.active = true;
    c.available = true;
    c.last_assigned_ms = last;
    return c;
}

static dm_need need_for(const char *lang)
{
    dm_need n;
    memset(&n, 0, sizeof n);
    snprintf(n.language, sizeof n.language, "%s", lang);
    n.modality = DM_MODALITY_VIDEO;
    return n;
}

static void test_hard_filters(void **state)
{
    (void)state;
    dm_need n = need_for("ar");
    dm_candidate c = cand("a", "ar", DM_LEVEL_TRAINED, DM_GENDER_FEMALE, 0);
    assert_int_equal(dm_dispatch_eligible(&n, &c), DM_REJECT_NONE);

    dm_candidate other = cand("b", "fa", DM_LEVEL_CERTIFIED, DM_GENDER_FEMALE, 0);
    assert_int_equal(dm_dispatch_eligible(&n, &other), DM_REJECT_LANGUAGE);

    dm_candidate x = c;
    x.modalities = 1u << DM_MODALITY_PHONE;
    assert_int_equal(dm_dispatch_eligible(&n, &x), DM_REJECT_MODALITY);
    x = c;
    x.active = false;
    assert_int_equal(dm_dispatch_eligible(&n, &x), DM_REJECT_INACTIVE);
    x = c;
    x.available = false;
    assert_int_equal(dm_dispatch_eligible(&n, &x), DM_REJECT_UNAVAILABLE);
    x = c;
    x.busy = true;
    assert_int_equal(dm_dispatch_eligible(&n, &x), DM_REJECT_BUSY);
    x = c;
    x.has_offer = true;
    assert_int_equal(dm_dispatch_eligible(&n, &x), DM_REJECT_OFFERED);
    x = c;
    x.excluded = true;
    assert_int_equal(dm_dispatch_eligible(&n, &x), DM_REJECT_EXCLUDED);
}

static void test_required_gender_and_specialty(void **state)
{
    (void)state;
    dm_need n = need_for("ar");
    n.gender = DM_GENDER_FEMALE;
    n.gender_need = DM_NEED_REQUIRED;
    dm_candidate m = cand("m", "ar", DM_LEVEL_CERTIFIED, DM_GENDER_MALE, 0);
    dm_candidate f = cand("f", "ar", DM_LEVEL_VOLUNTEER, DM_GENDER_FEMALE, 0);
    assert_int_equal(dm_dispatch_eligible(&n, &m), DM_REJECT_GENDER);
    assert_int_equal(dm_dispatch_eligible(&n, &f), DM_REJECT_NONE);
    /* Relaxation never drops a required gender. */
    n.relaxed = true;
    assert_int_equal(dm_dispatch_eligible(&n, &m), DM_REJECT_GENDER);

    dm_need s = need_for("ar");
    snprintf(s.specialty, sizeof s.specialty, "mental_health");
    assert_int_equal(dm_dispatch_eligible(&s, &f), DM_REJECT_SPECIALTY);
    snprintf(f.specialties[0], sizeof f.specialties[0], "mental_health");
    f.nspecialties = 1;
    assert_int_equal(dm_dispatch_eligible(&s, &f), DM_REJECT_NONE);
}

static void test_fairness_least_recently_assigned_first(void **state)
{
    (void)state;
    dm_need n = need_for("ar");
    dm_candidate c[] = {
        cand("busy-lately", "ar", DM_LEVEL_TRAINED, DM_GENDER_MALE, 5000),
        cand("never", "ar", DM_LEVEL_TRAINED, DM_GENDER_MALE, 0),
        cand("long-ago", "ar", DM_LEVEL_TRAINED, DM_GENDER_MALE, 1000),
    };
    size_t order[3];
    assert_int_equal(dm_dispatch_rank(&n, c, 3, order), 3);
    assert_string_equal(c[order[0]].id, "never");
    assert_string_equal(c[order[1]].id, "long-ago");
    assert_string_equal(c[order[2]].id, "busy-lately");
}

static void test_level_then_preferred_gender(void **state)
{
    (void)state;
    dm_need n = need_for("ar");
    dm_candidate c[] = {
        cand("vol", "ar", DM_LEVEL_VOLUNTEER, DM_GENDER_FEMALE, 0),
        cand("cert", "ar", DM_LEVEL_CERTIFIED, DM_GENDER_MALE, 9000),
        cand("trained", "ar", DM_LEVEL_TRAINED, DM_GENDER_MALE, 0),
    };
    size_t order[3];
    dm_dispatch_rank(&n, c, 3, order);
    assert_string_equal(c[order[0]].id, "cert");
    assert_string_equal(c[order[1]].id, "trained");

    n.gender = DM_GENDER_FEMALE;
    n.gender_need = DM_NEED_PREFERRED;
    dm_dispatch_rank(&n, c, 3, order);
    assert_string_equal(c[order[0]].id, "vol");
    assert_string_equal(c[order[1]].id, "cert");
}

static void test_relaxed_ranks_by_fairness_only(void **state)
{
    (void)state;
    dm_need n = need_for("ar");
    n.gender = DM_GENDER_FEMALE;
    n.gender_need = DM_NEED_PREFERRED;
    n.relaxed = true;
    dm_candidate c[] = {
        cand("f-cert-recent", "ar", DM_LEVEL_CERTIFIED, DM_GENDER_FEMALE, 9000),
        cand("m-vol-never", "ar", DM_LEVEL_VOLUNTEER, DM_GENDER_MALE, 0),
    };
    size_t order[2];
    assert_int_equal(dm_dispatch_rank(&n, c, 2, order), 2);
    assert_string_equal(c[order[0]].id, "m-vol-never");
}

static void test_rank_skips_ineligible_and_ties_break_by_id(void **state)
{
    (void)state;
    dm_need n = need_for("fa");
    dm_candidate c[] = {
        cand("zed", "fa", DM_LEVEL_TRAINED, DM_GENDER_MALE, 0),
        cand("ar-only", "ar", DM_LEVEL_CERTIFIED, DM_GENDER_MALE, 0),
        cand("abe", "fa", DM_LEVEL_TRAINED, DM_GENDER_MALE, 0),
    };
    c[0].langs[1][0] = '\0';
    size_t order[3];
    assert_int_equal(dm_dispatch_rank(&n, c, 3, order), 2);
    assert_string_equal(c[order[0]].id, "abe");
    assert_string_equal(c[order[1]].id, "zed");
}

static void test_second_language_counts(void **state)
{
    (void)state;
    dm_candidate c = cand("k", "ar", DM_LEVEL_TRAINED, DM_GENDER_MALE, 0);
    snprintf(c.langs[1], sizeof c.langs[1], "fr");
    c.levels[1] = DM_LEVEL_CERTIFIED;
    c.nlangs = 2;
    assert_int_equal(dm_dispatch_level(&c, "fr"), DM_LEVEL_CERTIFIED);
    assert_int_equal(dm_dispatch_level(&c, "uk"), DM_LEVEL_NONE);
    dm_need n = need_for("fr");
    assert_int_equal(dm_dispatch_eligible(&n, &c), DM_REJECT_NONE);
}

static void test_miss_reasons(void **state)
{
    (void)state;
    dm_need n = need_for("ar");
    assert_int_equal(dm_dispatch_miss(&n, NULL, 0), DM_UNFILLED_NOBODY_ONLINE);

    dm_candidate c[2] = {cand("a", "ar", DM_LEVEL_TRAINED, DM_GENDER_MALE, 0),
                         cand("b", "ar", DM_LEVEL_TRAINED, DM_GENDER_MALE, 0)};
    c[0].excluded = c[1].excluded = true;
    assert_int_equal(dm_dispatch_miss(&n, c, 2), DM_UNFILLED_ALL_DECLINED);

    c[0].excluded = c[1].excluded = false;
    n.gender = DM_GENDER_FEMALE;
    n.gender_need = DM_NEED_REQUIRED;
    assert_int_equal(dm_dispatch_miss(&n, c, 2), DM_UNFILLED_GENDER);

    n = need_for("ar");
    c[0].modalities = c[1].modalities = 1u << DM_MODALITY_PHONE;
    assert_int_equal(dm_dispatch_miss(&n, c, 2), DM_UNFILLED_MODALITY);

    n = need_for("ar");
    c[0] = cand("a", "ar", DM_LEVEL_TRAINED, DM_GENDER_MALE, 0);
    c[1] = cand("b", "ar", DM_LEVEL_TRAINED, DM_GENDER_MALE, 0);
    snprintf(n.specialty, sizeof n.specialty, "paediatrics");
    assert_int_equal(dm_dispatch_miss(&n, c, 2), DM_UNFILLED_SPECIALTY);

    n = need_for("fa");
    assert_int_equal(dm_dispatch_miss(&n, c, 2), DM_UNFILLED_NOBODY_ONLINE);
    assert_string_equal(dm_unfilled_reason_name(DM_UNFILLED_GENDER), "gender_unavailable");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hard_filters),
        cmocka_unit_test(test_required_gender_and_specialty),
        cmocka_unit_test(test_fairness_least_recently_assigned_first),
        cmocka_unit_test(test_level_then_preferred_gender),
        cmocka_unit_test(test_relaxed_ranks_by_fairness_only),
        cmocka_unit_test(test_rank_skips_ineligible_and_ties_break_by_id),
        cmocka_unit_test(test_second_language_counts),
        cmocka_unit_test(test_miss_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
