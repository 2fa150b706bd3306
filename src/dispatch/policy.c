/* The matching policy: hard filters, then a ranking that prefers what the
 * request asks for and, among equals, whoever waited longest for work. */
#include "dragoman/dispatch.h"

#include <stdlib.h>
#include <string.h>

dm_level dm_dispatch_level(const dm_candidate *c, const char *language)
{
    for (int i = 0; i < c->nlangs; i++)
        if (strcmp(c->langs[i], language) == 0)
            return c->levels[i];
    return DM_LEVEL_NONE;
}

static bool has_specialty(const dm_candidate *c, const char *specialty)
{
    for (int i = 0; i < c->nspecialties; i++)
        if (strcmp(c->specialties[i], specialty) == 0)
            return true;
    return false;
}

/* The order of the checks decides which reason a rejection reports, and so
 * why an unfilled request says it was unfilled: qualification first, then
 * state, so "nobody with the required gender" is not hidden by "busy". */
dm_reject dm_dispatch_eligible(const dm_need *need, const dm_candidate *c)
{
    if (dm_dispatch_level(c, need->language) == DM_LEVEL_NONE)
        return DM_REJECT_LANGUAGE;
    if (!c->active)
        return DM_REJECT_INACTIVE;
    if (!(c->modalities & (1u << need->modality)))
        return DM_REJECT_MODALITY;
    if (need->gender_need == DM_NEED_REQUIRED && c->gender != need->gender)
        return DM_REJECT_GENDER;
    if (need->specialty[0] && !has_specialty(c, need->specialty))
        return DM_REJECT_SPECIALTY;
    if (c->excluded)
        return DM_REJECT_EXCLUDED;
    if (!c->available)
        return DM_REJECT_UNAVAILABLE;
    if (c->busy)
        return DM_REJECT_BUSY;
    if (c->has_offer)
        return DM_REJECT_OFFERED;
    return DM_REJECT_NONE;
}

static int cmp_int64(int64_t a, int64_t b)
{
    return (a > b) - (a < b);
}

int dm_dispatch_compare(const dm_need *need, const dm_candidate *a, const dm_candidate *b)
{
    if (!need->relaxed) {
        if (need->gender_need == DM_NEED_PREFERRED) {
            bool ga = a->gender == need->gender, gb = b->gender == need->gender;
            if (ga != gb)
                return ga ? -1 : 1;
        }
        int la = dm_dispatch_level(a, need->language), lb = dm_dispatch_level(b, need->language);
        if (la != lb)
            return lb - la;
    }
    int by_time = cmp_int64(a->last_assigned_ms, b->last_assigned_ms);
    if (by_time)
        return by_time;
    return strcmp(a->id, b->id);
}

/* Insertion sort: candidate lists are a few hundred at most (match_scan), the
 * comparison needs context qsort cannot carry, and the sort is stable. */
static void sort_order(const dm_need *need, const dm_candidate *cands, size_t *order, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        size_t v = order[i], j = i;
        while (j > 0 && dm_dispatch_compare(need, &cands[v], &cands[order[j - 1]]) < 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
}

size_t dm_dispatch_rank(const dm_need *need, const dm_candidate *cands, size_t n, size_t *order)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (dm_dispatch_eligible(need, &cands[i]) == DM_REJECT_NONE)
            order[m++] = i;
    sort_order(need, cands, order, m);
    return m;
}

const char *dm_unfilled_reason_name(dm_unfilled_reason r)
{
    static const char *const names[] = {"nobody_online",        "all_declined",         "gender_unavailable",
                                        "specialty_unavailable", "modality_unavailable", "all_busy"};
    return r < DM_UNFILLED__COUNT ? names[r] : "";
}

dm_unfilled_reason dm_dispatch_miss(const dm_need *need, const dm_candidate *cands, size_t n)
{
    size_t seen[DM_REJECT_EXCLUDED + 1] = {0};
    for (size_t i = 0; i < n; i++)
        seen[dm_dispatch_eligible(need, &cands[i])]++;
    size_t speakers = n - seen[DM_REJECT_LANGUAGE] - seen[DM_REJECT_INACTIVE];
    if (speakers == 0)
        return DM_UNFILLED_NOBODY_ONLINE;
    if (seen[DM_REJECT_EXCLUDED] == speakers)
        return DM_UNFILLED_ALL_DECLINED;
    if (seen[DM_REJECT_MODALITY] == speakers)
        return DM_UNFILLED_MODALITY;
    if (seen[DM_REJECT_GENDER] && seen[DM_REJECT_GENDER] + seen[DM_REJECT_MODALITY] + seen[DM_REJECT_EXCLUDED] == speakers)
        return DM_UNFILLED_GENDER;
    if (seen[DM_REJECT_SPECIALTY])
        return DM_UNFILLED_SPECIALTY;
    if (seen[DM_REJECT_BUSY] + seen[DM_REJECT_OFFERED])
        return DM_UNFILLED_ALL_BUSY;
    return DM_UNFILLED_NOBODY_ONLINE;
}
