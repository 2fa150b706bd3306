/* The simulator's internal state, shared by world.c (time, arrivals, shifts,
 * results) and match.c (the server's dispatch semantics). Not for callers. */
#ifndef DRAGOMAN_SIM_WORLD_H
#define DRAGOMAN_SIM_WORLD_H
#include <stdint.h>

#include "evq.h"
#include "sim.h"

enum {
    EV_DAY,       /* obj = day number: lay out that day's shifts */
    EV_ARRIVAL,   /* obj = stream */
    EV_SHIFT_ON,  /* obj = interpreter */
    EV_SHIFT_OFF, /* obj = interpreter */
    EV_RELEASE,   /* obj = request: a scheduled request starts being offered */
    EV_RESPONSE,  /* obj = offer: its holder accepts or declines */
    EV_EXPIRE,    /* obj = offer: the clock expires it */
    EV_ESCALATE,  /* obj = request */
    EV_UNFILL,    /* obj = request */
    EV_END,       /* obj = interpreter: the session ends */
};

typedef struct sim_interp {
    dm_candidate c; /* the policy's view, kept current */
    int group, k;
    int lix[DM_MAX_LANGS];      /* scenario language of c.langs[n], -1 when never requested */
    bool in_free[DM_MAX_LANGS]; /* in that language's free list */
    int id_rank;                /* place of c.id in the order of all ids */
    int shifts_on;
    int64_t avail_since;
    double avail_ms, work_ms;
    long offers;
} sim_interp;

typedef struct sim_request {
    uint32_t gen; /* bumped when the slot is released: its events go stale */
    bool live;
    dm_need need;
    int lang, stream;
    uint64_t seq;
    int64_t created, queued, score, session_ms;
    int pending, asked;
    int offers; /* head of its pending offers, -1 when none */
    int *excl, nexcl, capexcl;
    int miss; /* dm_unfilled_reason, -1 before matching ever found nobody */
    bool in_window;
} sim_request;

typedef struct sim_offer {
    uint32_t gen;
    int req, interp, next;
    bool pending, accepts;
} sim_offer;

typedef struct sim_world {
    const sim_scenario *sc;
    sim_policy pol;
    sim_opts opts;
    sim_result *res;
    sim_evq q;
    int64_t now, end_ms;
    sim_interp *in;
    int nin;
    sim_request *req;
    int nreq, capreq, *free_reqs, nfree_reqs;
    sim_offer *off;
    int noff, capoff, free_off;
    int *freel[SIM_MAX_LANGS], nfree[SIM_MAX_LANGS]; /* in free-set order, as dm:free:LANG */
    int *queue[SIM_MAX_LANGS], nqueue[SIM_MAX_LANGS], capqueue[SIM_MAX_LANGS];
    sim_rng rng[SIM_MAX_STREAMS];
    double stream_max[SIM_MAX_STREAMS]; /* thinning bound, arrivals per ms */
    dm_candidate *scratch;
    size_t *order;
    int *pick;
    float *tta;
    long ntta, captta;
    uint64_t req_seq;
    long arrivals, open;
    bool arrivals_done, oom;
} sim_world;

/* match.c: the server's semantics. */
void sim_free_sync(sim_world *w, int i);
void sim_queue_add(sim_world *w, int r);
void sim_match_request(sim_world *w, int r);
void sim_match_interpreter(sim_world *w, int i);
void sim_on_response(sim_world *w, int o, uint32_t gen);
void sim_on_expire(sim_world *w, int o, uint32_t gen);
void sim_on_escalate(sim_world *w, int r, uint32_t gen);
void sim_on_unfill(sim_world *w, int r, uint32_t gen);

/* world.c: bookkeeping match.c calls. */
int64_t sim_tick_ceil(const sim_world *w, int64_t t);
void sim_push(sim_world *w, int64_t t, int kind, int obj, uint32_t gen);
void sim_request_closed(sim_world *w, int r, bool accepted);

#endif
