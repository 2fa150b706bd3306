/* hiredis on libevent, writing without waiting for the loop (store room
 * only; libevent thread). */
#ifndef DM_STORE_EVREDIS_H
#define DM_STORE_EVREDIS_H

#include <event2/event.h>
#include <hiredis/async.h>
#include <stdbool.h>

/* Attaches ac to base in place of redisLibeventAttach. false: out of memory. */
bool dm_evredis_attach(redisAsyncContext *ac, struct event_base *base);

#endif
