/* The request state machine as a transition table. It is the only copy: the
 * server passes each Lua script the states an event is allowed from (see
 * dm_req_states_from), so Redis enforces exactly this table. */
#include "dragoman/dispatch.h"

#include <stdio.h>
#include <string.h>

#define NO (-1)

static const int transitions[DM_REQ__COUNT][DM_REV__COUNT] = {
    /*                    ACCEPT           RELEASE           START              END           CANCEL            UNFILL           REASSIGN */
    [DM_REQ_SEARCHING] = {DM_REQ_ASSIGNED, NO, NO, NO, DM_REQ_CANCELLED, DM_REQ_UNFILLED, NO},
    [DM_REQ_ASSIGNED] = {NO, DM_REQ_SEARCHING, DM_REQ_IN_SESSION, NO, DM_REQ_CANCELLED, NO, DM_REQ_ASSIGNED},
    [DM_REQ_IN_SESSION] = {NO, NO, NO, DM_REQ_ENDED, NO, NO, NO},
    [DM_REQ_ENDED] = {NO, NO, NO, NO, NO, NO, NO},
    [DM_REQ_CANCELLED] = {NO, NO, NO, NO, NO, NO, NO},
    [DM_REQ_UNFILLED] = {NO, NO, NO, NO, NO, NO, NO},
};

int dm_req_transition(dm_req_state s, dm_req_event ev)
{
    if ((unsigned)s >= DM_REQ__COUNT || (unsigned)ev >= DM_REV__COUNT)
        return NO;
    return transitions[s][ev];
}

bool dm_req_state_final(dm_req_state s)
{
    return s == DM_REQ_ENDED || s == DM_REQ_CANCELLED || s == DM_REQ_UNFILLED;
}

size_t dm_req_states_from(dm_req_event ev, char *out, size_t outlen)
{
    size_t used = 0;
    if (outlen == 0)
        return 0;
    out[0] = '\0';
    for (int s = 0; s < DM_REQ__COUNT; s++) {
        if (dm_req_transition((dm_req_state)s, ev) == NO)
            continue;
        const char *name = dm_req_state_name((dm_req_state)s);
        size_t need = strlen(name) + (used ? 1 : 0);
        if (used + need >= outlen)
            break;
        used += (size_t)snprintf(out + used, outlen - used, "%s%s", used ? "," : "", name);
    }
    return used;
}
