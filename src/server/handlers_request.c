/* Request-level client messages: create, cancel, assign, accept, decline,
 * release, start, end, feedback. Each is one Lua script; the callback answers
 * the client, pushes the change to everyone concerned and restarts matching
 * where someone became free. libevent thread. */
#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dragoman/clock.h"
#include "dragoman/log.h"
#include "dragoman/report.h"
#include "handlers.h"

dm_states dm_states_from(dm_req_event ev)
{
    dm_states st;
    dm_req_states_from(ev, st.s, sizeof st.s);
    return st;
}

/* h->ref: the version of srv->crecs the call was made with. */
static void on_created(void *ud, redisReply *reply)
{
    dm_hctx *h = ud;
    if (dm_hctx_failed(h, reply))
        return;
    dm_server *srv = h->srv;
    bool fresh = reply->element[0]->integer == 1;
    char sent[sizeof h->ref];
    snprintf(sent, sizeof sent, "%s", h->ref);
    int64_t since = h->to.received_us;
    if (!fresh) {
        dm_hctx_reply_request(h, reply->element[1]);
        return;
    }
    char *view = dm_view_request_text(reply->element[1]);
    dm_hctx_reply_request_as(h, view);
    srv->counters.requests_created++;
    dm_push_request_as(srv, reply->element[1], view);
    free(view);
    dm_match_created(srv, sent, reply, since);
}

/* Redis far behind: a new request would only wait behind the others, so the
 * clinic is told at once instead (its idempotency key makes the retry safe),
 * and the work already accepted keeps its pace. */
static bool overloaded(dm_hctx *h)
{
    size_t limit = (size_t)h->srv->cfg->max_backlog;
    if (!limit || dm_store_inflight(h->srv->store) < limit)
        return false;
    h->srv->counters.requests_shed++;
    dm_server_error(h->srv, &h->to, DM_ERR_UNAVAILABLE, "the service is overloaded; nothing was done, try again in a few seconds");
    free(h);
    return true;
}

void dm_handle_create(dm_hctx *h, const dm_msg *msg)
{
    if (overloaded(h))
        return;
    const dm_request_spec *r = &msg->u.create;
    dm_num esc = dm_num_of((long long)h->srv->cfg->escalate_after_s * 1000);
    dm_num lead = dm_num_of((long long)h->srv->cfg->scheduled_lead_s * 1000);
    dm_num start = dm_num_of((long long)r->start_at), dur = dm_num_of(r->duration_min);
    const char *gender = r->gender == DM_GENDER_ANY ? "" : dm_gender_name(r->gender);
    const char *need = r->gender == DM_GENDER_ANY ? "" : dm_need_name(r->gender_need);
    dm_num scan = dm_num_of(h->srv->cfg->match_scan);
    snprintf(h->ref, sizeof h->ref, "%s", dm_match_known(h->srv));
    const char *argv[32] = {h->actor.subject, r->idempotency_key, esc.s, lead.s, scan.s, h->ref,
                            "language", r->language, "modality", dm_modality_name(r->modality),
                            "urgency", dm_urgency_name(r->urgency), "start_at", start.s,
                            "duration_min", dur.s};
    int n = 16;
    /* Optional words are left out rather than stored empty. */
    const char *opt[][2] = {{"gender", gender}, {"gender_need", need}, {"specialty", r->specialty},
                            {"location", r->location}, {"note", r->note}};
    for (size_t i = 0; i < sizeof opt / sizeof *opt; i++)
        if (opt[i][1][0]) {
            argv[n++] = opt[i][0];
            argv[n++] = opt[i][1];
        }
    argv[n] = NULL;
    dm_hctx_run(h, "create", argv, on_created);
}

static void on_cancelled(void *ud, redisReply *reply)
{
    dm_hctx *h = ud;
    if (dm_hctx_failed(h, reply))
        return;
    dm_server *srv = h->srv;
    const redisReply *request = reply->element[0];
    char rid[DM_ID_MAX + 1], freed[DM_ID_MAX + 1];
    snprintf(rid, sizeof rid, "%s", dm_view_field(request, "id"));
    snprintf(freed, sizeof freed, "%s", reply->element[2]->str ? reply->element[2]->str : "");
    srv->counters.requests_cancelled++;
    char *view = dm_view_request_text(request);
    dm_push_request_as(srv, request, view);
    dm_push_withdrawn(srv, reply->element[1], 0, rid, "cancelled", NULL);
    if (freed[0])
        dm_match_interpreter(srv, freed);
    dm_hctx_reply_request_as(h, view);
    free(view);
}

void dm_handle_cancel(dm_hctx *h, const dm_msg *msg)
{
    dm_states from = dm_states_from(DM_REV_CANCEL);
    dm_num grace = dm_grace(h->srv);
    const char *reason = msg->u.ref.reason[0] ? msg->u.ref.reason : "cancelled";
    const char *argv[] = {msg->u.ref.request, dm_role_name(h->actor.role), h->actor.subject, reason, from.s, grace.s,
                          dm_report_zone_arg(dm_now_ms()), NULL};
    dm_hctx_run(h, "cancel", argv, on_cancelled);
}

/* The previous assignee no longer appears on the request: tell them directly,
 * then look for other work for them. */
static void push_job_gone(dm_server *srv, const redisReply *request, const char *iid)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "request", dm_view_field(request, "id"));
    cJSON_AddStringToObject(body, "reason", "reassigned");
    dm_push_interpreter(srv, iid, dm_proto_push("job.withdrawn", body));
    dm_match_interpreter(srv, iid);
}

static void on_assigned(void *ud, redisReply *reply)
{
    dm_hctx *h = ud;
    if (dm_hctx_failed(h, reply))
        return;
    const redisReply *request = reply->element[0];
    char rid[DM_ID_MAX + 1];
    snprintf(rid, sizeof rid, "%s", dm_view_field(request, "id"));
    const char *freed = reply->element[2]->str ? reply->element[2]->str : "";
    const redisReply *elsewhere = reply->element[3];
    char *view = dm_view_request_text(request);
    dm_push_request_as(h->srv, request, view);
    dm_push_withdrawn(h->srv, reply->element[1], 0, rid, "taken", NULL);
    if (freed[0])
        push_job_gone(h->srv, request, freed);
    /* The interpreter's offer for another request is gone: that request looks again. */
    if (elsewhere->elements == 2) {
        char other[DM_ID_MAX + 1];
        snprintf(other, sizeof other, "%s", elsewhere->element[1]->str);
        dm_push_offer_withdrawn(h->srv, elsewhere->element[0]->str, dm_view_field(request, "interpreter"), other,
                                "reassigned");
        dm_match_request(h->srv, other);
    }
    dm_hctx_reply_request_as(h, view);
    free(view);
}

void dm_handle_assign(dm_hctx *h, const dm_msg *msg)
{
    dm_states from = dm_states_from(DM_REV_ACCEPT), refrom = dm_states_from(DM_REV_REASSIGN);
    dm_num grace = dm_grace(h->srv);
    const char *argv[] = {msg->u.assign.request, msg->u.assign.interpreter, h->actor.subject, msg->u.assign.reason,
                          from.s, refrom.s, grace.s, NULL};
    dm_hctx_run(h, "assign", argv, on_assigned);
}

/* Time to accept, in the buckets of /metrics' histogram (seconds). */
static void count_accept(dm_counters *c, const redisReply *request)
{
    double ms = (double)(dm_view_int(request, "accepted_at") - dm_view_int(request, "created_at"));
    dm_metrics_observe(dm_accept_bounds_ms, DM_ACCEPT_NBUCKETS, c->accept_ms_buckets, &c->accept_ms_sum, ms);
    c->offers_accepted++;
}

static void on_accepted(void *ud, redisReply *reply)
{
    dm_hctx *h = ud;
    if (dm_hctx_failed(h, reply))
        return;
    const redisReply *request = reply->element[0];
    char rid[DM_ID_MAX + 1];
    snprintf(rid, sizeof rid, "%s", dm_view_field(request, "id"));
    count_accept(&h->srv->counters, request);
    char *view = dm_view_request_text(request);
    dm_push_request_as(h->srv, request, view);
    dm_push_withdrawn(h->srv, reply->element[1], 0, rid, "taken", reply->element[2]);
    dm_webpush_withdrawn(h->srv, h->actor.subject, h->ref, "accepted");
    dm_hctx_reply_request_as(h, view);
    free(view);
}

void dm_handle_accept(dm_hctx *h, const dm_msg *msg)
{
    dm_states from = dm_states_from(DM_REV_ACCEPT);
    dm_num grace = dm_grace(h->srv);
    dm_num eta = dm_num_of(msg->u.offer.eta_min);
    /* The offer's notification must go from the interpreter's other phones. */
    snprintf(h->ref, sizeof h->ref, "%s", msg->u.offer.offer);
    const char *argv[] = {msg->u.offer.offer, h->actor.subject, from.s, grace.s, dm_report_zone_arg(dm_now_ms()),
                          eta.s, NULL};
    dm_hctx_run(h, "accept", argv, on_accepted);
}

/* {request hash}: the changed request to everyone concerned, and as the reply. */
static void on_changed(void *ud, redisReply *reply)
{
    dm_hctx *h = ud;
    if (dm_hctx_failed(h, reply))
        return;
    char *view = dm_view_request_text(reply->element[0]);
    dm_push_request_as(h->srv, reply->element[0], view);
    dm_hctx_reply_request_as(h, view);
    free(view);
}

void dm_handle_eta(dm_hctx *h, const dm_msg *msg)
{
    dm_num eta = dm_num_of(msg->u.eta.eta_min);
    const char *argv[] = {msg->u.eta.request, h->actor.subject, eta.s, NULL};
    dm_hctx_run(h, "eta", argv, on_changed);
}

/* The request looks for someone else, and the interpreter for other work.
 * ref is the declined offer ("" for a release). */
static void on_handed_back(void *ud, redisReply *reply)
{
    dm_hctx *h = ud;
    if (dm_hctx_failed(h, reply))
        return;
    dm_server *srv = h->srv;
    char rid[DM_ID_MAX + 1], iid[DM_ID_MAX + 1];
    snprintf(rid, sizeof rid, "%s", dm_view_field(reply->element[0], "id"));
    snprintf(iid, sizeof iid, "%s", h->actor.subject);
    dm_push_request(srv, reply->element[0]);
    if (h->ref[0])
        dm_webpush_withdrawn(srv, iid, h->ref, "declined");
    dm_server_result(srv, &h->to, cJSON_CreateObject());
    free(h);
    dm_match_request(srv, rid);
    dm_match_interpreter(srv, iid);
}

void dm_handle_decline(dm_hctx *h, const dm_msg *msg)
{
    dm_num grace = dm_grace(h->srv);
    h->srv->counters.offers_declined++;
    snprintf(h->ref, sizeof h->ref, "%s", msg->u.offer.offer);
    const char *argv[] = {msg->u.offer.offer, h->actor.subject, msg->u.offer.reason, grace.s,
                          dm_report_zone_arg(dm_now_ms()), NULL};
    dm_hctx_run(h, "decline", argv, on_handed_back);
}

void dm_handle_release(dm_hctx *h, const dm_msg *msg)
{
    dm_states from = dm_states_from(DM_REV_RELEASE);
    dm_num grace = dm_grace(h->srv);
    dm_num esc = dm_num_of((long long)h->srv->cfg->escalate_after_s * 1000);
    dm_num unf = dm_num_of((long long)h->srv->cfg->unfilled_after_s * 1000);
    const char *argv[] = {msg->u.ref.request, h->actor.subject, msg->u.ref.reason, from.s, grace.s, esc.s, unf.s,
                          NULL};
    dm_hctx_run(h, "release", argv, on_handed_back);
}

static void session_changed(dm_server *srv, const redisReply *request, const char *freed, const char *view)
{
    if (request->type != REDIS_REPLY_ARRAY || request->elements == 0)
        return;
    if (strcmp(dm_view_field(request, "state"), "ended") == 0)
        srv->counters.sessions_ended++;
    else
        srv->counters.sessions_started++;
    dm_push_request_as(srv, request, view);
    if (freed && freed[0])
        dm_match_interpreter(srv, freed);
}

void dm_session_changed(dm_server *srv, const redisReply *request, const char *freed)
{
    session_changed(srv, request, freed, NULL);
}

static void on_session(void *ud, redisReply *reply)
{
    dm_hctx *h = ud;
    if (dm_hctx_failed(h, reply))
        return;
    char *view = dm_view_request_text(reply->element[0]);
    /* The freed interpreter looks for work only when session.lua found some may wait. */
    const char *freed = reply->element[2]->integer == 1 ? reply->element[1]->str : NULL;
    session_changed(h->srv, reply->element[0], freed, view);
    dm_hctx_reply_request_as(h, view);
    free(view);
}

void dm_handle_session(dm_hctx *h, const dm_msg *msg)
{
    bool start = msg->type == DM_MSG_SESSION_START;
    dm_states from = dm_states_from(start ? DM_REV_START : DM_REV_END);
    dm_num grace = dm_grace(h->srv);
    const char *argv[] = {msg->u.ref.request, dm_role_name(h->actor.role), h->actor.subject, from.s,
                          grace.s, dm_report_zone_arg(dm_now_ms()), NULL};
    /* A start needs only the first four. */
    if (start)
        argv[4] = NULL;
    dm_hctx_run(h, start ? "session_start" : "session", argv, on_session);
}

static void on_feedback(void *ud, redisReply *reply)
{
    dm_hctx *h = ud;
    if (dm_hctx_failed(h, reply))
        return;
    dm_push_request(h->srv, reply->element[0]);
    dm_server_result(h->srv, &h->to, cJSON_CreateObject());
    free(h);
}

void dm_handle_feedback(dm_hctx *h, const dm_msg *msg)
{
    dm_num rating = dm_num_of(msg->u.feedback.rating);
    const char *argv[] = {msg->u.feedback.request, dm_role_name(h->actor.role), h->actor.subject, rating.s,
                          msg->u.feedback.comment, NULL};
    dm_hctx_run(h, "feedback", argv, on_feedback);
}

void dm_handle_correct(dm_hctx *h, const dm_msg *msg)
{
    dm_num started = dm_num_of((long long)msg->u.correct.started_at);
    dm_num ended = dm_num_of((long long)msg->u.correct.ended_at);
    const char *argv[] = {msg->u.correct.request, h->actor.subject, started.s, ended.s, msg->u.correct.reason,
                          dm_report_zone_arg(dm_now_ms()), NULL};
    dm_hctx_run(h, "correct", argv, on_changed);
}
