#include "dragoman/domain.h"

#include <string.h>

static int parse_word(const char *const *names, int count, const char *s)
{
    if (!s)
        return -1;
    for (int i = 0; i < count; i++)
        if (names[i] && strcmp(names[i], s) == 0)
            return i;
    return -1;
}

static const char *name_of(const char *const *names, int count, int v)
{
    return v >= 0 && v < count && names[v] ? names[v] : "";
}

/* "any" is the absence of a gender need, never a word on the wire or in the registry. */
static const char *const modalities[] = {"phone", "video", "onsite"};
static const char *const genders[] = {NULL, "female", "male"};
static const char *const needs[] = {"none", "preferred", "required"};
static const char *const levels[] = {NULL, "volunteer", "trained", "certified"};
static const char *const urgencies[] = {"now", "scheduled"};
static const char *const roles[] = {NULL, "clinic", "interpreter", "coordinator", "guest"};
static const char *const req_states[] = {"searching", "assigned", "in_session", "ended", "cancelled", "unfilled"};
static const char *const offer_states[] = {"pending", "accepted", "declined", "expired", "withdrawn"};

#define WORDS(fn, type, table)                                                                                 \
    const char *dm_##fn##_name(type v) { return name_of(table, (int)(sizeof table / sizeof *table), (int)v); } \
    int dm_##fn##_parse(const char *s) { return parse_word(table, (int)(sizeof table / sizeof *table), s); }

WORDS(modality, dm_modality, modalities)
WORDS(gender, dm_gender, genders)
WORDS(need, dm_need_strength, needs)
WORDS(level, dm_level, levels)
WORDS(urgency, dm_urgency, urgencies)
WORDS(role, dm_role, roles)
WORDS(req_state, dm_req_state, req_states)
WORDS(offer_state, dm_offer_state, offer_states)
