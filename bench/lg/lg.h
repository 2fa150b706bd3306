/* The load generator's shared state: interpreter and clinic agents on real
 * WebSocket connections, their timers, the requests they follow and the
 * latencies measured, all on one thread (bench/README.md). */
#ifndef DRAGOMAN_LG_H
#define DRAGOMAN_LG_H
#include <stdbool.h>
#include <stdint.h>

#include "../sim/evq.h"
#include "net.h"

enum { LG_INTERP, LG_CLINIC };
enum { PH_DOWN, PH_HELLO, PH_PRESENCE, PH_READY };
enum { T_PACE, T_ANSWER, T_END, T_PING, T_RECONNECT, T_UPGRADE, T_RETRY, T_HELLO, T_CANCEL };

typedef struct lg_agent {
    lg_conn conn;
    int role, k, phase;
    bool opening;       /* connecting or upgrading */
    bool ever_open;     /* a first connection succeeded */
    uint32_t ping_gen;  /* heartbeat timers of an earlier connection are stale */
    uint32_t offer;     /* number of the pending offer held, 0 when none */
    uint32_t offer_rid;
    bool offer_accepts;
    int attempts;       /* failed connects in a row */
    uint32_t connects;  /* connections begun: timers of an earlier one are stale */
} lg_agent;

typedef struct lg_opts {
    char host[64];
    int port;
    int interpreters, clinics;
    char langs[8][4];
    int nlangs;
    double rate;       /* open loop: requests per second */
    int inflight;      /* closed loop: cycles kept going */
    double warmup_s, duration_s, drain_s;
    double accept, decline;     /* per offer; the rest never answer */
    double delay_min_ms, delay_max_ms; /* before answering */
    double session_ms;           /* between session.start and session.end */
    double cancel;               /* per request: its clinic cancels it */
    double cancel_min_ms, cancel_max_ms; /* after the create's result */
    double ping_s;               /* interpreter heartbeat */
    double reconnect_jitter_ms;
    int connect_window;          /* connects in flight at once */
    int max_conns;               /* descriptors this process may use for connections */
    uint64_t seed;
    char run_tag[24];            /* makes idempotency keys unique per run */
} lg_opts;

/* One latency series in microseconds. */
typedef struct lg_samples {
    float *v;
    long n, cap;
} lg_samples;

typedef struct lg_req {
    uint32_t rid;
    double t_create, t_offer, t_accept; /* µs, 0 when not seen */
    bool assigned_seen;
} lg_req;

typedef struct lg_counts {
    long creates, create_results, create_errors, offers, accepts, accepted, conflicts, declines;
    long withdrawn_taken, withdrawn_expired, withdrawn_other, unfilled, starts, cycles, errors, byes;
    long connect_failures, closes, reconnects;
    long cancels, cancelled, cancel_conflicts, withdrawn_cancelled;
    long shed;          /* creates refused as busy, then sent again */
    long hello_retries; /* hellos refused as unavailable, then sent again */
} lg_counts;

typedef struct lg {
    lg_opts o;
    lg_net net;
    lg_agent *agents; /* clinics first, then interpreters */
    int nagents, next_connect, connecting, ready_interp, ready_clinic;
    int unconnectable; /* given up: no descriptor here, or never answered by the server */
    int unanswered;    /* of those, connections the server never upgraded */
    int refused;       /* of those, first connections refused or reset again and again */
    sim_evq timers;
    lg_req *reqs;     /* open addressing by request number */
    uint32_t reqmask;
    double *create_t; /* by create sequence */
    unsigned char *create_tries; /* refusals as busy so far, by create sequence */
    uint32_t ncreate, capcreate;
    lg_counts c;
    lg_samples dispatch, accept, withdraw;
    bool measuring, creating, reconnect;
    double t0;        /* when creating started */
    uint64_t rng;
} lg;

double lg_now_us(void);

/* agent.c */
bool lg_init(lg *g, const lg_opts *o);
void lg_free(lg *g);
/* Starts connecting every agent not yet connected, connect_window at a time. */
void lg_connect_more(lg *g);
/* Runs the loop until done(g) or timeout; true when done. */
bool lg_run_until(lg *g, bool (*done)(const lg *g), double timeout_s);
/* Starts creating requests (open loop at o.rate, or o.inflight cycles). */
void lg_start_creating(lg *g);
long lg_inflight(const lg *g);
/* Sends one request.create now; false when no clinic is ready. */
bool lg_create(lg *g);

/* track.c */
bool lg_track_init(lg *g, uint32_t slots);
lg_req *lg_req_get(lg *g, uint32_t rid);
void lg_sample(lg_samples *s, double us);
/* q-quantile in ms (sorts). */
double lg_quantile_ms(lg_samples *s, double q);
uint32_t lg_number(const char *id); /* "r123" / "o45" -> 123 / 45, 0 when malformed */
double lg_uniform(lg *g);

#endif
