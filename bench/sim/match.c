/* The server's dispatch semantics on the virtual clock. Each function names
 * the server code it mirrors; the decisions themselves are the policy's
 * (dm_dispatch_*), called exactly as src/server/match.c calls them. What the
 * server does in two Redis round trips happens here at one instant: the
 * simulator has no other server to race with, so every claim succeeds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "world.h"

#define WORK_PER_LANGUAGE 20 /* match.c: requests read per language for a free interpreter */
#define MAX_IDS 56           /* match.c: MAX_ARGS - 8 candidate ids per offer call */

static bool is_free(const sim_interp *in)
{
    return in->c.active && in->c.available && !in->c.busy && !in->c.has_offer;
}

/* dm:free:LANG order: least recently assigned first, then by id. */
static bool free_before(const sim_world *w, int a, int b)
{
    const sim_interp *x = &w->in[a], *y = &w->in[b];
    if (x->c.last_assigned_ms != y->c.last_assigned_ms)
        return x->c.last_assigned_ms < y->c.last_assigned_ms;
    return x->id_rank < y->id_rank;
}

static int free_find(const sim_world *w, int lang, int i)
{
    int lo = 0, hi = w->nfree[lang];
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (free_before(w, w->freel[lang][mid], i))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* _prelude.lua free_sync: in the free list of each language exactly when
 * free. An interpreter's key (last assigned) only changes while they are out
 * of the lists, so the lists stay sorted. */
void sim_free_sync(sim_world *w, int i)
{
    sim_interp *in = &w->in[i];
    bool want = is_free(in);
    for (int l = 0; l < in->c.nlangs; l++) {
        int lang = in->lix[l];
        if (lang < 0 || in->in_free[l] == want)
            continue;
        int *list = w->freel[lang], pos = free_find(w, lang, i), n = w->nfree[lang];
        if (want) {
            memmove(&list[pos + 1], &list[pos], (size_t)(n - pos) * sizeof *list);
            list[pos] = i;
            w->nfree[lang]++;
        } else {
            memmove(&list[pos], &list[pos + 1], (size_t)(n - pos - 1) * sizeof *list);
            w->nfree[lang]--;
        }
        in->in_free[l] = want;
    }
}

static bool excluded(const sim_request *r, int i)
{
    for (int k = 0; k < r->nexcl; k++)
        if (r->excl[k] == i)
            return true;
    return false;
}

static void exclude(sim_world *w, sim_request *r, int i)
{
    if (excluded(r, i))
        return;
    if (r->nexcl == r->capexcl) {
        int cap = r->capexcl ? r->capexcl * 2 : 8;
        int *e = realloc(r->excl, (size_t)cap * sizeof *e);
        if (!e) {
            w->oom = true;
            return;
        }
        r->excl = e;
        r->capexcl = cap;
    }
    r->excl[r->nexcl++] = i;
}

/* Queue order (_prelude.lua queue_score): by score, then by arrival. */
static bool queue_before(const sim_request *a, const sim_request *b)
{
    return a->score < b->score || (a->score == b->score && a->seq < b->seq);
}

static int queue_find(const sim_world *w, int lang, const sim_request *r)
{
    int lo = 0, hi = w->nqueue[lang];
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (queue_before(&w->req[w->queue[lang][mid]], r))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* _prelude.lua queue_add: into its language's queue, escalation clock started. */
void sim_queue_add(sim_world *w, int r)
{
    sim_request *rq = &w->req[r];
    int lang = rq->lang;
    if (w->nqueue[lang] == w->capqueue[lang]) {
        int cap = w->capqueue[lang] ? w->capqueue[lang] * 2 : 64;
        int *q = realloc(w->queue[lang], (size_t)cap * sizeof *q);
        if (!q) {
            w->oom = true;
            return;
        }
        w->queue[lang] = q;
        w->capqueue[lang] = cap;
    }
    int pos = queue_find(w, lang, rq);
    memmove(&w->queue[lang][pos + 1], &w->queue[lang][pos], (size_t)(w->nqueue[lang] - pos) * sizeof(int));
    w->queue[lang][pos] = r;
    w->nqueue[lang]++;
    rq->queued = w->now;
    sim_push(w, sim_tick_ceil(w, w->now + w->pol.escalate_after_ms), EV_ESCALATE, r, rq->gen);
}

static void queue_remove(sim_world *w, int r)
{
    int lang = w->req[r].lang, pos = queue_find(w, lang, &w->req[r]);
    if (pos < w->nqueue[lang] && w->queue[lang][pos] == r) {
        memmove(&w->queue[lang][pos], &w->queue[lang][pos + 1], (size_t)(w->nqueue[lang] - pos - 1) * sizeof(int));
        w->nqueue[lang]--;
    }
}

static int offer_alloc(sim_world *w)
{
    if (w->free_off >= 0) {
        int o = w->free_off;
        w->free_off = w->off[o].next;
        return o;
    }
    if (w->noff == w->capoff) {
        int cap = w->capoff ? w->capoff * 2 : 256;
        sim_offer *n = realloc(w->off, (size_t)cap * sizeof *n);
        if (!n)
            return -1;
        w->off = n;
        w->capoff = cap;
    }
    w->off[w->noff] = (sim_offer){0};
    return w->noff++;
}

/* How the holder will answer: the same for a given (request, interpreter)
 * whatever the policy, so policies are compared on the same people. */
static void plan_answer(sim_world *w, int o)
{
    sim_offer *of = &w->off[o];
    const sim_request *r = &w->req[of->req];
    const sim_interp *in = &w->in[of->interp];
    const sim_group *g = &w->sc->groups[in->group];
    uint64_t who = ((uint64_t)in->group << 32) | (uint64_t)in->k;
    double u = sim_hash_uniform(w->sc->seed, r->seq, who, 0);
    double u1 = sim_hash_uniform(w->sc->seed, r->seq, who, 1), u2 = sim_hash_uniform(w->sc->seed, r->seq, who, 2);
    double normal = sqrt(-2.0 * log1p(-u1)) * cos(2.0 * M_PI * u2);
    int64_t deadline = w->now + w->pol.offer_timeout_ms;
    of->accepts = u < g->accept;
    if (u < g->accept + g->decline) {
        const sim_dist *d = of->accepts ? &g->accept_delay_s : &g->decline_delay_s;
        int64_t at = w->now + (int64_t)(sim_dist_draw(d, normal) * 1000);
        if (at < deadline)
            sim_push(w, at, EV_RESPONSE, o, of->gen);
    }
    /* tick.lua: expired on the first tick at or after the deadline. */
    sim_push(w, sim_tick_ceil(w, deadline), EV_EXPIRE, o, of->gen);
}

/* offer.lua, for one interpreter known to be free and not excluded. */
static void make_offer(sim_world *w, int r, int i)
{
    int o = offer_alloc(w);
    if (o < 0) {
        w->oom = true;
        return;
    }
    sim_request *rq = &w->req[r];
    sim_offer *of = &w->off[o];
    of->req = r;
    of->interp = i;
    of->pending = true;
    of->next = rq->offers;
    rq->offers = o;
    rq->pending++;
    rq->asked++;
    w->in[i].c.has_offer = true;
    w->in[i].offers++;
    sim_free_sync(w, i);
    w->res->offers++;
    plan_answer(w, o);
}

/* _prelude.lua offer_close: the offer leaves its request and frees its holder
 * (who the caller then matches, as the server does after the script). */
static void close_offer(sim_world *w, int o)
{
    sim_offer *of = &w->off[o];
    sim_request *rq = &w->req[of->req];
    for (int *p = &rq->offers; *p >= 0; p = &w->off[*p].next)
        if (*p == o) {
            *p = of->next;
            break;
        }
    rq->pending--;
    of->pending = false;
    of->gen++;
    w->in[of->interp].c.has_offer = false;
    sim_free_sync(w, of->interp);
    of->next = w->free_off;
    w->free_off = o;
}

/* _prelude.lua withdraw_all; returns how many holders went into held[]
 * (a request holds at most fanout <= SIM_FANOUT_ALL offers). */
static int withdraw_all(sim_world *w, int r, int *held)
{
    int n = 0;
    while (w->req[r].offers >= 0) {
        int o = w->req[r].offers;
        held[n++] = w->off[o].interp;
        close_offer(w, o);
        w->res->withdrawn++;
    }
    return n;
}

/* candidates.lua: the first match_scan of the language's free set, in its
 * order, copied for the policy with this request's exclusions. */
static size_t gather(sim_world *w, const sim_request *rq)
{
    int lang = rq->lang, n = w->nfree[lang] < w->pol.match_scan ? w->nfree[lang] : w->pol.match_scan;
    for (int k = 0; k < n; k++) {
        w->pick[k] = w->freel[lang][k];
        w->scratch[k] = w->in[w->pick[k]].c;
        w->scratch[k].excluded = excluded(rq, w->pick[k]);
    }
    return (size_t)n;
}

/* match.c dm_match_request + on_candidates + offer.lua. */
void sim_match_request(sim_world *w, int r)
{
    sim_request *rq = &w->req[r];
    if (!rq->live || rq->pending >= w->pol.fanout)
        return;
    size_t n = gather(w, rq);
    size_t ranked = dm_dispatch_rank(&rq->need, w->scratch, n, w->order);
    if (ranked == 0) {
        if (rq->pending == 0)
            rq->miss = (int)dm_dispatch_miss(&rq->need, w->scratch, n);
        return;
    }
    size_t ids = (size_t)w->pol.fanout * 2 < MAX_IDS ? (size_t)w->pol.fanout * 2 : MAX_IDS;
    int want = w->pol.fanout - rq->pending;
    for (size_t k = 0; k < ranked && k < ids && want > 0; k++, want--)
        make_offer(w, r, w->pick[w->order[k]]);
}

/* match.c dm_match_interpreter + work.lua + pick_work: the waiting request
 * with the lowest queue score among the head of each of their languages'
 * queues that they suit and that has room for another offer. */
void sim_match_interpreter(sim_world *w, int i)
{
    sim_interp *in = &w->in[i];
    if (!is_free(in))
        return;
    int best = -1;
    for (int l = 0; l < in->c.nlangs; l++) {
        int lang = in->lix[l];
        for (int k = 0; lang >= 0 && k < w->nqueue[lang] && k < WORK_PER_LANGUAGE; k++) {
            int r = w->queue[lang][k];
            const sim_request *rq = &w->req[r];
            if (excluded(rq, i) || rq->pending >= w->pol.fanout || (best >= 0 && rq->score >= w->req[best].score))
                continue;
            if (dm_dispatch_eligible(&rq->need, &in->c) == DM_REJECT_NONE)
                best = r;
        }
    }
    if (best >= 0)
        make_offer(w, best, i);
}

/* accept.lua + on_accepted: the request is assigned, the rest withdrawn, and
 * their holders look for other work. */
static void accept(sim_world *w, int o)
{
    int r = w->off[o].req, i = w->off[o].interp;
    sim_interp *in = &w->in[i];
    /* As accept.lua: the job is theirs before the offer closes, so they never
     * look free, and their free-set key changes only while out of the sets. */
    in->c.busy = true;
    close_offer(w, o);
    in->c.last_assigned_ms = w->now;
    queue_remove(w, r);
    int held[SIM_FANOUT_ALL];
    int n = withdraw_all(w, r, held);
    in->work_ms += (double)w->req[r].session_ms;
    sim_push(w, w->now + w->req[r].session_ms, EV_END, i, 0);
    sim_request_closed(w, r, true);
    for (int k = 0; k < n; k++)
        sim_match_interpreter(w, held[k]);
}

/* decline.lua / tick.lua expiry + on_handed_back / handle_expired: excluded
 * from the request, which looks for someone else; the holder looks for work. */
static void hand_back(sim_world *w, int o)
{
    int r = w->off[o].req, i = w->off[o].interp;
    exclude(w, &w->req[r], i);
    close_offer(w, o);
    sim_match_request(w, r);
    sim_match_interpreter(w, i);
}

void sim_on_response(sim_world *w, int o, uint32_t gen)
{
    if (w->off[o].gen != gen || !w->off[o].pending)
        return;
    if (w->off[o].accepts) {
        accept(w, o);
        return;
    }
    w->res->declines++;
    hand_back(w, o);
}

void sim_on_expire(sim_world *w, int o, uint32_t gen)
{
    if (w->off[o].gen != gen || !w->off[o].pending)
        return;
    w->res->expiries++;
    hand_back(w, o);
}

/* tick.lua escalation: soft preferences stop ranking, the unfilled clock
 * starts, and on_alert_request matches again. */
void sim_on_escalate(sim_world *w, int r, uint32_t gen)
{
    sim_request *rq = &w->req[r];
    if (rq->gen != gen || !rq->live)
        return;
    rq->need.relaxed = true;
    w->res->escalated++;
    sim_push(w, sim_tick_ceil(w, rq->queued + w->pol.unfilled_after_ms), EV_UNFILL, r, rq->gen);
    sim_match_request(w, r);
}

/* tick.lua unfilled: pending offers withdrawn, the reason recorded as
 * unfilled_reason() does, and the holders look for other work. */
void sim_on_unfill(sim_world *w, int r, uint32_t gen)
{
    sim_request *rq = &w->req[r];
    if (rq->gen != gen || !rq->live)
        return;
    dm_unfilled_reason why = rq->asked > 0 ? DM_UNFILLED_ALL_DECLINED
                             : rq->miss >= 0 ? (dm_unfilled_reason)rq->miss
                                             : DM_UNFILLED_NOBODY_ONLINE;
    w->res->unfilled_by[why]++;
    queue_remove(w, r);
    int held[SIM_FANOUT_ALL];
    int n = withdraw_all(w, r, held);
    sim_request_closed(w, r, false);
    for (int k = 0; k < n; k++)
        sim_match_interpreter(w, held[k]);
}
