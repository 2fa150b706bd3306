/* bench/simulate: the dispatch simulator's command line. Runs a scenario
 * under the server's matching policy, compares policy settings on the same
 * input, answers a staffing question, and times a million requests.
 *
 *   bench/simulate SCENARIO [--seed N] [--days D] [--compare] [--staffing]
 *                  [--requests N] [--fanout K|all] [--timeout S] [--escalate S]
 *                  [--json FILE] */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/sim.h"

typedef struct cli {
    const char *scenario, *json;
    bool compare, staffing;
    long requests;
    long long seed;
    double days;
    int fanout, timeout_s, escalate_s;
} cli;

static const char usage[] =
    "usage: simulate SCENARIO.json [--seed N] [--days D] [--compare] [--staffing]\n"
    "                [--requests N] [--fanout K|all] [--timeout S] [--escalate S] [--json FILE]\n"
    "  (no mode)     one run under the scenario's policy, with its figures\n"
    "  --compare     the scenario's policy variants on the same input (same seed)\n"
    "  --staffing    how many of the scenario's staffing group meet its target\n"
    "  --requests N  run until N requests have arrived, and time it\n";

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool parse_cli(int argc, char **argv, cli *c)
{
    *c = (cli){.seed = -1, .fanout = -1, .timeout_s = -1, .escalate_s = -1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = strcmp(a, "--seed") == 0 || strcmp(a, "--days") == 0 || strcmp(a, "--requests") == 0 ||
                     strcmp(a, "--fanout") == 0 || strcmp(a, "--timeout") == 0 || strcmp(a, "--escalate") == 0 ||
                     strcmp(a, "--json") == 0;
        if (takes && !v)
            return false;
        if (strcmp(a, "--compare") == 0)
            c->compare = true;
        else if (strcmp(a, "--staffing") == 0)
            c->staffing = true;
        else if (strcmp(a, "--seed") == 0)
            c->seed = atoll(v);
        else if (strcmp(a, "--days") == 0)
            c->days = atof(v);
        else if (strcmp(a, "--requests") == 0)
            c->requests = atol(v);
        else if (strcmp(a, "--fanout") == 0)
            c->fanout = strcmp(v, "all") == 0 ? SIM_FANOUT_ALL : atoi(v);
        else if (strcmp(a, "--timeout") == 0)
            c->timeout_s = atoi(v);
        else if (strcmp(a, "--escalate") == 0)
            c->escalate_s = atoi(v);
        else if (strcmp(a, "--json") == 0)
            c->json = v;
        else if (a[0] == '-' || c->scenario)
            return false;
        else
            c->scenario = a;
        i += takes;
    }
    return c->scenario != NULL && (c->fanout == -1 || (c->fanout >= 1 && c->fanout <= SIM_FANOUT_ALL));
}

static void policy_words(const sim_policy *p, char *out, size_t len)
{
    char k[8];
    snprintf(k, sizeof k, "%d", p->fanout);
    snprintf(out, len, "K=%s timeout %llds escalate %llds unfilled %llds", p->fanout == SIM_FANOUT_ALL ? "all" : k,
             (long long)(p->offer_timeout_ms / 1000), (long long)(p->escalate_after_ms / 1000),
             (long long)(p->unfilled_after_ms / 1000));
}

static double pct(long part, long whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0;
}

static void print_languages(const sim_scenario *sc, const sim_result *r)
{
    printf("  per language:");
    for (int l = 0; l < sc->nlangs; l++)
        printf("  %s %ld req, %.1f%% met 5 min, %.1f%% unfilled", sc->langs[l], r->lang_requests[l],
               pct(r->lang_met5[l], r->lang_requests[l]), pct(r->lang_unfilled[l], r->lang_requests[l]));
    printf("\n");
}

static void print_report(const sim_scenario *sc, const sim_policy *p, const sim_result *r, double wall)
{
    char pw[160];
    policy_words(p, pw, sizeof pw);
    printf("%s — %s\n", sc->name, pw);
    printf("  requests %ld: accepted %.1f%%, unfilled %.1f%%", r->requests, pct(r->accepted, r->requests),
           pct(r->unfilled, r->requests));
    for (int u = 0; u < DM_UNFILLED__COUNT; u++)
        if (r->unfilled_by[u])
            printf(" (%s %ld)", dm_unfilled_reason_name((dm_unfilled_reason)u), r->unfilled_by[u]);
    printf(", escalated %.1f%%\n", pct(r->escalated, r->requests));
    printf("  time to accept: p50 %.0f s, p90 %.0f s, p95 %.0f s, max %.0f s\n", r->tta_p50_s, r->tta_p90_s,
           r->tta_p95_s, r->tta_max_s);
    printf("  met within 2 min %.1f%%, 5 min %.1f%%, 15 min %.1f%%\n", 100 * r->met2, 100 * r->met5, 100 * r->met15);
    print_languages(sc, r);
    printf("  interpreters %d: session hours each mean %.1f, max %.1f, Gini %.2f; available %.0f h in all\n",
           r->interpreters, r->hours_mean, r->hours_max, r->gini, r->avail_hours);
    printf("  offers %ld (%.2f per request): declined %ld, expired %ld, withdrawn %ld; per interpreter per "
           "available hour %.2f (max %.2f)\n",
           r->offers, r->requests ? (double)r->offers / (double)r->requests : 0, r->declines, r->expiries,
           r->withdrawn, r->offers_per_hour, r->offers_per_hour_max);
    printf("  simulated %.1f days, %ld events in %.3f s\n", r->sim_days, r->events, wall);
}

static cJSON *result_json(const char *label, const sim_policy *p, const sim_result *r, double wall)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "label", label);
    cJSON_AddNumberToObject(o, "offer_fanout", p->fanout);
    cJSON_AddNumberToObject(o, "offer_timeout_s", (double)p->offer_timeout_ms / 1000);
    cJSON_AddNumberToObject(o, "escalate_after_s", (double)p->escalate_after_ms / 1000);
    cJSON_AddNumberToObject(o, "unfilled_after_s", (double)p->unfilled_after_ms / 1000);
    const struct {
        const char *k;
        double v;
    } f[] = {{"requests", (double)r->requests}, {"accepted", (double)r->accepted},
             {"unfilled", (double)r->unfilled}, {"escalated", (double)r->escalated},
             {"tta_p50_s", r->tta_p50_s},      {"tta_p90_s", r->tta_p90_s},
             {"tta_p95_s", r->tta_p95_s},      {"tta_max_s", r->tta_max_s},
             {"met_2min", r->met2},            {"met_5min", r->met5},
             {"met_15min", r->met15},          {"offers", (double)r->offers},
             {"declines", (double)r->declines}, {"expiries", (double)r->expiries},
             {"withdrawn", (double)r->withdrawn}, {"interpreters", r->interpreters},
             {"hours_mean", r->hours_mean},    {"hours_max", r->hours_max},
             {"gini", r->gini},                {"offers_per_hour", r->offers_per_hour},
             {"offers_per_hour_max", r->offers_per_hour_max}, {"sim_days", r->sim_days},
             {"events", (double)r->events},    {"wall_s", wall}};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        cJSON_AddNumberToObject(o, f[i].k, f[i].v);
    return o;
}

/* One run, timed; false when memory ran out. */
static bool run_once(const sim_scenario *sc, const sim_policy *p, const sim_opts *o, sim_result *r, double *wall)
{
    double t0 = wall_now();
    bool ok = sim_run(sc, p, o, r);
    *wall = wall_now() - t0;
    if (!ok)
        fprintf(stderr, "simulate: out of memory\n");
    return ok;
}

static void print_row(const char *label, const sim_result *r)
{
    printf("  %-26s %6.0f %6.0f %6.0f %7.1f %7.1f %7.1f %8.1f %7.2f %7.2f %6.2f\n", label, r->tta_p50_s, r->tta_p90_s,
           r->tta_p95_s, 100 * r->met2, 100 * r->met5, 100 * r->met15, pct(r->unfilled, r->requests),
           r->requests ? (double)r->offers / (double)r->requests : 0, r->offers_per_hour, r->gini);
}

static bool compare_one(const sim_scenario *sc, const sim_policy *p, const char *label, cJSON *arr)
{
    sim_opts o = {.group = -1};
    sim_result r;
    double wall;
    if (!run_once(sc, p, &o, &r, &wall))
        return false;
    print_row(label, &r);
    cJSON_AddItemToArray(arr, result_json(label, p, &r, wall));
    return true;
}

/* Each setting varied alone from the scenario's policy, on the same input. */
static bool run_compare(const sim_scenario *sc, const sim_policy *base, cJSON *arr)
{
    const sim_compare *c = &sc->compare;
    char label[64];
    printf("Policies compared on the same input (seed %llu, %.0f days):\n", (unsigned long long)sc->seed, sc->days);
    printf("  %-26s %6s %6s %6s %7s %7s %7s %8s %7s %7s %6s\n", "policy", "p50 s", "p90 s", "p95 s", "<=2m %",
           "<=5m %", "<=15m %", "unfill %", "off/req", "off/h", "Gini");
    bool ok = compare_one(sc, base, "scenario policy", arr);
    for (int i = 0; ok && i < c->nfanouts; i++) {
        sim_policy p = *base;
        p.fanout = c->fanouts[i];
        if (p.fanout == SIM_FANOUT_ALL)
            snprintf(label, sizeof label, "K=all (%d)", SIM_FANOUT_ALL);
        else
            snprintf(label, sizeof label, "K=%d", p.fanout);
        ok = compare_one(sc, &p, label, arr);
    }
    for (int i = 0; ok && i < c->ntimeouts; i++) {
        sim_policy p = *base;
        p.offer_timeout_ms = (int64_t)c->timeouts_s[i] * 1000;
        snprintf(label, sizeof label, "offer timeout %ds", c->timeouts_s[i]);
        ok = compare_one(sc, &p, label, arr);
    }
    for (int i = 0; ok && i < c->nescalates; i++) {
        sim_policy p = *base;
        p.escalate_after_ms = (int64_t)c->escalates_s[i] * 1000;
        snprintf(label, sizeof label, "relax after %ds", c->escalates_s[i]);
        ok = compare_one(sc, &p, label, arr);
    }
    return ok;
}

/* Counts from 0 up: the first count whose window share meets the target is
 * the answer; two more rows show it holds. */
static bool run_staffing(const sim_scenario *sc, const sim_policy *p, cJSON *root)
{
    const sim_staffing *st = &sc->staffing;
    if (!st->set) {
        fprintf(stderr, "simulate: the scenario has no \"staffing\" question\n");
        return false;
    }
    const char *lang = sc->langs[st->lang], *group = sc->groups[st->group].name;
    printf("Staffing: %s requests %02d:00-%02d:00, target %.0f%% met within %.0f min; varying group %s\n", lang,
           st->from_h, st->to_h, 100 * st->target, st->within_min, group);
    printf("  %8s %10s %10s\n", "on shift", "requests", "met %");
    cJSON *rows = cJSON_AddArrayToObject(root, "staffing");
    int answer = -1;
    for (int n = 0; n <= st->max && (answer < 0 || n <= answer + 2); n++) {
        sim_opts o = {.group = st->group, .group_count = n};
        sim_result r;
        double wall;
        if (!run_once(sc, p, &o, &r, &wall))
            return false;
        double share = r.window_requests ? (double)r.window_met / (double)r.window_requests : 0;
        printf("  %8d %10ld %10.1f\n", n, r.window_requests, 100 * share);
        cJSON *row = cJSON_CreateObject();
        cJSON_AddNumberToObject(row, "count", n);
        cJSON_AddNumberToObject(row, "requests", (double)r.window_requests);
        cJSON_AddNumberToObject(row, "met_share", share);
        cJSON_AddItemToArray(rows, row);
        if (answer < 0 && r.window_requests > 0 && share >= st->target)
            answer = n;
    }
    if (answer >= 0)
        printf("Answer: %d interpreters of group %s (%s) on shift %02d:00-%02d:00 meet %.0f%% of %s requests "
               "within %.0f min.\n",
               answer, group, lang, st->from_h, st->to_h, 100 * st->target, lang, st->within_min);
    else
        printf("Answer: not reached with up to %d interpreters of group %s.\n", st->max, group);
    cJSON_AddNumberToObject(root, "staffing_answer", answer);
    return true;
}

static bool run_single(const sim_scenario *sc, const sim_policy *p, long requests, cJSON *root)
{
    sim_opts o = {.group = -1, .max_requests = requests};
    sim_result r;
    double wall;
    if (!run_once(sc, p, &o, &r, &wall))
        return false;
    print_report(sc, p, &r, wall);
    if (requests > 0)
        printf("  %ld requests simulated in %.2f s: %.0f requests/s of wall time\n", r.requests, wall,
               (double)r.requests / wall);
    cJSON_AddItemToObject(root, "run", result_json("scenario policy", p, &r, wall));
    return true;
}

static bool write_json(const char *path, const cJSON *root)
{
    char *text = cJSON_Print(root);
    FILE *f = text ? fopen(path, "w") : NULL;
    bool ok = f && fputs(text, f) >= 0;
    if (f)
        ok = fclose(f) == 0 && ok;
    free(text);
    return ok;
}

int main(int argc, char **argv)
{
    cli c;
    char err[256];
    if (!parse_cli(argc, argv, &c)) {
        fputs(usage, stderr);
        return 2;
    }
    sim_scenario *sc = sim_scenario_load(c.scenario, err, sizeof err);
    if (!sc) {
        fprintf(stderr, "simulate: %s: %s\n", c.scenario, err);
        return 1;
    }
    if (c.seed >= 0)
        sc->seed = (uint64_t)c.seed;
    if (c.days > 0)
        sc->days = c.days;
    sim_policy p = sc->policy;
    if (c.fanout > 0)
        p.fanout = c.fanout;
    if (c.timeout_s > 0)
        p.offer_timeout_ms = (int64_t)c.timeout_s * 1000;
    if (c.escalate_s > 0)
        p.escalate_after_ms = (int64_t)c.escalate_s * 1000;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "scenario", sc->name);
    cJSON_AddNumberToObject(root, "seed", (double)sc->seed);
    bool ok = true;
    if (c.compare)
        ok = run_compare(sc, &p, cJSON_AddArrayToObject(root, "compare"));
    if (ok && c.staffing)
        ok = run_staffing(sc, &p, root);
    if (ok && (c.requests > 0 || (!c.compare && !c.staffing)))
        ok = run_single(sc, &p, c.requests, root);
    if (ok && c.json && !write_json(c.json, root)) {
        fprintf(stderr, "simulate: cannot write %s\n", c.json);
        ok = false;
    }
    cJSON_Delete(root);
    free(sc);
    return ok ? 0 : 1;
}
