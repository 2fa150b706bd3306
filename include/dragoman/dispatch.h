/* The dispatch room: the matching policy and the request state machine. No I/O
 * of its own, so the server and the simulator run exactly the same decisions:
 * the server feeds it candidates read from Redis, the simulator feeds it
 * candidates from its virtual world. Any thread; no globals. */
#ifndef DRAGOMAN_DISPATCH_H
#define DRAGOMAN_DISPATCH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dragoman/domain.h"

#define DM_MAX_LANGS 8
#define DM_MAX_SPECIALTIES 8

/* What a request needs. Built from a request and its escalation stage. */
typedef struct dm_need {
    char language[DM_LANG_MAX + 1];
    dm_modality modality;
    dm_gender gender;
    dm_need_strength gender_need;
    char specialty[DM_SPECIALTY_MAX + 1]; /* "" when none: a specialty is a hard filter */
    bool relaxed;                          /* escalated: preferred gender and level no longer rank */
} dm_need;

/* One interpreter as the policy sees it: the registry entry plus live state. */
typedef struct dm_candidate {
    char id[DM_ID_MAX + 1];
    char langs[DM_MAX_LANGS][DM_LANG_MAX + 1];
    dm_level levels[DM_MAX_LANGS];
    int nlangs;
    dm_gender gender;
    unsigned modalities; /* bit (1u << dm_modality) */
    char specialties[DM_MAX_SPECIALTIES][DM_SPECIALTY_MAX + 1];
    int nspecialties;
    bool active;
    bool available;      /* chose "available" and heartbeats are fresh */
    bool busy;           /* holds a job */
    bool has_offer;      /* holds a pending offer */
    bool excluded;       /* already declined, let expire or released this request */
    int64_t last_assigned_ms; /* 0 when never assigned */
} dm_candidate;

typedef enum {
    DM_REJECT_NONE,
    DM_REJECT_LANGUAGE,
    DM_REJECT_MODALITY,
    DM_REJECT_GENDER,
    DM_REJECT_SPECIALTY,
    DM_REJECT_INACTIVE,
    DM_REJECT_UNAVAILABLE,
    DM_REJECT_BUSY,
    DM_REJECT_OFFERED,
    DM_REJECT_EXCLUDED,
} dm_reject;

/* The hard filters: DM_REJECT_NONE when c may be offered the request. */
dm_reject dm_dispatch_eligible(const dm_need *need, const dm_candidate *c);
/* c's level in the language, DM_LEVEL_NONE when c does not speak it. */
dm_level dm_dispatch_level(const dm_candidate *c, const char *language);
/* Ranking order: negative when a should be offered before b. Soft preferences
 * first (preferred gender, then level, both ignored once relaxed), then fairness:
 * least recently assigned first, ties broken by id so the order is total. */
int dm_dispatch_compare(const dm_need *need, const dm_candidate *a, const dm_candidate *b);
/* Fills order[] with the indexes of the eligible candidates, best first; returns
 * how many. order must hold n entries. */
size_t dm_dispatch_rank(const dm_need *need, const dm_candidate *cands, size_t n, size_t *order);

/* Why a request that found nobody found nobody, from the rejections seen. */
typedef enum {
    DM_UNFILLED_NOBODY_ONLINE,   /* nobody speaking the language was available */
    DM_UNFILLED_ALL_DECLINED,    /* offers were made; every one was declined or expired */
    DM_UNFILLED_GENDER,          /* only the required gender was missing */
    DM_UNFILLED_SPECIALTY,
    DM_UNFILLED_MODALITY,
    DM_UNFILLED_ALL_BUSY,
    DM_UNFILLED__COUNT
} dm_unfilled_reason;
const char *dm_unfilled_reason_name(dm_unfilled_reason r);
/* Why none of the n candidates was eligible (call when dm_dispatch_rank found
 * none): a missing qualification when one explains it, else declines or absence. */
dm_unfilled_reason dm_dispatch_miss(const dm_need *need, const dm_candidate *cands, size_t n);

/* The request state machine. Events are what may happen to a request. */
typedef enum {
    DM_REV_ACCEPT,   /* an interpreter accepted (or a coordinator assigned) */
    DM_REV_RELEASE,  /* the interpreter gave the job back before it started */
    DM_REV_START,
    DM_REV_END,
    DM_REV_CANCEL,
    DM_REV_UNFILL,   /* escalation gave up */
    DM_REV_REASSIGN, /* a coordinator moves an assigned job to another interpreter */
    DM_REV__COUNT
} dm_req_event;

/* The state after ev in state s, or -1 when ev is not allowed in s. */
int dm_req_transition(dm_req_state s, dm_req_event ev);
/* Writes the comma-separated names of the states ev is allowed from into out
 * (the form the Lua scripts take); returns the length written. */
size_t dm_req_states_from(dm_req_event ev, char *out, size_t outlen);
/* True for ended, cancelled and unfilled. */
bool dm_req_state_final(dm_req_state s);

#endif
