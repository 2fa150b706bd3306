/* A private redis-server owned by this process, for set-ups with no Redis
 * configured: append-only file on, data in a folder of ours, a unix socket and
 * no TCP port. The child is told to die with us (PR_SET_PDEATHSIG) and is
 * stopped with SIGTERM (which flushes the AOF) on every clean exit. */
#ifndef DRAGOMAN_REDISPROC_H
#define DRAGOMAN_REDISPROC_H
#include <stddef.h>

typedef struct dm_redisproc dm_redisproc;

/* Starts redis_server (a binary name or path) with its data under dir (created
 * when missing) and waits until it answers PING, at most timeout_ms. Returns
 * NULL on failure (logged). */
dm_redisproc *dm_redisproc_start(const char *redis_server, const char *dir, int timeout_ms);
/* The unix socket path clients connect to. */
const char *dm_redisproc_socket(const dm_redisproc *p);
/* SIGTERM, wait for exit (SIGKILL after a few seconds), free. NULL is fine. */
void dm_redisproc_stop(dm_redisproc *p);

#endif
