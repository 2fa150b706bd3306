/* An interpreter's Web Push devices and settings, and the receipts that say
 * an offer reached a device (proto/README.md "Push"). libevent thread. */
#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dragoman/pushsend.h"
#include "dragoman/token.h"
#include "handlers.h"

/* {on, quiet "HH:MM-HH:MM", modalities csv, {{device, endpoint, p256dh, auth, label}...}} */
cJSON *dm_view_push(const dm_server *srv, const redisReply *r)
{
    cJSON *o = cJSON_CreateObject();
    const char *key = dm_webpush_key(srv);
    cJSON_AddStringToObject(o, "public_key", key ? key : "");
    cJSON_AddBoolToObject(o, "enabled", strcmp(r->element[0]->str, "1") == 0);
    char from[6] = "", to[6] = "";
    if (sscanf(r->element[1]->str, "%5[0-9:]-%5[0-9:]", from, to) == 2) {
        cJSON_AddStringToObject(o, "quiet_from", from);
        cJSON_AddStringToObject(o, "quiet_to", to);
    }
    cJSON *mods = cJSON_AddArrayToObject(o, "modalities");
    char buf[64];
    snprintf(buf, sizeof buf, "%s", r->element[2]->str);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        cJSON_AddItemToArray(mods, cJSON_CreateString(t));
    cJSON *devices = cJSON_AddArrayToObject(o, "devices");
    for (size_t i = 0; i < r->element[3]->elements; i++) {
        const redisReply *d = r->element[3]->element[i];
        if (d->type != REDIS_REPLY_ARRAY || d->elements < 5)
            continue;
        cJSON *dev = cJSON_CreateObject();
        cJSON_AddStringToObject(dev, "device", d->element[0]->str);
        cJSON_AddStringToObject(dev, "label", d->element[4]->str);
        cJSON_AddItemToArray(devices, dev);
    }
    return o;
}

/* {push} to the interpreter, and offers for them if this made them free. */
static void on_push(void *ud, redisReply *reply)
{
    dm_hctx *h = ud;
    if (dm_hctx_failed(h, reply))
        return;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 5) {
        dm_server_error(h->srv, &h->to, DM_ERR_INTERNAL, "internal error");
        free(h);
        return;
    }
    cJSON *data = cJSON_CreateObject();
    if (h->ref[0])
        cJSON_AddStringToObject(data, "device", h->ref);
    cJSON_AddItemToObject(data, "push", dm_view_push(h->srv, reply));
    dm_server_result(h->srv, &h->to, data);
    if (reply->element[4]->integer == 1)
        dm_match_interpreter(h->srv, h->actor.subject);
    free(h);
}

void dm_handle_push_subscribe(dm_hctx *h, const dm_msg *msg)
{
    const dm_push_msg_fields *p = &msg->u.push;
    dm_push_sub sub;
    if (!dm_push_sub_parse(p->endpoint, p->p256dh, p->auth, &sub)) {
        dm_proto_error err = {.code = DM_ERR_BAD_MESSAGE};
        snprintf(err.field, sizeof err.field, "keys.p256dh");
        snprintf(err.message, sizeof err.message, "keys.p256dh: must be an uncompressed P-256 public key");
        dm_server_reject(h->srv, &h->to, &err);
        free(h);
        return;
    }
    /* The same endpoint is the same device: subscribing again updates it. */
    char hash[65];
    dm_token_hash(p->endpoint, hash);
    snprintf(h->ref, sizeof h->ref, "d%.16s", hash);
    dm_num grace = dm_grace(h->srv);
    const char *argv[] = {"sub", h->actor.subject, grace.s, h->ref, p->endpoint, p->p256dh, p->auth, p->label, NULL};
    dm_hctx_run(h, "push", argv, on_push);
}

void dm_handle_push_unsubscribe(dm_hctx *h, const dm_msg *msg)
{
    dm_num grace = dm_grace(h->srv);
    const char *argv[] = {"unsub", h->actor.subject, grace.s, msg->u.push.device, NULL};
    dm_hctx_run(h, "push", argv, on_push);
}

/* The schema allows only known, distinct words; they go to the script as a comma list. */
static void modalities_csv(const char *json, char *out, size_t len)
{
    out[0] = '\0';
    cJSON *a = json[0] ? cJSON_Parse(json) : NULL;
    const cJSON *m;
    size_t used = 0;
    cJSON_ArrayForEach(m, a)
    {
        if (cJSON_IsString(m) && used + strlen(m->valuestring) + 2 < len)
            used += (size_t)snprintf(out + used, len - used, "%s%s", used ? "," : "", m->valuestring);
    }
    cJSON_Delete(a);
}

void dm_handle_push_settings(dm_hctx *h, const dm_msg *msg)
{
    const dm_push_msg_fields *p = &msg->u.push;
    char quiet[16] = "", mods[64];
    if (p->quiet_from[0])
        snprintf(quiet, sizeof quiet, "%.5s-%.5s", p->quiet_from, p->quiet_to);
    modalities_csv(p->modalities, mods, sizeof mods);
    dm_num grace = dm_grace(h->srv);
    const char *argv[] = {"settings", h->actor.subject, grace.s, p->enabled ? "1" : "0", quiet, mods, NULL};
    dm_hctx_run(h, "push", argv, on_push);
}

/* {request, new 0/1, state}: see ack.lua. */
static void on_ack(void *ud, redisReply *reply)
{
    dm_hctx *h = ud;
    if (dm_hctx_failed(h, reply))
        return;
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements >= 2 && reply->element[1]->integer == 1) {
        const char *event = h->ref, *via = h->ref + strlen(h->ref) + 1;
        const char *oid = via + strlen(via) + 1;
        dm_webpush_receipt(h->srv, oid, reply->element[0]->str, h->actor.subject, event, via);
    }
    dm_server_result(h->srv, &h->to, cJSON_CreateObject());
    free(h);
}

void dm_handle_offer_ack(dm_hctx *h, const dm_msg *msg)
{
    /* ref keeps "event\0via\0offer" for the receipt. */
    const char *e = msg->u.ack.event, *v = msg->u.ack.via, *o = msg->u.ack.offer;
    size_t le = strlen(e) + 1, lv = strlen(v) + 1;
    memcpy(h->ref, e, le);
    memcpy(h->ref + le, v, lv);
    memcpy(h->ref + le + lv, o, strlen(o) + 1);
    const char *argv[] = {o, h->actor.subject, e, v, NULL};
    dm_hctx_run(h, "ack", argv, on_ack);
}
