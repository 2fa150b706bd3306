/* Redis connections for the libevent thread: commands/scripts and pub/sub,
 * each reconnecting by itself. Everything here runs on the libevent thread. */
#include "dragoman/store.h"

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dragoman/embedded.h"
#include "dragoman/log.h"
#include "evredis.h"

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000
#define MAX_SCRIPTS 64
/* A batch of events goes out once it holds this much, without waiting for the
 * end of the turn. */
#define PUB_BATCH_MAX 65536

const double dm_store_buckets_us[DM_STORE_NBUCKETS] = {50,    100,    200,    500,     1000,    2000,
                                                       5000,  10000,  50000,  100000,  1000000, 1e300};

typedef struct script {
    const char *name;
    char *text; /* dm_store_script_text */
    char sha[41];
} script;

typedef struct link {
    dm_store *store;
    redisAsyncContext *ac; /* NULL while disconnected: hiredis frees it after a drop */
    bool up;
    bool subscriber;
    struct event *retry;
    int backoff_ms;
} link;

struct dm_store {
    struct event_base *base;
    dm_store_config cfg;
    char *url;
    char *channel;
    dm_redis_addr addr;
    bool closing;
    link cmd;
    link sub;
    script scripts[MAX_SCRIPTS];
    int nscripts;
    uint64_t rtt_counts[DM_STORE_NBUCKETS];
    double rtt_sum_us;
    size_t inflight; /* scripts sent and not yet answered */
    /* The events published this turn, one a line, sent as one PUBLISH when
     * the turn's callbacks have run (pubflush): every push went to Redis and
     * back to each server as a message of its own, about twenty a cycle
     * (bench/README.md, session 12). */
    char *pub;
    size_t publen, pubcap;
    struct event *pubflush;
};

typedef struct call {
    dm_store *store;
    dm_store_cb cb;
    void *ud;
    const script *sc;
    bool retried;
    struct timespec t0;
    int argc;
    const char **argv; /* EVALSHA sha 0 args...; the args point into the same allocation */
    size_t *lens;
} call;

static void link_connect(link *l);

bool dm_store_parse_url(const char *url, dm_redis_addr *a)
{
    memset(a, 0, sizeof *a);
    if (strncmp(url, "unix://", 7) == 0 || strncmp(url, "unix:", 5) == 0) {
        const char *path = url[5] == '/' && url[6] == '/' ? url + 7 : url + 5;
        a->unix_socket = true;
        return snprintf(a->host, sizeof a->host, "%s", path) < (int)sizeof a->host && path[0] == '/';
    }
    if (strncmp(url, "redis://", 8) != 0)
        return false;
    char rest[300];
    if (snprintf(rest, sizeof rest, "%s", url + 8) >= (int)sizeof rest)
        return false;
    char *slash = strchr(rest, '/');
    if (slash) {
        *slash = '\0';
        a->db = atoi(slash + 1);
    }
    char *colon = strrchr(rest, ':');
    a->port = 6379;
    if (colon) {
        *colon = '\0';
        a->port = atoi(colon + 1);
    }
    return snprintf(a->host, sizeof a->host, "%s", rest) < (int)sizeof a->host && rest[0] && a->port > 0;
}

static bool load_scripts(dm_store *s)
{
    for (const dm_embedded *e = dm_script_sources; e->name && s->nscripts < MAX_SCRIPTS; e++) {
        if (e->name[0] == '_')
            continue;
        script *sc = &s->scripts[s->nscripts++];
        sc->name = e->name;
        sc->text = dm_store_script_text(e->name);
        if (!sc->text)
            return false;
        if (!dm_store_script_sha(sc->text, sc->sha))
            return false;
    }
    return true;
}

static const script *find_script(const dm_store *s, const char *name)
{
    for (int i = 0; i < s->nscripts; i++)
        if (strcmp(s->scripts[i].name, name) == 0)
            return &s->scripts[i];
    return NULL;
}

static void record_rtt(dm_store *s, const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double us = (double)(t1.tv_sec - t0->tv_sec) * 1e6 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e3;
    int b = 0;
    while (b < DM_STORE_NBUCKETS - 1 && us > dm_store_buckets_us[b])
        b++;
    s->rtt_counts[b]++;
    s->rtt_sum_us += us;
}

static bool is_noscript(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0;
}

static char *put_count(char *p, char kind, size_t n)
{
    char digits[24];
    int k = 0;
    do
        digits[k++] = (char)('0' + n % 10);
    while (n /= 10);
    *p++ = kind;
    while (k)
        *p++ = digits[--k];
    *p++ = '\r';
    *p++ = '\n';
    return p;
}

/* Sends a command in Redis's protocol, written here in one pass: hiredis's
 * redisAsyncCommandArgv grows its text argument by argument through
 * sdscatfmt, about a tenth of the server's instructions (bench/README.md,
 * session 11). */
static bool send_argv(redisAsyncContext *ac, redisCallbackFn *fn, void *priv, int argc, const char **argv,
                      const size_t *lens)
{
    size_t len = 24 + 2;
    for (int i = 0; i < argc; i++)
        len += 24 + 2 + lens[i] + 2;
    char *cmd = malloc(len), *p = cmd;
    if (!cmd)
        return false;
    p = put_count(p, '*', (size_t)argc);
    for (int i = 0; i < argc; i++) {
        p = put_count(p, '$', lens[i]);
        memcpy(p, argv[i], lens[i]);
        p += lens[i];
        *p++ = '\r';
        *p++ = '\n';
    }
    bool ok = redisAsyncFormattedCommand(ac, fn, priv, cmd, (size_t)(p - cmd)) == REDIS_OK;
    free(cmd);
    return ok;
}

static void on_call_reply(redisAsyncContext *ac, void *r, void *priv);

static bool send_call(call *c)
{
    link *l = &c->store->cmd;
    if (!l->up || !l->ac)
        return false;
    return send_argv(l->ac, on_call_reply, c, c->argc, c->argv, c->lens);
}

/* A Redis that restarted or ran SCRIPT FLUSH has forgotten our scripts: send the
 * text once with EVAL, which also caches it again for the next EVALSHA. */
static void on_call_reply(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    call *c = priv;
    redisReply *reply = r;
    if (is_noscript(reply) && !c->retried) {
        c->retried = true;
        c->argv[0] = "EVAL";
        c->argv[1] = c->sc->text;
        c->lens[0] = 4;
        c->lens[1] = strlen(c->sc->text);
        if (send_call(c))
            return;
        reply = NULL;
    }
    if (reply)
        record_rtt(c->store, &c->t0);
    c->store->inflight--;
    c->cb(c->ud, reply);
    free(c);
}

size_t dm_store_inflight(const dm_store *s)
{
    return s->inflight;
}

bool dm_store_run(dm_store *s, const char *name, int argc, const char **argv, const size_t *lens, dm_store_cb cb,
                  void *ud)
{
    const script *sc = find_script(s, name);
    if (!sc) {
        dm_error("store: no script named %s", name);
        return false;
    }
    if (!s->cmd.up || s->closing)
        return false;
    int total = argc + 3;
    size_t bytes = sizeof(call) + (size_t)total * (sizeof(char *) + sizeof(size_t));
    for (int i = 0; i < argc; i++)
        bytes += lens[i];
    call *c = calloc(1, bytes);
    if (!c)
        return false;
    c->store = s;
    c->cb = cb;
    c->ud = ud;
    c->sc = sc;
    c->argc = total;
    c->argv = (const char **)(c + 1);
    c->lens = (size_t *)(c->argv + total);
    char *data = (char *)(c->lens + total);
    c->argv[0] = "EVALSHA";
    c->lens[0] = 7;
    c->argv[1] = sc->sha;
    c->lens[1] = 40;
    c->argv[2] = "0";
    c->lens[2] = 1;
    for (int i = 0; i < argc; i++) {
        memcpy(data, argv[i], lens[i]);
        c->argv[i + 3] = data;
        c->lens[i + 3] = lens[i];
        data += lens[i];
    }
    clock_gettime(CLOCK_MONOTONIC, &c->t0);
    if (!send_call(c)) {
        free(c);
        return false;
    }
    s->inflight++;
    return true;
}

bool dm_store_runv(dm_store *s, const char *name, const char *const *argv, dm_store_cb cb, void *ud)
{
    size_t lens[DM_STORE_MAX_ARGS];
    int argc = 0;
    for (; argv[argc]; argc++) {
        if (argc == DM_STORE_MAX_ARGS) {
            dm_error("store: more than %d arguments for %s", DM_STORE_MAX_ARGS, name);
            return false;
        }
        lens[argc] = strlen(argv[argc]);
    }
    return dm_store_run(s, name, argc, (const char **)argv, lens, cb, ud);
}

/* Sends this turn's batch of events, if any. */
static void pub_flush(dm_store *s)
{
    size_t n = s->publen;
    s->publen = 0;
    if (n == 0 || !s->cmd.up || !s->cmd.ac)
        return;
    const char *argv[] = {"PUBLISH", s->channel, s->pub};
    size_t lens[] = {7, strlen(s->channel), n};
    send_argv(s->cmd.ac, NULL, NULL, 3, argv, lens);
}

static void on_pub_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pub_flush(arg);
}

static bool pub_reserve(dm_store *s, size_t more)
{
    if (s->publen + more <= s->pubcap)
        return true;
    size_t cap = s->publen + more > 2 * s->pubcap ? s->publen + more : 2 * s->pubcap;
    char *p = realloc(s->pub, cap);
    if (!p)
        return false;
    s->pub = p;
    s->pubcap = cap;
    return true;
}

bool dm_store_publish(dm_store *s, const char *const *fields, int n)
{
    if (!s->cmd.up || !s->cmd.ac || s->closing || n < 1 || n > DM_STORE_MAX_FIELDS)
        return false;
    size_t lens[DM_STORE_MAX_FIELDS], total = 0;
    for (int i = 0; i < n; i++) {
        lens[i] = strlen(fields[i]);
        /* A line break would split the event in two where it is read (on_sub_message). */
        if (memchr(fields[i], '\n', lens[i]))
            return false;
        total += lens[i] + 1;
    }
    if (!pub_reserve(s, total))
        return false;
    if (s->publen)
        s->pub[s->publen++] = '\n';
    else
        event_active(s->pubflush, 0, 0);
    for (int i = 0; i < n; i++) {
        if (i)
            s->pub[s->publen++] = '\t';
        memcpy(s->pub + s->publen, fields[i], lens[i]);
        s->publen += lens[i];
    }
    if (s->publen >= PUB_BATCH_MAX)
        pub_flush(s);
    return true;
}

bool dm_store_error(const redisReply *reply, char *code, size_t codelen, const char **message)
{
    if (!reply || reply->type != REDIS_REPLY_ERROR)
        return false;
    const char *colon = strstr(reply->str, ": ");
    const char *start = reply->str;
    /* Redis wraps a script's error_reply as "code: message" sometimes behind "ERR ". */
    if (strncmp(start, "ERR ", 4) == 0 && colon && colon > start + 4)
        start += 4;
    size_t n = colon ? (size_t)(colon - start) : 0;
    if (n >= codelen)
        n = codelen - 1;
    memcpy(code, start, n);
    code[n] = '\0';
    *message = colon ? colon + 2 : reply->str;
    if (n == 0)
        snprintf(code, codelen, "internal");
    return true;
}

void dm_store_rtt(const dm_store *s, uint64_t counts[DM_STORE_NBUCKETS], double *sum_us)
{
    memcpy(counts, s->rtt_counts, sizeof s->rtt_counts);
    *sum_us = s->rtt_sum_us;
}

static void link_schedule_retry(link *l)
{
    struct timeval tv = {l->backoff_ms / 1000, (l->backoff_ms % 1000) * 1000};
    evtimer_add(l->retry, &tv);
    l->backoff_ms = l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : l->backoff_ms * 2;
}

static void link_set_up(link *l, bool up)
{
    if (l->up == up)
        return;
    l->up = up;
    dm_store *s = l->store;
    dm_info("redis %s connection %s", l->subscriber ? "pub/sub" : "command", up ? "up" : "down");
    if (!l->subscriber && s->cfg.on_status && !s->closing)
        s->cfg.on_status(s->cfg.ud, up);
}

/* A message is a batch of events, one a line (dm_store_publish); scripts
 * publish single events. */
static void on_sub_message(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    link *l = priv;
    redisReply *reply = r;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
        return;
    if (strcmp(reply->element[0]->str, "message") != 0)
        return;
    dm_store *s = l->store;
    const char *p = reply->element[2]->str, *end = p + reply->element[2]->len;
    while (s->cfg.on_message && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        s->cfg.on_message(s->cfg.ud, p, n);
        p += n + 1;
    }
}

/* A Redis that started afresh (or the server's first connection to it) has
 * none of our scripts, and every call sent before the first EVAL of each
 * came back NOSCRIPT and went again with the script's text: at a start with
 * 1,000 interpreters connecting, 179 of 5,491 calls, each time with up to
 * 20 KB of text to hash (bench/README.md, session 13, item 42). Loaded first
 * on the same connection, they are there for every call behind them; SCRIPT
 * LOAD of a script Redis has is one hash of its text. */
static void load_scripts_into(dm_store *s, redisAsyncContext *ac)
{
    for (int i = 0; i < s->nscripts; i++)
        redisAsyncCommand(ac, NULL, NULL, "SCRIPT LOAD %s", s->scripts[i].text);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    link *l = ac->data;
    if (status != REDIS_OK) {
        dm_warn("redis connect failed: %s", ac->errstr);
        l->ac = NULL; /* hiredis frees a context whose connect failed */
        link_schedule_retry(l);
        return;
    }
    l->backoff_ms = BACKOFF_MIN_MS;
    dm_store *s = l->store;
    if (s->addr.db)
        redisAsyncCommand(l->ac, NULL, NULL, "SELECT %d", s->addr.db);
    if (l->subscriber)
        redisAsyncCommand(l->ac, on_sub_message, l, "SUBSCRIBE %s", s->channel);
    else
        load_scripts_into(s, l->ac);
    link_set_up(l, true);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    link *l = ac->data;
    (void)status;
    l->ac = NULL;
    link_set_up(l, false);
    if (!l->store->closing)
        link_schedule_retry(l);
}

static void link_connect(link *l)
{
    dm_store *s = l->store;
    redisAsyncContext *ac =
        s->addr.unix_socket ? redisAsyncConnectUnix(s->addr.host) : redisAsyncConnect(s->addr.host, s->addr.port);
    if (!ac) {
        link_schedule_retry(l);
        return;
    }
    if (ac->err) {
        dm_warn("redis connect to %s failed: %s", s->url, ac->errstr);
        redisAsyncFree(ac);
        link_schedule_retry(l);
        return;
    }
    if (!dm_evredis_attach(ac, s->base)) {
        redisAsyncFree(ac);
        link_schedule_retry(l);
        return;
    }
    ac->data = l;
    l->ac = ac;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    link_connect(arg);
}

static bool link_init(dm_store *s, link *l, bool subscriber)
{
    l->store = s;
    l->subscriber = subscriber;
    l->backoff_ms = BACKOFF_MIN_MS;
    l->retry = evtimer_new(s->base, on_retry, l);
    return l->retry != NULL;
}

dm_store *dm_store_new(struct event_base *base, const dm_store_config *cfg)
{
    dm_store *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->base = base;
    s->cfg = *cfg;
    s->url = strdup(cfg->url);
    s->channel = strdup(cfg->channel);
    if (!s->url || !s->channel || !dm_store_parse_url(cfg->url, &s->addr)) {
        dm_error("redis: cannot use URL \"%s\" (expected redis://HOST:PORT[/DB] or unix:///PATH)", cfg->url);
        goto fail;
    }
    s->pubflush = event_new(base, -1, 0, on_pub_flush, s);
    if (!s->pubflush || !load_scripts(s) || !link_init(s, &s->cmd, false) || !link_init(s, &s->sub, true))
        goto fail;
    link_connect(&s->cmd);
    link_connect(&s->sub);
    return s;
fail:
    dm_store_free(s);
    return NULL;
}

bool dm_store_up(const dm_store *s)
{
    return s->cmd.up;
}

static void link_close(link *l)
{
    if (l->retry)
        event_free(l->retry);
    if (l->ac)
        redisAsyncFree(l->ac);
    l->ac = NULL;
}

void dm_store_free(dm_store *s)
{
    if (!s)
        return;
    s->closing = true;
    link_close(&s->cmd);
    link_close(&s->sub);
    if (s->pubflush)
        event_free(s->pubflush);
    free(s->pub);
    for (int i = 0; i < s->nscripts; i++)
        free(s->scripts[i].text);
    free(s->url);
    free(s->channel);
    free(s);
}
