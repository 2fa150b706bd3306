/* Report benchmark: a year of a city-sized service (200,000 sessions by
 * default, plus cancelled and unfilled requests, feedback and availability)
 * loaded into an empty Redis with the aggregate code of the real scripts
 * (bench/report_load.lua runs src/store/lua/_report.lua's functions), then
 * every report of that year timed the way dragomanctl runs it. Prints
 * figures; passes or fails nothing. Run through bench/report_bench.sh. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dragoman/report.h"
#include "dragoman/store.h"

#define BATCH 1000
#define FIELDS 18
#define LANGS 12
#define CLINICS 60
#define INTERPRETERS 300
#define YEAR_START_MS 1735682400000LL /* 2025-01-01 00:00 Europe/Helsinki */

static const char *const langs[LANGS] = {"ar", "fa", "prs", "ps", "uk", "ru", "so", "ti", "ku", "tr", "fr", "vi"};

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static long long uniform(long long lo, long long hi)
{
    return lo + (long long)(next_rand() % (uint64_t)(hi - lo + 1));
}

/* Skewed: a few languages carry most of the demand. */
static int pick_lang(void)
{
    int r = (int)uniform(0, 99);
    return r < 30 ? 0 : r < 50 ? 1 : r < 60 ? 2 : r < 68 ? 3 : r < 76 ? 4 : (int)uniform(5, LANGS - 1);
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

typedef struct args {
    char **v;
    size_t n, cap;
} args;

static void add(args *a, const char *s)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 4096;
        a->v = realloc(a->v, a->cap * sizeof *a->v);
    }
    a->v[a->n++] = strdup(s);
}

static void addll(args *a, long long v)
{
    char s[24];
    snprintf(s, sizeof s, "%lld", v);
    add(a, s);
}

static void clear(args *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    a->n = 0;
}

static void registry(redisContext *c)
{
    for (int i = 0; i < INTERPRETERS; i++) {
        int l = i % LANGS, l2 = (i * 7 + 3) % LANGS;
        freeReplyObject(redisCommand(c, "HSET dm:i:i%d id i%d name Interpreter%d langs %s:certified,%s:trained"
                                        " active 1", i, i, i, langs[l], langs[l2]));
        freeReplyObject(redisCommand(c, "SADD dm:interpreters i%d", i));
    }
    for (int i = 0; i < CLINICS; i++)
        freeReplyObject(redisCommand(c, "HSET dm:c:c%d id c%d name Clinic%d active 1", i, i, i));
}

/* One request: mostly ended sessions, some cancelled or unfilled. */
static bool one_request(args *a, long long id, bool session)
{
    long long created = YEAR_START_MS + uniform(0, 364LL * 86400000);
    long long offer = created + uniform(2000, 180000), accept = offer + uniform(5000, 600000);
    long long start = accept + uniform(30000, 1200000), end = start + uniform(600000, 5400000);
    int lang = pick_lang();
    int interp = lang + LANGS * (int)uniform(0, INTERPRETERS / LANGS - 1);
    int outcome = session ? 0 : (int)uniform(1, 3);
    char sid[24], clinic[24], who[24];
    snprintf(sid, sizeof sid, "r%lld", id);
    snprintf(clinic, sizeof clinic, "c%lld", uniform(0, CLINICS - 1));
    snprintf(who, sizeof who, "i%d", interp);
    add(a, sid);
    addll(a, created);
    addll(a, offer);
    outcome == 1 || outcome == 0 ? addll(a, accept) : add(a, "");
    outcome == 0 ? addll(a, start) : add(a, "");
    outcome == 0 ? addll(a, end) : add(a, "");
    add(a, langs[lang]);
    add(a, clinic);
    add(a, outcome <= 1 ? who : "");
    add(a, uniform(0, 9) < 7 ? "video" : uniform(0, 1) ? "phone" : "onsite");
    add(a, uniform(0, 9) == 0 ? "mental_health" : "");
    add(a, outcome == 0 ? "ended" : outcome == 3 ? "unfilled" : "cancelled");
    add(a, outcome == 1 || outcome == 2 ? "clinic:x" : "");
    add(a, outcome == 1 ? "assigned" : outcome == 2 ? "searching" : "");
    add(a, outcome == 3 ? "nobody_online" : "");
    outcome == 0 && uniform(0, 9) < 3 ? addll(a, uniform(1, 5)) : add(a, "");
    add(a, outcome == 0 && uniform(0, 9) == 0 ? "Interpreter was on time, thanks" : "");
    add(a, outcome == 0 && uniform(0, 49) == 0 ? "1" : "");
    return true;
}

static bool eval_batch(redisContext *c, const char *script, args *a)
{
    size_t n = a->n + 3;
    const char **v = malloc(n * sizeof *v);
    size_t *lens = malloc(n * sizeof *lens);
    v[0] = "EVAL";
    v[1] = script;
    v[2] = "0";
    for (size_t i = 0; i < a->n; i++)
        v[i + 3] = a->v[i];
    for (size_t i = 0; i < n; i++)
        lens[i] = strlen(v[i]);
    redisReply *r = redisCommandArgv(c, (int)n, v, lens);
    bool ok = r && r->type == REDIS_REPLY_INTEGER;
    if (!ok)
        fprintf(stderr, "load failed: %s\n", r && r->str ? r->str : c->errstr);
    freeReplyObject(r);
    free(v);
    free(lens);
    return ok;
}

static void availability(args *a)
{
    add(a, "");
    for (int day = 0; day < 365; day++)
        for (int i = 0; i < INTERPRETERS; i++) {
            if (uniform(0, 9) >= 3)
                continue;
            long long from = YEAR_START_MS + day * 86400000LL + uniform(6, 20) * 3600000LL;
            char who[16];
            snprintf(who, sizeof who, "i%d", i);
            add(a, who);
            addll(a, from);
            addll(a, from + uniform(1800000, 4 * 3600000LL));
        }
}

static bool load(redisContext *c, const char *script, long sessions)
{
    long total = sessions + sessions / 6;
    args a = {0};
    for (long id = 1; id <= total; id += BATCH) {
        clear(&a);
        add(&a, dm_report_zone_arg(YEAR_START_MS + 200LL * 86400000));
        addll(&a, FIELDS);
        for (long k = id; k < id + BATCH && k <= total; k++)
            one_request(&a, k, k % 7 != 0);
        if (id + BATCH > total)
            availability(&a);
        if (!eval_batch(c, script, &a))
            return false;
    }
    clear(&a);
    free(a.v);
    return true;
}

/* Microseconds Redis has spent running EVAL so far (INFO commandstats). */
static double eval_usec(redisContext *c)
{
    redisReply *r = redisCommand(c, "INFO commandstats");
    const char *s = r && r->str ? strstr(r->str, "cmdstat_eval:") : NULL;
    s = s ? strstr(s, "usec=") : NULL;
    double us = s ? atof(s + 5) : 0;
    freeReplyObject(r);
    return us;
}

/* Redis's used_memory_human. */
static void used_memory(redisContext *c, char out[32])
{
    redisReply *mem = redisCommand(c, "INFO memory");
    const char *used = mem && mem->str ? strstr(mem->str, "used_memory_human:") : NULL;
    snprintf(out, 32, "%.*s", used ? (int)strcspn(used + 18, "\r\n") : 1, used ? used + 18 : "?");
    freeReplyObject(mem);
}

/* Runs report_rebuild.lua until it says done, as a report or the server's
 * clock does; prints how long that took, and Redis's memory after. */
static void rebuild(redisContext *c, const char *what)
{
    double t0 = now_ms(), longest = 0;
    long long n = 0;
    int calls = 0;
    for (bool done = false; !done; calls++) {
        const char *argv[] = {"300"};
        double s0 = now_ms();
        redisReply *r = dm_store_sync_run(c, "report_rebuild", 1, argv);
        double s1 = now_ms();
        longest = s1 - s0 > longest ? s1 - s0 : longest;
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            fprintf(stderr, "report_rebuild: %s\n", r && r->str ? r->str : "bad reply");
            freeReplyObject(r);
            return;
        }
        done = r->element[0]->integer == 1;
        n += r->element[1]->integer;
        freeReplyObject(r);
    }
    char mem[32];
    double t1 = now_ms();
    used_memory(c, mem);
    printf("rebuild   %-57s %8.1f ms  %4d calls, longest %6.1f ms  %lld requests indexed; redis %s\n", what,
           t1 - t0, calls, longest, n, mem);
}

/* Forgets the indexes of single requests, as a Redis written before they
 * existed would be, for timing report_rebuild.lua. */
static void drop_indexes(redisContext *c)
{
    static const char *const drop =
        "for _, pat in ipairs({'dm:rep:fb:*', 'dm:rep:fbm:*', 'dm:rep:fbc:*', 'dm:rep:xs:*', 'dm:rep:xr:*'}) do\n"
        "  for _, k in ipairs(redis.call('KEYS', pat)) do redis.call('UNLINK', k) end\n"
        "end\n"
        "redis.call('DEL', 'dm:rep:v', 'dm:rep:rebuild', 'dm:rep:grown')\n"
        "for _, k in ipairs(redis.call('KEYS', 'dm:r:*')) do\n"
        "  if not string.find(k, ':', 6, true) then redis.call('HDEL', k, 'rep_x') end\n"
        "end\n"
        "return 1\n";
    freeReplyObject(redisCommand(c, "EVAL %s 0", drop));
}

/* Runs one report as dragomanctl does; prints its time and size, and where
 * the time went: "lua" is Redis running the scripts, "wire" the rest of the
 * round trips (sending the reply, hiredis parsing it), "feed" the C side
 * digesting replies, "render" the final document. */
static char *timed(redisContext *c, dm_report_kind kind, const char *qs, dm_report_format fmt, size_t *outlen)
{
    dm_report_query q;
    char field[24], err[200];
    if (!dm_report_parse(kind, qs, &q, field, err, sizeof err)) {
        printf("%-9s %-40s refused: %s\n", dm_report_kind_name(kind), qs, err);
        return NULL;
    }
    q.format = fmt;
    double lua0 = eval_usec(c);
    double t0 = now_ms(), longest = 0, wire = 0, feed = 0;
    dm_report *r = dm_report_new(&q);
    const char *script;
    int argc, steps = 0;
    const char *const *argv;
    while (dm_report_step(r, &script, &argc, &argv)) {
        double s0 = now_ms();
        redisReply *reply = dm_store_sync_run(c, script, argc, (const char **)argv);
        double s1 = now_ms();
        longest = s1 - s0 > longest ? s1 - s0 : longest;
        wire += s1 - s0;
        steps++;
        if (!reply || !dm_report_feed(r, reply))
            fprintf(stderr, "%s: bad reply\n", script);
        freeReplyObject(reply);
        feed += now_ms() - s1;
    }
    double r0 = now_ms();
    size_t len = 0;
    char *out = dm_report_render(r, "Europe/Helsinki", &len);
    double t1 = now_ms();
    double lua = (eval_usec(c) - lua0) / 1000;
    /* REPORT_BENCH_OUT=DIR keeps every report, to compare two builds. */
    const char *dir = getenv("REPORT_BENCH_OUT");
    static int seq;
    seq++;
    if (dir && out) {
        char path[512];
        snprintf(path, sizeof path, "%s/%02d-%s.%s", dir, seq, dm_report_kind_name(kind),
                 fmt == DM_REPORT_CSV ? "csv" : "json");
        FILE *f = fopen(path, "wb");
        if (f) {
            fwrite(out, 1, len, f);
            fclose(f);
        }
    }
    printf("%-9s %-52s %-4s %8.1f ms  %3d calls, longest %6.1f ms  %9zu bytes  lua %6.1f wire %6.1f feed %6.1f "
           "render %6.1f\n",
           dm_report_kind_name(kind), qs, fmt == DM_REPORT_CSV ? "csv" : "json", t1 - t0, steps, longest, len, lua,
           wire - lua, feed, t1 - r0);
    dm_report_free(r);
    if (outlen)
        *outlen = len;
    return out;
}

static void run(redisContext *c, dm_report_kind kind, const char *qs, dm_report_format fmt)
{
    free(timed(c, kind, qs, fmt, NULL));
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: report_bench REDIS_URL [SESSIONS]\n");
        return 2;
    }
    long sessions = argc > 2 ? atol(argv[2]) : 200000;
    setenv("TZ", "Europe/Helsinki", 1);
    tzset();
    char err[256];
    redisContext *c = dm_store_sync_connect(argv[1], err, sizeof err);
    char *prelude = read_file("src/store/lua/_prelude.lua"), *rep = read_file("src/store/lua/_report.lua");
    char *loader = read_file("bench/report_load.lua");
    if (!c || !prelude || !rep || !loader) {
        fprintf(stderr, "report_bench: %s\n", c ? "run from the repository root" : err);
        return 1;
    }
    size_t n = strlen(prelude) + strlen(rep) + strlen(loader) + 3;
    char *script = malloc(n);
    snprintf(script, n, "%s\n%s\n%s", prelude, rep, loader);
    /* REPORT_BENCH_REUSE=1: time the reports of data loaded by an earlier run
     * (a Redis of your own, kept between runs). */
    const char *reuse = getenv("REPORT_BENCH_REUSE");
    double t0 = now_ms();
    if (!(reuse && reuse[0] == '1')) {
        registry(c);
        if (!load(c, script, sessions))
            return 1;
    }
    char mem[32];
    double t1 = now_ms();
    used_memory(c, mem);
    printf("loaded %ld sessions and %ld other requests of 2025 in %.1f s; redis %s\n", sessions, sessions / 6,
           (t1 - t0) / 1000, mem);
    rebuild(c, "after loading: a scan (all are in), strings made whole");
    const char *year = "from=2025-01-01&to=2025-12-31";
    char q[128];
    static const char *const hours_by[] = {"language", "institution", "interpreter", "modality", "specialty",
                                           "week", "month", "language&per=month"};
    for (size_t i = 0; i < sizeof hours_by / sizeof *hours_by; i++) {
        snprintf(q, sizeof q, "%s&by=%s", year, hours_by[i]);
        run(c, DM_REPORT_HOURS, q, DM_REPORT_JSON);
    }
    snprintf(q, sizeof q, "%s&by=language", year);
    run(c, DM_REPORT_HOURS, q, DM_REPORT_CSV);
    run(c, DM_REPORT_SPEED, q, DM_REPORT_JSON);
    snprintf(q, sizeof q, "%s&by=institution", year);
    run(c, DM_REPORT_SPEED, q, DM_REPORT_JSON);
    run(c, DM_REPORT_FILL, year, DM_REPORT_JSON);
    run(c, DM_REPORT_SUPPLY, year, DM_REPORT_JSON);
    run(c, DM_REPORT_FAIRNESS, year, DM_REPORT_JSON);
    /* The reports of single requests, kept to compare after a rebuild. */
    struct {
        dm_report_kind kind;
        char qs[128];
        dm_report_format fmt;
        char *out;
        size_t len;
    } kept[] = {
        {DM_REPORT_FEEDBACK, "", DM_REPORT_JSON, NULL, 0},
        {DM_REPORT_FEEDBACK, "&language=fa", DM_REPORT_JSON, NULL, 0},
        {DM_REPORT_FEEDBACK, "&by=institution&interpreter=i5", DM_REPORT_JSON, NULL, 0},
        {DM_REPORT_SESSIONS, "", DM_REPORT_CSV, NULL, 0},
        {DM_REPORT_SESSIONS, "", DM_REPORT_JSON, NULL, 0},
        {DM_REPORT_SESSIONS, "&institution=c7", DM_REPORT_CSV, NULL, 0},
        {DM_REPORT_REQUESTS, "", DM_REPORT_CSV, NULL, 0},
    };
    size_t nkept = sizeof kept / sizeof *kept;
    for (size_t i = 0; i < nkept; i++) {
        snprintf(q, sizeof q, "%s%s", year, kept[i].qs);
        snprintf(kept[i].qs, sizeof kept[i].qs, "%s", q);
        kept[i].out = timed(c, kept[i].kind, kept[i].qs, kept[i].fmt, &kept[i].len);
    }
    run(c, DM_REPORT_HOURS, "from=2025-03-01&to=2025-03-31&by=language", DM_REPORT_JSON);
    run(c, DM_REPORT_SPEED, "from=2025-03-01&to=2025-03-31&by=language", DM_REPORT_JSON);
    run(c, DM_REPORT_FEEDBACK, "from=2025-03-01&to=2025-03-31", DM_REPORT_JSON);
    run(c, DM_REPORT_SESSIONS, "from=2025-03-01&to=2025-03-31", DM_REPORT_CSV);
    /* As after an upgrade from a Redis without these indexes: rebuild them
     * from the request records; the reports must come out the same. */
    drop_indexes(c);
    rebuild(c, "of every request, as after an upgrade");
    for (size_t i = 0; i < nkept; i++) {
        size_t len = 0;
        char *again = timed(c, kept[i].kind, kept[i].qs, kept[i].fmt, &len);
        bool same = again && kept[i].out && len == kept[i].len && memcmp(again, kept[i].out, len) == 0;
        printf("          after the rebuild: %s\n", same ? "the same bytes" : "DIFFERENT");
        free(again);
        free(kept[i].out);
    }
    redisFree(c);
    free(script);
    free(prelude);
    free(rep);
    free(loader);
    return 0;
}
