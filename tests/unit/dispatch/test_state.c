/* The request state machine and the words of the domain. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "dragoman/dispatch.h"

static void test_happy_path(void **state)
{
    (void)state;
    assert_int_equal(dm_req_transition(DM_REQ_SEARCHING, DM_REV_ACCEPT), DM_REQ_ASSIGNED);
    assert_int_equal(dm_req_transition(DM_REQ_ASSIGNED, DM_REV_START), DM_REQ_IN_SESSION);
    assert_int_equal(dm_req_transition(DM_REQ_IN_SESSION, DM_REV_END), DM_REQ_ENDED);
}

static void test_cancel_release_unfill(void **state)
{
    (void)state;
    assert_int_equal(dm_req_transition(DM_REQ_SEARCHING, DM_REV_CANCEL), DM_REQ_CANCELLED);
    assert_int_equal(dm_req_transition(DM_REQ_ASSIGNED, DM_REV_CANCEL), DM_REQ_CANCELLED);
    assert_int_equal(dm_req_transition(DM_REQ_IN_SESSION, DM_REV_CANCEL), -1);
    assert_int_equal(dm_req_transition(DM_REQ_ASSIGNED, DM_REV_RELEASE), DM_REQ_SEARCHING);
    assert_int_equal(dm_req_transition(DM_REQ_IN_SESSION, DM_REV_RELEASE), -1);
    assert_int_equal(dm_req_transition(DM_REQ_SEARCHING, DM_REV_UNFILL), DM_REQ_UNFILLED);
    assert_int_equal(dm_req_transition(DM_REQ_ASSIGNED, DM_REV_UNFILL), -1);
}

static void test_final_states_are_final(void **state)
{
    (void)state;
    dm_req_state finals[] = {DM_REQ_ENDED, DM_REQ_CANCELLED, DM_REQ_UNFILLED};
    for (size_t i = 0; i < 3; i++) {
        assert_true(dm_req_state_final(finals[i]));
        for (int ev = 0; ev < DM_REV__COUNT; ev++)
            assert_int_equal(dm_req_transition(finals[i], (dm_req_event)ev), -1);
    }
    assert_false(dm_req_state_final(DM_REQ_SEARCHING));
    assert_int_equal(dm_req_transition((dm_req_state)99, DM_REV_END), -1);
}

static void test_states_from(void **state)
{
    (void)state;
    char buf[64];
    dm_req_states_from(DM_REV_CANCEL, buf, sizeof buf);
    assert_string_equal(buf, "searching,assigned");
    dm_req_states_from(DM_REV_END, buf, sizeof buf);
    assert_string_equal(buf, "in_session");
    /* A buffer too small for the list is cut at a whole name, never mid-word. */
    dm_req_states_from(DM_REV_CANCEL, buf, 12);
    assert_string_equal(buf, "searching");
}

static void test_words_round_trip(void **state)
{
    (void)state;
    for (int s = 0; s < DM_REQ__COUNT; s++)
        assert_int_equal(dm_req_state_parse(dm_req_state_name((dm_req_state)s)), s);
    for (int m = 0; m < DM_MODALITY__COUNT; m++)
        assert_int_equal(dm_modality_parse(dm_modality_name((dm_modality)m)), m);
    assert_int_equal(dm_level_parse("certified"), DM_LEVEL_CERTIFIED);
    assert_int_equal(dm_level_parse("expert"), -1);
    assert_int_equal(dm_gender_parse(""), -1);
    assert_int_equal(dm_gender_parse(NULL), -1);
    assert_string_equal(dm_gender_name(DM_GENDER_ANY), "");
    assert_string_equal(dm_offer_state_name(DM_OFFER_WITHDRAWN), "withdrawn");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_happy_path),
        cmocka_unit_test(test_cancel_release_unfill),
        cmocka_unit_test(test_final_states_are_final),
        cmocka_unit_test(test_states_from),
        cmocka_unit_test(test_words_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
