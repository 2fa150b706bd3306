/* The dispatch simulator (bench/sim): its event queue, its summary figures,
 * and tiny scenarios whose answers can be worked out by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "sim/evq.h"
#include "sim/sim.h"

static void test_evq_orders_by_time_then_by_scheduling(void **state)
{
    (void)state;
    sim_evq q;
    sim_evq_init(&q);
    const int64_t times[] = {50, 10, 30, 10, 70, 30, 10, 0};
    for (int i = 0; i < 8; i++)
        assert_true(sim_evq_push(&q, times[i], 0, i, 0));
    assert_int_equal(sim_evq_peek_time(&q), 0);
    const int order[] = {7, 1, 3, 6, 2, 5, 0, 4};
    sim_event e;
    for (int i = 0; i < 8; i++) {
        assert_true(sim_evq_pop(&q, &e));
        assert_int_equal(e.obj, order[i]);
    }
    assert_false(sim_evq_pop(&q, &e));
    assert_true(sim_evq_peek_time(&q) == INT64_MAX);
    sim_evq_free(&q);
}

static void test_evq_many_in_order(void **state)
{
    (void)state;
    sim_evq q;
    sim_evq_init(&q);
    for (int i = 0; i < 5000; i++)
        assert_true(sim_evq_push(&q, (i * 7919) % 1000, 0, i, 0));
    sim_event prev = {.t = -1}, e;
    int n = 0;
    while (sim_evq_pop(&q, &e)) {
        assert_true(e.t > prev.t || (e.t == prev.t && e.seq > prev.seq));
        prev = e;
        n++;
    }
    assert_int_equal(n, 5000);
    sim_evq_free(&q);
}

static void test_gini_and_quantile(void **state)
{
    (void)state;
    double equal[] = {2, 2, 2, 2}, one[] = {0, 4, 0, 0};
    assert_true(sim_gini(equal, 4) < 1e-12);
    assert_true(sim_gini(one, 4) > 0.7499 && sim_gini(one, 4) < 0.7501);
    float v[] = {5, 1, 4, 2, 3};
    assert_true(sim_quantile(v, 5, 0.5, false) == 3);
    assert_true(sim_quantile(v, 5, 0.9, true) == 5);
    assert_true(sim_quantile(v, 5, 0.2, true) == 1);
}

/* One clinic asking for Arabic around the clock, the given interpreter
 * groups on shift all day every day. */
static sim_scenario *scenario(const char *groups, const char *policy)
{
    static sim_scenario sc;
    char json[4096], err[256];
    snprintf(json, sizeof json,
             "{\"seed\": 7, \"days\": 60, \"languages\": [\"ar\"], \"policy\": %s,"
             " \"profiles\": {\"flat\": [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]},"
             " \"clinics\": [{\"session_min\": {\"mean\": 5, \"sd\": 0},"
             "   \"requests\": [{\"language\": \"ar\", \"per_day\": 2, \"profile\": \"flat\"}]}],"
             " \"interpreters\": [%s]}",
             policy, groups);
    bool ok = sim_scenario_parse(json, &sc, err, sizeof err);
    if (!ok)
        fprintf(stderr, "scenario: %s\n", err);
    assert_true(ok);
    return &sc;
}

#define GROUP(name, accept, decline, delay)                                                                      \
    "{\"group\": \"" name "\", \"count\": 1, \"languages\": {\"ar\": \"certified\"},"                            \
    " \"shifts\": [{\"days\": \"all\", \"from\": \"00:00\", \"to\": \"24:00\"}], \"accept\": " #accept          \
    ", \"decline\": " #decline ", \"accept_delay_s\": {\"mean\": " #delay ", \"sd\": 0},"                         \
    " \"decline_delay_s\": {\"mean\": " #delay ", \"sd\": 0}}"

static sim_result run(const sim_scenario *sc)
{
    sim_opts o = {.group = -1};
    sim_result r;
    assert_true(sim_run(sc, &sc->policy, &o, &r));
    assert_true(r.requests > 50);
    return r;
}

/* Whoever answers first gets it: with three offered at once answering after
 * 10, 20 and 30 s, every request is accepted after 10 s unless the quick one
 * is still in a session, and every other offer is withdrawn. */
static void test_first_accept_wins(void **state)
{
    (void)state;
    sim_scenario *sc = scenario(GROUP("a", 1, 0, 10) "," GROUP("b", 1, 0, 20) "," GROUP("c", 1, 0, 30),
                                "{\"offer_fanout\": 3}");
    sim_result r = run(sc);
    assert_int_equal(r.accepted, r.requests);
    assert_int_equal(r.unfilled, 0);
    assert_true(r.tta_p50_s == 10);
    assert_true(r.tta_max_s <= 30);
    assert_int_equal(r.withdrawn, r.offers - r.accepted);
    assert_int_equal(r.declines + r.expiries, 0);
}

/* Nobody answers: the one offer expires on the first tick after 45 s, the
 * interpreter is excluded, and the request is unfilled ("all_declined"). */
static void test_no_answer_expires_then_unfilled(void **state)
{
    (void)state;
    sim_scenario *sc = scenario(GROUP("a", 0, 0, 10), "{}");
    sim_result r = run(sc);
    assert_int_equal(r.unfilled, r.requests);
    assert_int_equal(r.unfilled_by[DM_UNFILLED_ALL_DECLINED], r.requests);
    assert_int_equal(r.offers, r.requests);
    assert_int_equal(r.expiries, r.requests);
    assert_int_equal(r.escalated, r.requests);
}

/* Everyone declines: with one offer at a time each request goes to all three
 * in turn and is offered to nobody twice. */
static void test_declines_exclude(void **state)
{
    (void)state;
    sim_scenario *sc = scenario(GROUP("a", 0, 1, 10) "," GROUP("b", 0, 1, 10) "," GROUP("c", 0, 1, 10),
                                "{\"offer_fanout\": 1}");
    sim_result r = run(sc);
    assert_int_equal(r.offers, 3 * r.requests);
    assert_int_equal(r.declines, 3 * r.requests);
    assert_int_equal(r.unfilled_by[DM_UNFILLED_ALL_DECLINED], r.requests);
}

/* No interpreter at all: unfilled, and the policy says why. */
static void test_nobody_online(void **state)
{
    (void)state;
    sim_scenario *sc = scenario(GROUP("a", 1, 0, 10), "{}");
    sim_opts o = {.group = 0, .group_count = 0};
    sim_result r;
    assert_true(sim_run(sc, &sc->policy, &o, &r));
    assert_int_equal(r.unfilled_by[DM_UNFILLED_NOBODY_ONLINE], r.requests);
    assert_int_equal(r.offers, 0);
}

/* The same seed gives the same run; another policy sees the same requests. */
static void test_deterministic_and_same_input(void **state)
{
    (void)state;
    sim_scenario *sc = scenario(GROUP("a", 0.6, 0.3, 20) "," GROUP("b", 0.5, 0.2, 40), "{\"offer_fanout\": 1}");
    sim_result a = run(sc), b = run(sc);
    assert_memory_equal(&a, &b, sizeof a);
    sim_policy p = sc->policy;
    p.fanout = 2;
    sim_opts o = {.group = -1};
    sim_result c;
    assert_true(sim_run(sc, &p, &o, &c));
    assert_int_equal(c.requests, a.requests);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evq_orders_by_time_then_by_scheduling),
        cmocka_unit_test(test_evq_many_in_order),
        cmocka_unit_test(test_gini_and_quantile),
        cmocka_unit_test(test_first_accept_wins),
        cmocka_unit_test(test_no_answer_expires_then_unfilled),
        cmocka_unit_test(test_declines_exclude),
        cmocka_unit_test(test_nobody_online),
        cmocka_unit_test(test_deterministic_and_same_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
