/* A simulated service, read from a JSON file (the files in bench/scenarios and
 * bench/README.md describe the format): the dispatch settings, the clinics and
 * how often they ask for each language by hour and weekday, and the
 * interpreters in groups with their shifts and how they answer offers. */
#ifndef DRAGOMAN_SIM_SCENARIO_H
#define DRAGOMAN_SIM_SCENARIO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dragoman/dispatch.h"
#include "rng.h"

#define SIM_MAX_LANGS 16
#define SIM_MAX_PROFILES 8
#define SIM_MAX_CLINICS 64
#define SIM_MAX_STREAMS 256
#define SIM_MAX_GROUPS 64
#define SIM_MAX_SHIFTS 8
#define SIM_MAX_VARIANTS 8
#define SIM_FANOUT_ALL 50 /* the server's largest offer_fanout: "offer to all" */

/* The server's settings that shape dispatch, in the simulator's units (ms). */
typedef struct sim_policy {
    int fanout;
    int64_t offer_timeout_ms, escalate_after_ms, unfilled_after_ms, scheduled_lead_ms;
    int match_scan; /* free interpreters read per match, as candidates.lua */
    int tick_ms;    /* the server's clock: expiry and escalation happen on its ticks */
} sim_policy;

typedef struct sim_clinic {
    char name[64];
    double modality[DM_MODALITY__COUNT]; /* shares of phone, video, onsite */
    sim_dist session_min;                /* booked length of a session, minutes */
    double gender_preferred, gender_required, female; /* shares of requests; female share of those */
    char specialty[DM_SPECIALTY_MAX + 1];
    double specialty_share;
    double scheduled_share;          /* booked ahead rather than "now" */
    int advance_days_min, advance_days_max; /* booked this many days ahead, at the same time of day */
} sim_clinic;

/* Requests of one language from one clinic: a Poisson stream whose rate
 * follows an hour-of-day profile and a weekday weight. */
typedef struct sim_stream {
    int clinic, lang, profile;
    double per_day;    /* on a weekday of weight 1 */
    double weekday[7]; /* Monday first */
} sim_stream;

typedef struct sim_shift {
    unsigned days;       /* bit d set: works on weekday d (Monday = 0) */
    int from_min, to_min; /* minutes after midnight; to < from runs past midnight */
} sim_shift;

typedef struct sim_group {
    char name[24];
    int count;
    char langs[DM_MAX_LANGS][DM_LANG_MAX + 1];
    dm_level levels[DM_MAX_LANGS];
    int nlangs;
    double female_share;
    unsigned modalities;
    char specialties[DM_MAX_SPECIALTIES][DM_SPECIALTY_MAX + 1];
    int nspecialties;
    sim_shift shifts[SIM_MAX_SHIFTS];
    int nshifts;
    double show;            /* chance of actually being available for a given shift */
    double accept, decline; /* per offer; the rest never answer and the offer expires */
    sim_dist accept_delay_s, decline_delay_s;
} sim_group;

/* "How many of this group must be on shift for target of the language's
 * requests in the window to be met within within_min?" */
typedef struct sim_staffing {
    bool set;
    int group, lang;
    int from_h, to_h;
    double within_min, target;
    int max;
} sim_staffing;

typedef struct sim_compare {
    int fanouts[SIM_MAX_VARIANTS], nfanouts;
    int timeouts_s[SIM_MAX_VARIANTS], ntimeouts;
    int escalates_s[SIM_MAX_VARIANTS], nescalates;
} sim_compare;

typedef struct sim_scenario {
    char name[96];
    uint64_t seed;
    double days;
    int start_weekday;
    sim_policy policy;
    char langs[SIM_MAX_LANGS][DM_LANG_MAX + 1];
    int nlangs;
    double profiles[SIM_MAX_PROFILES][24];
    char profile_names[SIM_MAX_PROFILES][24];
    int nprofiles;
    sim_clinic clinics[SIM_MAX_CLINICS];
    int nclinics;
    sim_stream streams[SIM_MAX_STREAMS];
    int nstreams;
    sim_group groups[SIM_MAX_GROUPS];
    int ngroups;
    sim_staffing staffing;
    sim_compare compare;
} sim_scenario;

/* The server's defaults (config/dragoman.conf). */
void sim_policy_defaults(sim_policy *p);
/* Parses a scenario; on failure returns false with a message naming the field. */
bool sim_scenario_parse(const char *json, sim_scenario *sc, char *err, size_t errlen);
/* Reads and parses a file; malloc'd scenario or NULL with err set. */
sim_scenario *sim_scenario_load(const char *path, char *err, size_t errlen);
/* Index of a scenario language, -1 when absent. */
int sim_scenario_lang(const sim_scenario *sc, const char *code);

#endif
