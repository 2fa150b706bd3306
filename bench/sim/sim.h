/* The dispatch simulator: a discrete-event simulation on a virtual clock that
 * makes every matching decision with the server's own policy (src/dispatch:
 * dm_dispatch_rank, dm_dispatch_eligible, dm_dispatch_miss) and mirrors how
 * the server drives it (src/server/match.c, tick.c and the Lua scripts):
 * offers to the best K free candidates, exclusion after a decline or an
 * expired offer, the first accept wins and withdraws the rest, escalation
 * relaxes soft preferences, unfilled after a time, and an interpreter who
 * becomes free takes the first waiting request they suit. Deterministic for a
 * given seed. */
#ifndef DRAGOMAN_SIM_H
#define DRAGOMAN_SIM_H
#include <stdbool.h>

#include "scenario.h"

typedef struct sim_opts {
    long max_requests; /* > 0: arrivals stop after this many (and days are not a limit) */
    int group;         /* >= 0: this group's count is replaced by group_count */
    int group_count;
} sim_opts;

typedef struct sim_result {
    long requests; /* requests that were offered (queued) and closed */
    long accepted, unfilled, escalated;
    long offers, declines, expiries, withdrawn;
    long unfilled_by[DM_UNFILLED__COUNT];
    double tta_p50_s, tta_p90_s, tta_p95_s, tta_max_s; /* time to accept, accepted requests */
    double met2, met5, met15;                         /* shares of all requests */
    int interpreters;
    double hours_mean, hours_max, gini;                 /* session hours per interpreter */
    double offers_per_hour, offers_per_hour_max;        /* per interpreter per hour available */
    double avail_hours;                                 /* interpreter-hours available in all */
    long window_requests, window_met;                   /* the staffing window, if any */
    long lang_requests[SIM_MAX_LANGS], lang_met5[SIM_MAX_LANGS], lang_unfilled[SIM_MAX_LANGS];
    double sim_days;
    long events;
} sim_result;

/* Runs the scenario under policy pol; false only when memory ran out. */
bool sim_run(const sim_scenario *sc, const sim_policy *pol, const sim_opts *opts, sim_result *out);

/* Gini coefficient of n non-negative values (sorts them): 0 when all are
 * equal, near 1 when one holds everything. */
double sim_gini(double *v, int n);
/* The q-quantile (0..1) of n values by nearest rank (sorts them); 0 when n is 0. */
double sim_quantile(float *v, long n, double q, bool sorted);

#endif
