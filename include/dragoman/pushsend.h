/* Sending Web Push messages (RFC 8030): each is encrypted for one
 * subscription (RFC 8291), signed for its push service (RFC 8292 VAPID) and
 * POSTed with libcurl's multi interface driven by the libevent loop, so a
 * slow or hanging push service delays nothing else. libevent thread. */
#ifndef DRAGOMAN_PUSHSEND_H
#define DRAGOMAN_PUSHSEND_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dragoman/webpush.h"

struct event_base;

#define DM_PUSH_ENDPOINT_MAX 1024

typedef struct dm_pushsend dm_pushsend;

/* A browser's subscription: where to POST and the keys to encrypt for. */
typedef struct dm_push_sub {
    char endpoint[DM_PUSH_ENDPOINT_MAX + 1];
    uint8_t p256dh[DM_WEBPUSH_PUBLIC_LEN];
    uint8_t auth[DM_WEBPUSH_AUTH_LEN];
} dm_push_sub;

typedef struct dm_push_msg {
    const char *payload; /* at most DM_WEBPUSH_MAX_PLAINTEXT bytes */
    int ttl_s;           /* how long the push service may keep it for a phone that is off */
    const char *urgency; /* very-low, low, normal or high */
    const char *topic;   /* a later message with the same topic replaces an undelivered one; "" = none */
} dm_push_msg;

typedef struct dm_push_result {
    long status;        /* the push service's HTTP status; 0 when it gave none (refused, timed out); -1 when dropped at shutdown */
    long retry_after_s; /* its Retry-After in seconds, -1 when absent */
    char error[256];    /* why there was no status (libcurl's words) */
} dm_push_result;

typedef void (*dm_push_done_fn)(void *ud, const dm_push_result *r);

/* Takes ownership of key. subject is the VAPID contact (mailto: or https:);
 * timeout_ms bounds each POST. NULL on failure. */
dm_pushsend *dm_pushsend_new(struct event_base *base, dm_vapid_key *key, const char *subject, long timeout_ms);
/* The application server key (base64url) the browser subscribes with. */
const char *dm_pushsend_public_key(const dm_pushsend *ps);
/* Decodes a subscription's base64url keys; false when any is malformed. */
bool dm_push_sub_parse(const char *endpoint, const char *p256dh, const char *auth, dm_push_sub *out);
/* Starts one POST; done is called exactly once, later, from the loop (never
 * from inside this call). False (done not called) when the message cannot
 * be made: a bad endpoint or key, or a payload too long. */
bool dm_pushsend_send(dm_pushsend *ps, const dm_push_sub *sub, const dm_push_msg *m, dm_push_done_fn done, void *ud);
/* Drops the POSTs in flight, calling each done with status -1, and frees everything. */
void dm_pushsend_free(dm_pushsend *ps);

#endif
