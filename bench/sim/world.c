/* The simulator's clock and world: interpreters and their shifts, request
 * arrivals, the event loop, and the figures at the end. The dispatch
 * semantics are in match.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world.h"

#define MIN_MS 60000LL
#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL
#define SCHEDULED_OFFSET 20000000000000LL /* _prelude.lua queue_score: +2e13 for scheduled */
#define DRAIN_LIMIT_MS (30 * DAY_MS)       /* after the last arrival, a bound on the run */

int64_t sim_tick_ceil(const sim_world *w, int64_t t)
{
    int64_t tick = w->pol.tick_ms;
    return (t + tick - 1) / tick * tick;
}

void sim_push(sim_world *w, int64_t t, int kind, int obj, uint32_t gen)
{
    if (!sim_evq_push(&w->q, t, kind, obj, gen))
        w->oom = true;
}

static int hour_of(int64_t t)
{
    return (int)(t % DAY_MS / HOUR_MS);
}

static int weekday_of(const sim_world *w, int64_t t)
{
    return (int)((w->sc->start_weekday + t / DAY_MS) % 7);
}

/* Arrivals per ms of stream s at time t. */
static double stream_rate(const sim_world *w, int s, int64_t t)
{
    const sim_stream *st = &w->sc->streams[s];
    const double *prof = w->sc->profiles[st->profile];
    double sum = 0;
    for (int h = 0; h < 24; h++)
        sum += prof[h];
    if (sum <= 0)
        return 0;
    return st->per_day * st->weekday[weekday_of(w, t)] * prof[hour_of(t)] / sum / HOUR_MS;
}

static void stream_bound(sim_world *w, int s)
{
    const sim_stream *st = &w->sc->streams[s];
    double wd = 0, top = 0, sum = 0;
    for (int d = 0; d < 7; d++)
        wd = st->weekday[d] > wd ? st->weekday[d] : wd;
    for (int h = 0; h < 24; h++) {
        top = w->sc->profiles[st->profile][h] > top ? w->sc->profiles[st->profile][h] : top;
        sum += w->sc->profiles[st->profile][h];
    }
    w->stream_max[s] = sum > 0 ? st->per_day * wd * top / sum / HOUR_MS : 0;
}

/* A non-homogeneous Poisson process by thinning: candidates at the highest
 * rate, each kept with probability rate(t) / highest. */
static void schedule_arrival(sim_world *w, int s, int64_t from)
{
    double rmax = w->stream_max[s], t = (double)from;
    if (rmax <= 0 || w->arrivals_done)
        return;
    for (int tries = 0; tries < 1000000; tries++) {
        t += sim_rng_exp(&w->rng[s], 1.0 / rmax);
        if (t >= (double)w->end_ms)
            return;
        if (sim_rng_uniform(&w->rng[s]) * rmax < stream_rate(w, s, (int64_t)t)) {
            sim_push(w, (int64_t)t, EV_ARRIVAL, s, 0);
            return;
        }
    }
}

static int request_alloc(sim_world *w)
{
    if (w->nfree_reqs > 0)
        return w->free_reqs[--w->nfree_reqs];
    if (w->nreq == w->capreq) {
        int cap = w->capreq ? w->capreq * 2 : 1024;
        sim_request *n = realloc(w->req, (size_t)cap * sizeof *n);
        int *f = realloc(w->free_reqs, (size_t)cap * sizeof *f);
        if (n)
            w->req = n;
        if (f)
            w->free_reqs = f;
        if (!n || !f)
            return -1;
        w->capreq = cap;
    }
    w->req[w->nreq] = (sim_request){0};
    return w->nreq++;
}

static void need_from(const sim_world *w, const sim_clinic *cl, sim_rng *g, sim_request *rq)
{
    double u = sim_rng_uniform(g), sum = 0, total = 0;
    for (int m = 0; m < DM_MODALITY__COUNT; m++)
        total += cl->modality[m];
    memset(&rq->need, 0, sizeof rq->need);
    snprintf(rq->need.language, sizeof rq->need.language, "%s", w->sc->langs[rq->lang]);
    rq->need.modality = DM_MODALITY_PHONE;
    for (int m = 0; m < DM_MODALITY__COUNT; m++) {
        sum += cl->modality[m];
        if (total > 0 && u * total < sum) {
            rq->need.modality = (dm_modality)m;
            break;
        }
    }
    double ug = sim_rng_uniform(g), uf = sim_rng_uniform(g), us = sim_rng_uniform(g);
    if (ug < cl->gender_required + cl->gender_preferred) {
        rq->need.gender_need = ug < cl->gender_required ? DM_NEED_REQUIRED : DM_NEED_PREFERRED;
        rq->need.gender = uf < cl->female ? DM_GENDER_FEMALE : DM_GENDER_MALE;
    }
    if (us < cl->specialty_share)
        snprintf(rq->need.specialty, sizeof rq->need.specialty, "%s", cl->specialty);
}

/* create.lua: offered now, or held until scheduled_lead before its start. */
static void queue_now(sim_world *w, int r)
{
    const sim_staffing *st = &w->sc->staffing;
    int h = hour_of(w->now);
    w->req[r].in_window = st->set && w->req[r].lang == st->lang && h >= st->from_h && h < st->to_h;
    sim_queue_add(w, r);
    sim_match_request(w, r);
}

/* A booking made now for days ahead, at the same time of day, moved on to
 * the next day the clinic works when that one is a day off. */
static int64_t booked_start(const sim_world *w, const sim_stream *st, int days)
{
    int64_t start = w->now + days * DAY_MS;
    for (int i = 0; i < 7 && st->weekday[weekday_of(w, start)] <= 0; i++)
        start += DAY_MS;
    return start;
}

static void arrive(sim_world *w, int s)
{
    const sim_stream *st = &w->sc->streams[s];
    const sim_clinic *cl = &w->sc->clinics[st->clinic];
    sim_rng *g = &w->rng[s];
    int r = request_alloc(w);
    if (r < 0) {
        w->oom = true;
        return;
    }
    sim_request *rq = &w->req[r];
    rq->live = true;
    rq->lang = st->lang;
    rq->stream = s;
    rq->seq = ++w->req_seq;
    rq->created = w->now;
    rq->offers = -1;
    rq->pending = rq->asked = rq->nexcl = 0;
    rq->miss = -1;
    need_from(w, cl, g, rq);
    rq->session_ms = (int64_t)(sim_dist_draw(&cl->session_min, sim_rng_normal(g)) * MIN_MS);
    bool scheduled = sim_rng_uniform(g) < cl->scheduled_share;
    int days = cl->advance_days_min + (int)(sim_rng_uniform(g) * (cl->advance_days_max - cl->advance_days_min + 1));
    int64_t offer_from = booked_start(w, st, days) - w->pol.scheduled_lead_ms;
    rq->score = rq->created + (scheduled ? SCHEDULED_OFFSET : 0);
    w->open++;
    if (++w->arrivals == w->opts.max_requests)
        w->arrivals_done = true;
    if (scheduled && offer_from > w->now)
        sim_push(w, sim_tick_ceil(w, offer_from), EV_RELEASE, r, rq->gen);
    else
        queue_now(w, r);
}

void sim_request_closed(sim_world *w, int r, bool accepted)
{
    sim_request *rq = &w->req[r];
    sim_result *res = w->res;
    double tta_s = (double)(w->now - rq->queued) / 1000.0;
    res->requests++;
    res->lang_requests[rq->lang]++;
    res->window_requests += rq->in_window;
    if (accepted) {
        res->accepted++;
        res->met2 += tta_s <= 120;
        res->met5 += tta_s <= 300;
        res->met15 += tta_s <= 900;
        res->lang_met5[rq->lang] += tta_s <= 300;
        res->window_met += rq->in_window && tta_s <= w->sc->staffing.within_min * 60;
        if (w->ntta == w->captta) {
            long cap = w->captta ? w->captta * 2 : 4096;
            float *n = realloc(w->tta, (size_t)cap * sizeof *n);
            if (!n) {
                w->oom = true;
                return;
            }
            w->tta = n;
            w->captta = cap;
        }
        w->tta[w->ntta++] = (float)tta_s;
    } else {
        res->unfilled++;
        res->lang_unfilled[rq->lang]++;
    }
    rq->live = false;
    rq->gen++;
    w->free_reqs[w->nfree_reqs++] = r;
    w->open--;
}

static void set_available(sim_world *w, int i, bool on)
{
    sim_interp *in = &w->in[i];
    in->shifts_on += on ? 1 : -1;
    bool avail = in->shifts_on > 0;
    if (avail == in->c.available)
        return;
    in->c.available = avail;
    if (avail)
        in->avail_since = w->now;
    else
        in->avail_ms += (double)(w->now - in->avail_since);
    sim_free_sync(w, i);
    if (avail)
        sim_match_interpreter(w, i);
}

/* Each interpreter's shifts of day d, each worked with the group's chance of
 * showing up (the same draw whatever the policy). */
static void lay_out_day(sim_world *w, int64_t d)
{
    int dow = (int)((w->sc->start_weekday + d) % 7);
    for (int i = 0; i < w->nin; i++) {
        const sim_group *g = &w->sc->groups[w->in[i].group];
        uint64_t who = ((uint64_t)w->in[i].group << 32) | (uint64_t)w->in[i].k;
        for (int s = 0; s < g->nshifts; s++) {
            const sim_shift *sh = &g->shifts[s];
            if (!(sh->days & (1u << dow)) || sim_hash_uniform(w->sc->seed, who, (uint64_t)d, 1000u + (unsigned)s) >= g->show)
                continue;
            int64_t from = d * DAY_MS + sh->from_min * MIN_MS, to = d * DAY_MS + sh->to_min * MIN_MS;
            if (to <= from)
                to += DAY_MS;
            sim_push(w, from, EV_SHIFT_ON, i, 0);
            sim_push(w, to, EV_SHIFT_OFF, i, 0);
        }
    }
    if (!w->arrivals_done || w->open > 0)
        sim_push(w, (d + 1) * DAY_MS, EV_DAY, (int)(d + 1), 0);
}

static void on_end(sim_world *w, int i)
{
    w->in[i].c.busy = false;
    sim_free_sync(w, i);
    sim_match_interpreter(w, i);
}

static void handle(sim_world *w, const sim_event *e)
{
    switch (e->kind) {
    case EV_DAY: lay_out_day(w, e->obj); break;
    case EV_ARRIVAL:
        arrive(w, e->obj);
        schedule_arrival(w, e->obj, w->now);
        break;
    case EV_SHIFT_ON: set_available(w, e->obj, true); break;
    case EV_SHIFT_OFF: set_available(w, e->obj, false); break;
    case EV_RELEASE:
        if (w->req[e->obj].gen == e->gen && w->req[e->obj].live)
            queue_now(w, e->obj);
        break;
    case EV_RESPONSE: sim_on_response(w, e->obj, e->gen); break;
    case EV_EXPIRE: sim_on_expire(w, e->obj, e->gen); break;
    case EV_ESCALATE: sim_on_escalate(w, e->obj, e->gen); break;
    case EV_UNFILL: sim_on_unfill(w, e->obj, e->gen); break;
    case EV_END: on_end(w, e->obj); break;
    default: break;
    }
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp((*(const sim_interp *const *)a)->c.id, (*(const sim_interp *const *)b)->c.id);
}

/* Ties in the free sets go by id as Redis orders members; a rank computed
 * once spares a strcmp on every comparison. */
static void rank_ids(sim_world *w)
{
    sim_interp **by_id = malloc((size_t)(w->nin ? w->nin : 1) * sizeof *by_id);
    if (!by_id) {
        w->oom = true;
        return;
    }
    for (int i = 0; i < w->nin; i++)
        by_id[i] = &w->in[i];
    qsort(by_id, (size_t)w->nin, sizeof *by_id, cmp_id);
    for (int i = 0; i < w->nin; i++)
        by_id[i]->id_rank = i;
    free(by_id);
}

static bool add_interpreters(sim_world *w)
{
    int total = 0;
    for (int g = 0; g < w->sc->ngroups; g++)
        total += g == w->opts.group ? w->opts.group_count : w->sc->groups[g].count;
    w->in = calloc((size_t)(total ? total : 1), sizeof *w->in);
    w->scratch = calloc((size_t)(total ? total : 1), sizeof *w->scratch);
    w->order = calloc((size_t)(total ? total : 1), sizeof *w->order);
    w->pick = calloc((size_t)(total ? total : 1), sizeof *w->pick);
    for (int l = 0; l < w->sc->nlangs; l++)
        w->freel[l] = calloc((size_t)(total ? total : 1), sizeof(int));
    if (!w->in || !w->scratch || !w->order || !w->pick)
        return false;
    for (int g = 0; g < w->sc->ngroups; g++) {
        const sim_group *gr = &w->sc->groups[g];
        int count = g == w->opts.group ? w->opts.group_count : gr->count;
        int women = (int)lround(count * gr->female_share);
        for (int k = 0; k < count; k++) {
            sim_interp *in = &w->in[w->nin++];
            in->group = g;
            in->k = k;
            snprintf(in->c.id, sizeof in->c.id, "%s-%d", gr->name, k);
            memcpy(in->c.langs, gr->langs, sizeof in->c.langs);
            memcpy(in->c.levels, gr->levels, sizeof in->c.levels);
            in->c.nlangs = gr->nlangs;
            in->c.gender = k < women ? DM_GENDER_FEMALE : DM_GENDER_MALE;
            in->c.modalities = gr->modalities;
            memcpy(in->c.specialties, gr->specialties, sizeof in->c.specialties);
            in->c.nspecialties = gr->nspecialties;
            in->c.active = true;
            for (int l = 0; l < gr->nlangs; l++)
                in->lix[l] = sim_scenario_lang(w->sc, gr->langs[l]);
        }
    }
    rank_ids(w);
    return true;
}

static void world_free(sim_world *w)
{
    for (int r = 0; r < w->nreq; r++)
        free(w->req[r].excl);
    for (int l = 0; l < SIM_MAX_LANGS; l++) {
        free(w->freel[l]);
        free(w->queue[l]);
    }
    free(w->in);
    free(w->scratch);
    free(w->order);
    free(w->pick);
    free(w->req);
    free(w->free_reqs);
    free(w->off);
    free(w->tta);
    sim_evq_free(&w->q);
}

static void interpreter_figures(sim_world *w, sim_result *res)
{
    double *hours = malloc((size_t)(w->nin ? w->nin : 1) * sizeof *hours), offers = 0;
    res->interpreters = w->nin;
    for (int i = 0; i < w->nin; i++) {
        sim_interp *in = &w->in[i];
        if (in->c.available)
            in->avail_ms += (double)(w->now - in->avail_since);
        double ah = in->avail_ms / HOUR_MS, wh = in->work_ms / HOUR_MS;
        res->avail_hours += ah;
        offers += (double)in->offers;
        res->hours_mean += wh / (w->nin ? w->nin : 1);
        res->hours_max = wh > res->hours_max ? wh : res->hours_max;
        if (ah > 1 && in->offers / ah > res->offers_per_hour_max)
            res->offers_per_hour_max = in->offers / ah;
        if (hours)
            hours[i] = wh;
    }
    res->offers_per_hour = res->avail_hours > 0 ? offers / res->avail_hours : 0;
    res->gini = hours ? sim_gini(hours, w->nin) : 0;
    free(hours);
}

static void figures(sim_world *w, sim_result *res)
{
    double n = res->requests ? (double)res->requests : 1;
    res->met2 /= n;
    res->met5 /= n;
    res->met15 /= n;
    sim_quantile(w->tta, w->ntta, 0, false);
    res->tta_p50_s = sim_quantile(w->tta, w->ntta, 0.50, true);
    res->tta_p90_s = sim_quantile(w->tta, w->ntta, 0.90, true);
    res->tta_p95_s = sim_quantile(w->tta, w->ntta, 0.95, true);
    res->tta_max_s = sim_quantile(w->tta, w->ntta, 1.0, true);
    res->sim_days = (double)w->now / DAY_MS;
    interpreter_figures(w, res);
}

bool sim_run(const sim_scenario *sc, const sim_policy *pol, const sim_opts *opts, sim_result *out)
{
    sim_world w = {.sc = sc, .pol = *pol, .opts = *opts, .res = out, .free_off = -1};
    memset(out, 0, sizeof *out);
    w.end_ms = opts->max_requests > 0 ? INT64_MAX / 4 : (int64_t)(sc->days * DAY_MS);
    sim_evq_init(&w.q);
    bool ok = add_interpreters(&w);
    for (int s = 0; ok && s < sc->nstreams; s++) {
        sim_rng_seed(&w.rng[s], sc->seed, (uint64_t)s + 1);
        stream_bound(&w, s);
        schedule_arrival(&w, s, 0);
    }
    sim_push(&w, 0, EV_DAY, 0, 0);
    sim_event e;
    while (ok && !w.oom && sim_evq_pop(&w.q, &e)) {
        w.now = e.t;
        out->events++;
        handle(&w, &e);
        if (w.now >= w.end_ms)
            w.arrivals_done = true;
        if ((w.arrivals_done && w.open == 0) || (w.end_ms < INT64_MAX / 4 && w.now > w.end_ms + DRAIN_LIMIT_MS))
            break;
    }
    ok = ok && !w.oom;
    if (ok)
        figures(&w, out);
    world_free(&w);
    return ok;
}
