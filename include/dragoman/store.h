/* The store room: Dragoman's one way to Redis, the source of truth. Two
 * hiredis async connections on the libevent thread: one for commands and Lua
 * scripts, one subscribed to the event channel through which several servers
 * sharing a Redis tell each other what to push to whom.
 *
 * Redis going away is a normal event: every pending call is answered with a
 * NULL reply, dm_store_run refuses new work (returns false) until the
 * connection is back, and reconnection runs by itself with backoff. All
 * functions run on the libevent thread. */
#ifndef DRAGOMAN_STORE_H
#define DRAGOMAN_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dragoman/embedded.h"

struct event_base;
struct redisReply;

typedef struct dm_store dm_store;
struct redisContext;

typedef struct dm_redis_addr {
    char host[256]; /* a host name, or the socket path when unix_socket */
    int port;
    int db;
    bool unix_socket;
} dm_redis_addr;

/* redis://host[:port][/db] or unix:///path (or unix:/path). False when malformed. */
bool dm_store_parse_url(const char *url, dm_redis_addr *out);
/* A script's full text as loaded into Redis (the shared definitions it uses,
 * then the script), malloc'd; NULL for an unknown name. src/store/scripts.c. */
char *dm_store_script_text(const char *name);
/* The same from a table of sources ending with {NULL, NULL} (tests). */
char *dm_store_script_compose(const dm_embedded *sources, const char *name);
/* The SHA-1 in hex by which Redis knows a script's text (EVALSHA). */
bool dm_store_script_sha(const char *text, char out[41]);

/* reply is NULL when the connection was lost before an answer; a script's
 * refusal arrives as a REDIS_REPLY_ERROR "code: message" (see dm_store_error). */
typedef void (*dm_store_cb)(void *ud, struct redisReply *reply);
typedef void (*dm_store_status_cb)(void *ud, bool up);
typedef void (*dm_store_message_cb)(void *ud, const char *data, size_t len);

typedef struct dm_store_config {
    const char *url;            /* redis://host:port[/db] or unix:///path.sock */
    const char *channel;        /* pub/sub channel shared by the servers */
    dm_store_status_cb on_status;
    dm_store_message_cb on_message;
    void *ud;
} dm_store_config;

/* Starts connecting; the status callback reports when it is up. NULL for a bad URL. */
dm_store *dm_store_new(struct event_base *base, const dm_store_config *cfg);
bool dm_store_up(const dm_store *s);
/* Runs the Lua script named (a file of src/store/lua without .lua) with argc
 * arguments. Returns false, without calling cb, when Redis is unreachable. */
bool dm_store_run(dm_store *s, const char *script, int argc, const char **argv, const size_t *lens,
                  dm_store_cb cb, void *ud);
/* The same with a NULL-terminated argv of C strings (at most DM_STORE_MAX_ARGS). */
#define DM_STORE_MAX_ARGS 64
bool dm_store_runv(dm_store *s, const char *script, const char *const *argv, dm_store_cb cb, void *ud);
/* Scripts sent and not yet answered: how far Redis is behind. */
size_t dm_store_inflight(const dm_store *s);
/* Publishes an event on the channel: its n fields (C strings) joined by tabs.
 * Events of one turn of the loop go out together at its end, and each
 * reaches on_message by itself. False when Redis is unreachable or a field
 * holds a line break (which separates events in a batch). */
#define DM_STORE_MAX_FIELDS 8
bool dm_store_publish(dm_store *s, const char *const *fields, int n);
/* Splits a script error "code: message" into its parts; false when reply is no error. */
bool dm_store_error(const struct redisReply *reply, char *code, size_t codelen, const char **message);
/* Round trips measured so far, for /metrics: counts per bucket of upper bounds
 * DM_STORE_BUCKETS_US (µs, last bucket +Inf), plus sum in µs. */
#define DM_STORE_NBUCKETS 12
extern const double dm_store_buckets_us[DM_STORE_NBUCKETS];
void dm_store_rtt(const dm_store *s, uint64_t counts[DM_STORE_NBUCKETS], double *sum_us);
/* Disconnects (pending calls get NULL replies) and frees. */
void dm_store_free(dm_store *s);

/* Blocking use, for command-line tools (any thread, never the server's loop). */
struct redisContext *dm_store_sync_connect(const char *url, char *err, size_t errlen);
/* Runs a script with EVAL; the caller frees the reply (NULL on a connection error). */
struct redisReply *dm_store_sync_run(struct redisContext *c, const char *script, int argc, const char **argv);

#endif
