/* dragomanctl: the registry from the command line. It talks to Redis directly
 * with the server's own Lua scripts, so it works with the server stopped and
 * keeps exactly the invariants the server keeps. */
#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dragoman/config.h"
#include "dragoman/registry.h"
#include "dragoman/report.h"
#include "dragoman/store.h"
#include "dragoman/token.h"

static const char usage[] =
    "usage: dragomanctl [--config FILE] [--redis URL] [--data-dir DIR] COMMAND ...\n"
    "\n"
    "Redis: --redis URL, else the one in --config, else the private Redis of a\n"
    "dragomand running with --data-dir DIR (default ./var).\n"
    "\n"
    "commands:\n"
    "  put interpreter|clinic|coordinator ID JSON   create or replace an entry (JSON or @FILE)\n"
    "  get interpreter|clinic|coordinator|request ID\n"
    "  list interpreters|clinics|coordinators\n"
    "  token issue clinic|interpreter|coordinator ID   prints a new token (shown once)\n"
    "  token revoke TOKEN\n"
    "  token revoke-all clinic|interpreter|coordinator ID\n"
    "  report hours|speed|fill|supply|fairness|feedback|sessions|requests --from DATE --to DATE\n"
    "         [--by DIM] [--per day|week|month] [--language L] [--institution ID] [--interpreter ID]\n"
    "         [--table NAME] [--csv|--json]   a report (proto/README.md, \"Reports\"), dates YYYY-MM-DD\n"
    "  report purge --days N   remove the free text of requests closed N or more days ago\n"
    "\n"
    "Interpreter JSON: {\"name\":\"Amal\",\"languages\":{\"ar\":\"certified\"},\"gender\":\"female\",\n"
    "  \"modalities\":[\"phone\",\"video\"],\"specialties\":[\"mental_health\"],\"area\":\"north\",\"active\":true}\n"
    "Clinic JSON: {\"name\":\"North Hospital\",\"area\":\"north\",\"address\":\"...\",\"contact\":\"...\",\n"
    "  \"origins\":[\"https://north.example\"]}   Coordinator JSON: {\"name\":\"City Office\"}\n";

typedef struct ctl {
    dm_config cfg;
    redisContext *redis;
} ctl;

static int fail(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "dragomanctl: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return 1;
}

static void print_hash(const redisReply *h)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i + 1 < h->elements; i += 2)
        cJSON_AddStringToObject(o, h->element[i]->str, h->element[i + 1]->str);
    char *s = cJSON_Print(o);
    puts(s ? s : "{}");
    free(s);
    cJSON_Delete(o);
}

/* Runs a script and reports a refusal; returns the reply or NULL. */
static redisReply *run(ctl *c, const char *script, int argc, const char **argv)
{
    redisReply *r = dm_store_sync_run(c->redis, script, argc, argv);
    if (!r) {
        fail("redis: %s%s", c->redis->errstr, "");
        return NULL;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        fail("%s%s", r->str, "");
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

static char *read_arg(const char *arg)
{
    if (arg[0] != '@')
        return strdup(arg);
    FILE *f = fopen(arg + 1, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 20);
    if (buf && fread(buf, 1, (1 << 20) - 1, f) == 0) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static int cmd_put(ctl *c, const char *kind, const char *id, const char *json)
{
    if (strcmp(kind, "interpreter") && strcmp(kind, "clinic") && strcmp(kind, "coordinator"))
        return fail("put: unknown kind \"%s\"%s", kind, "");
    char *text = read_arg(json);
    cJSON *doc = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return fail("put: %s is not a JSON object%s", json, "");
    }
    dm_registry_args a;
    dm_proto_error err;
    int rc = 1;
    if (!dm_registry_upsert_args(kind, id, doc, (long long)c->cfg.heartbeat_grace_s * 1000, &a, &err)) {
        fail("put: %s%s", err.message, "");
    } else {
        redisReply *r = run(c, "upsert", a.argc, a.argv);
        if (r) {
            print_hash(r);
            freeReplyObject(r);
            rc = 0;
        }
    }
    cJSON_Delete(doc);
    return rc;
}

static int cmd_get(ctl *c, const char *kind, const char *id)
{
    static const char *const kinds[][2] = {
        {"interpreter", "i"}, {"clinic", "c"}, {"coordinator", "u"}, {"request", "r"}};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(kind, kinds[i][0]) != 0)
            continue;
        char key[64];
        snprintf(key, sizeof key, "%s:%s", kinds[i][1], id);
        const char *argv[] = {key};
        redisReply *r = run(c, "get", 1, argv);
        if (!r)
            return 1;
        int rc = r->elements ? 0 : fail("no %s %s", kind, id);
        if (r->elements)
            print_hash(r);
        freeReplyObject(r);
        return rc;
    }
    return fail("get: unknown kind \"%s\"%s", kind, "");
}

static int cmd_list(ctl *c, const char *what)
{
    if (strcmp(what, "interpreters") && strcmp(what, "clinics") && strcmp(what, "coordinators"))
        return fail("list: unknown list \"%s\"%s", what, "");
    const char *argv[] = {what};
    redisReply *r = run(c, "list", 1, argv);
    if (!r)
        return 1;
    for (size_t i = 0; i < r->elements; i++)
        print_hash(r->element[i]);
    freeReplyObject(r);
    return 0;
}

/* Running servers close the connections made with revoked tokens when told
 * on their event channel (see dm_server_revoke). */
static void announce_revoked(ctl *c, const char *what)
{
    char msg[256];
    snprintf(msg, sizeof msg, "dragomanctl\t%s\t%s", DM_REGISTRY_REVOKED, what);
    redisReply *r = redisCommand(c->redis, "PUBLISH dm:events %s", msg);
    freeReplyObject(r);
}

static int cmd_token(ctl *c, int argc, char **argv)
{
    char hash[65], tok[64];
    redisReply *r = NULL;
    if (argc == 3 && strcmp(argv[0], "issue") == 0) {
        if (!dm_token_new(argv[1], tok, sizeof tok))
            return fail("no randomness for a token%s%s", "", "");
        dm_token_hash(tok, hash);
        const char *args[] = {"issue", hash, argv[1], argv[2]};
        r = run(c, "token", 4, args);
        if (r)
            puts(tok);
    } else if (argc == 2 && strcmp(argv[0], "revoke") == 0) {
        dm_token_hash(argv[1], hash);
        const char *args[] = {"revoke", hash};
        r = run(c, "token", 2, args);
        char what[80];
        snprintf(what, sizeof what, "t:%s", hash);
        if (r)
            announce_revoked(c, what);
    } else if (argc == 3 && strcmp(argv[0], "revoke-all") == 0) {
        const char *args[] = {"revoke_all", argv[1], argv[2]};
        r = run(c, "token", 3, args);
        char what[128];
        snprintf(what, sizeof what, "s:%s:%s", argv[1], argv[2]);
        if (r) {
            announce_revoked(c, what);
            printf("%lld revoked\n", r->integer);
        }
    } else {
        return fail("token: expected issue ROLE ID, revoke TOKEN or revoke-all ROLE ID%s%s", "", "");
    }
    if (!r)
        return 1;
    freeReplyObject(r);
    return 0;
}

/* Appends "&key=value" with value percent-encoded, as an HTTP query would carry it. */
static void query_add(char *qs, size_t cap, const char *key, const char *value)
{
    size_t n = strlen(qs);
    n += (size_t)snprintf(qs + n, n < cap ? cap - n : 0, "%s%s=", n ? "&" : "", key);
    for (const unsigned char *p = (const unsigned char *)value; *p && n + 4 < cap; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~", *p))
            qs[n++] = (char)*p;
        else
            n += (size_t)snprintf(qs + n, cap - n, "%%%02X", *p);
    }
    qs[n < cap ? n : cap - 1] = '\0';
}

/* --key value options into a query string; --csv and --json pick the format. */
static bool report_options(int argc, char **argv, char *qs, size_t cap, dm_report_format *fmt)
{
    *fmt = DM_REPORT_TEXT;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--csv") == 0 || strcmp(argv[i], "--json") == 0) {
            *fmt = argv[i][2] == 'c' ? DM_REPORT_CSV : DM_REPORT_JSON;
        } else if (strncmp(argv[i], "--", 2) == 0 && i + 1 < argc) {
            query_add(qs, cap, argv[i] + 2, argv[i + 1]);
            i++;
        } else {
            fail("report: unexpected \"%s\"%s", argv[i], "");
            return false;
        }
    }
    return true;
}

static bool report_steps(ctl *c, dm_report *r)
{
    const char *script;
    int argc;
    const char *const *argv;
    while (dm_report_step(r, &script, &argc, &argv)) {
        redisReply *reply = run(c, script, argc, (const char **)argv);
        bool ok = reply && dm_report_feed(r, reply);
        if (reply && !ok)
            fail("report: unexpected reply from %s%s", script, "");
        freeReplyObject(reply);
        if (!ok)
            return false;
    }
    return true;
}

static int cmd_purge(ctl *c, int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[0], "--days") != 0 || strspn(argv[1], "0123456789") != strlen(argv[1]))
        return fail("report purge: expected --days N%s%s", "", "");
    long long total = 0, n;
    do {
        const char *args[] = {argv[1], "500"};
        redisReply *r = run(c, "report_purge", 2, args);
        if (!r)
            return 1;
        n = r->integer;
        total += n;
        freeReplyObject(r);
    } while (n == 500);
    printf("%lld requests purged\n", total);
    return 0;
}

/* Reports read Redis directly, in the configured time zone, like the server. */
static int cmd_report(ctl *c, int argc, char **argv)
{
    if (strcmp(argv[0], "purge") == 0)
        return cmd_purge(c, argc - 1, argv + 1);
    dm_report_kind kind;
    if (!dm_report_kind_parse(argv[0], &kind))
        return fail("report: unknown report \"%s\"%s", argv[0], "");
    char qs[1024] = "", field[24], err[200];
    dm_report_format fmt;
    dm_report_query q;
    if (!report_options(argc - 1, argv + 1, qs, sizeof qs, &fmt))
        return 2;
    if (!dm_report_parse(kind, qs, &q, field, err, sizeof err))
        return fail("report: %s%s", err, "");
    q.format = fmt;
    setenv("TZ", c->cfg.timezone, 1);
    tzset();
    dm_report *r = dm_report_new(&q);
    size_t len = 0;
    char *text = r && report_steps(c, r) ? dm_report_render(r, c->cfg.timezone, &len) : NULL;
    dm_report_free(r);
    if (!text)
        return fail("report: not made (out of memory or storage failed)%s%s", "", "");
    fwrite(text, 1, len, stdout);
    free(text);
    return 0;
}

static int dispatch(ctl *c, int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[0], "put") == 0)
        return cmd_put(c, argv[1], argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[0], "get") == 0)
        return cmd_get(c, argv[1], argv[2]);
    if (argc == 2 && strcmp(argv[0], "list") == 0)
        return cmd_list(c, argv[1]);
    if (argc >= 2 && strcmp(argv[0], "token") == 0)
        return cmd_token(c, argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[0], "report") == 0)
        return cmd_report(c, argc - 1, argv + 1);
    fputs(usage, stderr);
    return 2;
}

/* Options come before the command; each takes one value. */
static int parse_options(ctl *c, int argc, char **argv, int *next)
{
    char err[512];
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--help") == 0)
            return -1;
        if (i + 1 >= argc)
            return fail("%s needs a value%s", argv[i], "");
        bool ok = strcmp(argv[i], "--config") == 0 ? dm_config_load_file(&c->cfg, argv[i + 1], err, sizeof err)
                                                    : dm_config_set(&c->cfg, argv[i] + 2, argv[i + 1], err, sizeof err);
        if (!ok)
            return fail("%s%s", err, "");
    }
    *next = i;
    return 0;
}

int main(int argc, char **argv)
{
    ctl c = {0};
    dm_config_defaults(&c.cfg);
    int next = 0, rc = parse_options(&c, argc, argv, &next);
    if (rc < 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (rc)
        return 2;
    char url[300], err[512];
    if (c.cfg.redis_url[0])
        snprintf(url, sizeof url, "%s", c.cfg.redis_url);
    else
        snprintf(url, sizeof url, "unix://%s/redis/redis.sock", c.cfg.data_dir);
    c.redis = dm_store_sync_connect(url, err, sizeof err);
    if (!c.redis)
        return fail("%s%s", err, "");
    rc = dispatch(&c, argc - next, argv + next);
    redisFree(c.redis);
    dm_proto_shutdown();
    return rc;
}
