/* Shared by the handler files of the server room. libevent thread. */
#ifndef DRAGOMAN_SERVER_HANDLERS_H
#define DRAGOMAN_SERVER_HANDLERS_H

#include "server.h"

/* One client message in flight: what the reply callback needs once Redis answers. */
typedef struct dm_hctx {
    dm_server *srv;
    dm_reply_to to;
    dm_actor actor;
    /* What the reply callback must remember: the request or offer the message
     * is about, a freshly issued token (which must fit), or the version of
     * the server's copy of CREC a create was sent with. */
    char ref[DM_TOKEN_MAX + 2];
} dm_hctx;

/* Runs a script for a message; on false the client was answered "unavailable"
 * and h freed. argv ends at the first NULL. */
bool dm_hctx_run(dm_hctx *h, const char *script, const char *const *argv, dm_store_cb cb);
/* Answers the script's error and frees h; false (keeping h) when reply is a success. */
bool dm_hctx_failed(dm_hctx *h, const struct redisReply *reply);
/* Replies {"request": view} and frees h. */
void dm_hctx_reply_request(dm_hctx *h, const struct redisReply *hash);
/* The same with the view already printed (dm_view_request_text). */
void dm_hctx_reply_request_as(dm_hctx *h, const char *view);

typedef void (*dm_handler_fn)(dm_hctx *h, const dm_msg *msg);

/* handlers_request.c */
void dm_handle_create(dm_hctx *h, const dm_msg *msg);
void dm_handle_cancel(dm_hctx *h, const dm_msg *msg);
void dm_handle_assign(dm_hctx *h, const dm_msg *msg);
void dm_handle_accept(dm_hctx *h, const dm_msg *msg);
void dm_handle_decline(dm_hctx *h, const dm_msg *msg);
void dm_handle_release(dm_hctx *h, const dm_msg *msg);
void dm_handle_eta(dm_hctx *h, const dm_msg *msg);
/* A session started or ended (by a message or by its call): the request's new
 * state to everyone concerned, the counters, and other work for an
 * interpreter it freed (freed may be NULL or ""). */
void dm_session_changed(dm_server *srv, const struct redisReply *request, const char *freed);
void dm_handle_session(dm_hctx *h, const dm_msg *msg);
void dm_handle_feedback(dm_hctx *h, const dm_msg *msg);
void dm_handle_correct(dm_hctx *h, const dm_msg *msg);

/* handlers_call.c */
void dm_handle_call_join(dm_hctx *h, const dm_msg *msg);
void dm_handle_call_signal(dm_hctx *h, const dm_msg *msg);
void dm_handle_call_state(dm_hctx *h, const dm_msg *msg);
void dm_handle_call_leave(dm_hctx *h, const dm_msg *msg);
void dm_handle_call_chat(dm_hctx *h, const dm_msg *msg);
void dm_handle_call_invite(dm_hctx *h, const dm_msg *msg);

/* handlers_push.c */
void dm_handle_push_subscribe(dm_hctx *h, const dm_msg *msg);
void dm_handle_push_unsubscribe(dm_hctx *h, const dm_msg *msg);
void dm_handle_push_settings(dm_hctx *h, const dm_msg *msg);
void dm_handle_offer_ack(dm_hctx *h, const dm_msg *msg);
/* An interpreter's push settings and devices, from push.lua's {on, quiet,
 * modalities, devices}: what the app shows. */
cJSON *dm_view_push(const dm_server *srv, const struct redisReply *r);

/* The states an event may happen in, as the scripts take them ("a,b"): from
 * the one transition table (src/dispatch/state.c). */
typedef struct { char s[64]; } dm_states;
dm_states dm_states_from(dm_req_event ev);

/* Text forms of numbers for script arguments. */
typedef struct { char s[24]; } dm_num;
dm_num dm_num_of(long long v);
dm_num dm_grace(const dm_server *srv);

#endif
