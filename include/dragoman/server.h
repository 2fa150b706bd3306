/* The server room: the dispatch service itself, wiring the network, the
 * protocol, the dispatch policy and the store together on one libevent thread. */
#ifndef DRAGOMAN_SERVER_H
#define DRAGOMAN_SERVER_H
#include <stdbool.h>

#include "dragoman/config.h"

struct event_base;

typedef struct dm_server dm_server;

/* libevent thread. Connects to Redis at redis_url, starts listening and the
 * clock. on_up runs each time the Redis connection comes up (NULL for none).
 * The base must have been made after evthread_use_pthreads(). */
dm_server *dm_server_start(const dm_config *cfg, struct event_base *base, const char *redis_url,
                           void (*on_up)(dm_server *srv));
/* Loads a demo data set (idempotent) and prints its tokens; done(ok) runs when
 * it is stored. False when it cannot even be read. */
bool dm_server_load_demo(dm_server *srv, const char *path, void (*done)(dm_server *srv, bool ok));
/* Tells every client goodbye, closes, frees. */
void dm_server_stop(dm_server *srv);

#endif
