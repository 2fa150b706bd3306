/* The registry's writers: the coordinators' admin API and the demo loader,
 * both through dm_registry_upsert_args. libevent thread. */
#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dragoman/log.h"
#include "dragoman/registry.h"
#include "dragoman/token.h"
#include "handlers.h"

static cJSON *hash_object(const redisReply *h)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; h && i + 1 < h->elements; i += 2)
        cJSON_AddStringToObject(o, h->element[i]->str, h->element[i + 1]->str);
    return o;
}

static void on_admin_reply(void *ud, redisReply *reply)
{
    dm_hctx *h = ud;
    if (dm_hctx_failed(h, reply))
        return;
    cJSON *data;
    if (reply->type == REDIS_REPLY_INTEGER) {
        data = cJSON_CreateObject();
        dm_proto_add_int(data, "count", reply->integer);
    } else if (h->ref[0] == 'L') {
        data = cJSON_CreateArray();
        for (size_t i = 0; i < reply->elements; i++)
            cJSON_AddItemToArray(data, hash_object(reply->element[i]));
    } else if (reply->elements == 0) {
        dm_server_error(h->srv, &h->to, DM_ERR_NOT_FOUND, "no such entry");
        free(h);
        return;
    } else {
        data = hash_object(reply);
    }
    dm_server_result(h->srv, &h->to, data);
    free(h);
}

static void on_token_issued(void *ud, redisReply *reply)
{
    dm_hctx *h = ud;
    if (dm_hctx_failed(h, reply))
        return;
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "token", h->ref + 1);
    dm_server_result(h->srv, &h->to, data);
    free(h);
}

/* Redis has forgotten the token(s); connections already made with them must
 * go too, on every server. */
static void on_revoked(void *ud, redisReply *reply)
{
    dm_hctx *h = ud;
    if (dm_hctx_failed(h, reply))
        return;
    dm_server_revoke(h->srv, h->ref);
    cJSON *data = cJSON_CreateObject();
    dm_proto_add_int(data, "count", reply->integer);
    dm_server_result(h->srv, &h->to, data);
    free(h);
}

static void tokens(dm_hctx *h, const char *method, const char *rest, const cJSON *body)
{
    dm_proto_error err;
    if (strcmp(method, "POST") != 0 || (strcmp(rest, "") != 0 && strcmp(rest, "/revoke") != 0)) {
        dm_server_error(h->srv, &h->to, DM_ERR_NOT_FOUND, "use POST /api/admin/tokens or /api/admin/tokens/revoke");
        free(h);
        return;
    }
    if (!body) {
        dm_server_error(h->srv, &h->to, DM_ERR_BAD_JSON, "the body must be a JSON object");
        free(h);
        return;
    }
    if (!dm_proto_validate(rest[0] ? "admin.revoke" : "admin.token", body, &err)) {
        dm_server_reject(h->srv, &h->to, &err);
        free(h);
        return;
    }
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(body, "role");
    const cJSON *subject = cJSON_GetObjectItemCaseSensitive(body, "subject");
    const cJSON *token = cJSON_GetObjectItemCaseSensitive(body, "token");
    char hash[65];
    if (rest[0] && cJSON_IsString(token)) {
        dm_token_hash(token->valuestring, hash);
        snprintf(h->ref, sizeof h->ref, "t:%s", hash);
        const char *argv[] = {"revoke", hash, NULL};
        dm_hctx_run(h, "token", argv, on_revoked);
        return;
    }
    if (rest[0]) {
        snprintf(h->ref, sizeof h->ref, "s:%s:%s", role->valuestring, subject->valuestring);
        const char *argv[] = {"revoke_all", role->valuestring, subject->valuestring, NULL};
        dm_hctx_run(h, "token", argv, on_revoked);
        return;
    }
    char tok[DM_TOKEN_MAX];
    if (!dm_token_new(role->valuestring, tok, sizeof tok)) {
        dm_server_error(h->srv, &h->to, DM_ERR_INTERNAL, "no randomness for a token");
        free(h);
        return;
    }
    snprintf(h->ref, sizeof h->ref, "T%s", tok);
    dm_token_hash(tok, hash);
    const char *argv[] = {"issue", hash, role->valuestring, subject->valuestring, NULL};
    dm_hctx_run(h, "token", argv, on_token_issued);
}

static void registry(dm_hctx *h, const char *kind, const char *method, const char *id, const cJSON *body)
{
    char key[DM_ID_MAX + 4];
    if (strcmp(method, "GET") == 0 && !id) {
        char list[16];
        snprintf(list, sizeof list, "%ss", kind);
        h->ref[0] = 'L';
        const char *argv[] = {list, NULL};
        dm_hctx_run(h, "list", argv, on_admin_reply);
        return;
    }
    if (strcmp(method, "GET") == 0 && dm_registry_valid_id(id)) {
        snprintf(key, sizeof key, "%s:%s", dm_registry_prefix(kind), id);
        const char *argv[] = {key, NULL};
        dm_hctx_run(h, "get", argv, on_admin_reply);
        return;
    }
    if (strcmp(method, "PUT") != 0 || !id) {
        dm_server_error(h->srv, &h->to, DM_ERR_NOT_FOUND, "use GET or PUT /api/admin/%ss/ID", kind);
        free(h);
        return;
    }
    dm_registry_args f;
    dm_proto_error err = {.code = DM_ERR_BAD_JSON};
    long long grace = (long long)h->srv->cfg->heartbeat_grace_s * 1000;
    if (!cJSON_IsObject(body) || !dm_registry_upsert_args(kind, id, body, grace, &f, &err)) {
        if (!cJSON_IsObject(body))
            err = (dm_proto_error){.code = DM_ERR_BAD_JSON, .message = "the body must be a JSON object"};
        dm_server_reject(h->srv, &h->to, &err);
        free(h);
        return;
    }
    dm_hctx_run(h, "upsert", f.argv, on_admin_reply);
}

void dm_admin_handle(dm_server *srv, const dm_actor *actor, const dm_reply_to *to, const char *method,
                     const char *path, const cJSON *body)
{
    if (actor->role != DM_ROLE_COORDINATOR) {
        dm_server_error(srv, to, DM_ERR_FORBIDDEN, "the admin API is for coordinators");
        return;
    }
    dm_hctx *h = calloc(1, sizeof *h);
    if (!h)
        return;
    *h = (dm_hctx){.srv = srv, .to = *to, .actor = *actor};
    static const char *const kinds[] = {"interpreter", "clinic", "coordinator"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(kinds[i]);
        if (path[0] == '/' && strncmp(path + 1, kinds[i], n) == 0 && path[n + 1] == 's' &&
            (path[n + 2] == '\0' || path[n + 2] == '/')) {
            registry(h, kinds[i], method, path[n + 2] ? path + n + 3 : NULL, body);
            return;
        }
    }
    if (strncmp(path, "/tokens", 7) == 0) {
        tokens(h, method, path + 7, body);
        return;
    }
    dm_server_error(srv, to, DM_ERR_NOT_FOUND, "no admin resource %s", path);
    free(h);
}

/* The demo loader: every entry and token of the file, pipelined; done() runs
 * when the last answer is in. */
typedef struct demo {
    dm_server *srv;
    void (*done)(dm_server *srv, bool ok);
    int outstanding;
    bool ok;
} demo;

static void on_demo_reply(void *ud, redisReply *reply)
{
    demo *d = ud;
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        dm_error("demo data: %s", reply ? reply->str : "storage unreachable");
        d->ok = false;
    }
    if (--d->outstanding == 0) {
        d->done(d->srv, d->ok);
        free(d);
    }
}

static void demo_run(demo *d, const char *script, const char *const *argv)
{
    if (dm_store_runv(d->srv->store, script, argv, on_demo_reply, d))
        d->outstanding++;
    else
        d->ok = false;
}

static void demo_entries(demo *d, const cJSON *root, const char *kind, const char *list)
{
    const cJSON *e;
    long long grace = (long long)d->srv->cfg->heartbeat_grace_s * 1000;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(root, list))
    {
        cJSON *doc = cJSON_Duplicate(e, 1);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id"), *token = cJSON_GetObjectItemCaseSensitive(e, "token");
        cJSON_DeleteItemFromObject(doc, "id");
        cJSON_DeleteItemFromObject(doc, "token");
        dm_registry_args f;
        dm_proto_error err = {.message = "an entry needs a string id and token"};
        if (!cJSON_IsString(id) || !cJSON_IsString(token) ||
            !dm_registry_upsert_args(kind, id->valuestring, doc, grace, &f, &err)) {
            dm_error("demo data: a %s entry is invalid: %s", kind, err.message);
            d->ok = false;
            cJSON_Delete(doc);
            continue;
        }
        demo_run(d, "upsert", f.argv);
        char hash[65];
        dm_token_hash(token->valuestring, hash);
        const char *argv[] = {"issue", hash, kind, id->valuestring, NULL};
        demo_run(d, "token", argv);
        printf("  %-12s %-14s %s\n", kind, id->valuestring, token->valuestring);
        cJSON_Delete(doc);
    }
}

bool dm_server_load_demo(dm_server *srv, const char *path, void (*done)(dm_server *srv, bool ok))
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        dm_error("demo data: cannot open %s", path);
        return false;
    }
    char *text = malloc(1 << 20);
    size_t n = text ? fread(text, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    cJSON *root = text ? cJSON_ParseWithLength(text, n) : NULL;
    free(text);
    demo *d = calloc(1, sizeof *d);
    if (!root || !d) {
        dm_error("demo data: %s is not JSON", path);
        cJSON_Delete(root);
        free(d);
        return false;
    }
    *d = (demo){.srv = srv, .done = done, .outstanding = 1, .ok = true};
    printf("Demo data from %s; tokens:\n", path);
    demo_entries(d, root, "clinic", "clinics");
    demo_entries(d, root, "interpreter", "interpreters");
    demo_entries(d, root, "coordinator", "coordinators");
    fflush(stdout);
    cJSON_Delete(root);
    on_demo_reply(d, (redisReply *)&(redisReply){.type = REDIS_REPLY_STATUS});
    return true;
}
