/* bench/loadgen: thousands of real WebSocket clients against a running
 * dragomand (bench/README.md).
 *
 *   loadgen seed --redis URL --interpreters N --clinics M [--json FILE]
 *   loadgen run --port P --interpreters N --clinics M [--rate R | --inflight W]
 *               [--duration S] [--warmup S] [--accept P] [--decline P] [--delay MIN-MAX]
 *               [--session-ms MS] [--cancel P] [--cancel-after MIN-MAX] [--ping S] [--hold S]
 *               [--open-requests N]
 *               [--server-pid-file F] [--redis URL] [--storm CMD] [--json FILE] [--label L]
 *   loadgen ceiling --redis URL --calls N [--before CMD] [--after CMD] [--json FILE]
 *   loadgen scripts     (each script's SHA-1 and name, for bench/slowlog.mjs)
 *
 * Every loop is bounded in time; only 127.0.0.1 is ever contacted. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dragoman/embedded.h"
#include "dragoman/store.h"
#include "lg/ceiling.h"
#include "lg/cpu.h"
#include "lg/lg.h"
#include "lg/redisx.h"
#include "lg/scrape.h"

#define CONNECT_TIMEOUT_S 240
#define MIN_CYCLES_FOR_MEMORY 100 /* fewer make the per-request figure noise */
#define FD_RESERVE 16 /* descriptors kept for stdio, epoll, Redis and /proc reads */
#define STORM_TIMEOUT_S 90
#define STORM_RATE 50           /* requests/s just before the restart */
#define STORM_SESSION_MS 15000  /* long enough to be in session across it */

typedef struct cli {
    const char *mode, *redis, *json, *pid_file, *storm, *label, *before, *after;
    double hold_s;
    long open_requests, calls;
    lg_opts o;
} cli;

static const char usage[] =
    "usage: loadgen seed|run|ceiling|scripts [options] (see the head of bench/loadgen.c and bench/README.md)\n";

/* "MIN-MAX" in ms. */
static bool parse_range(const char *v, double *min, double *max)
{
    return sscanf(v, "%lf-%lf", min, max) == 2 && *min >= 0 && *min <= *max;
}

static void parse_langs(const char *v, lg_opts *o)
{
    o->nlangs = 0;
    for (const char *p = v; *p && o->nlangs < 8;) {
        size_t n = strcspn(p, ",");
        snprintf(o->langs[o->nlangs++], sizeof o->langs[0], "%.*s", (int)(n < 3 ? n : 3), p);
        p += n + (p[n] == ',');
    }
}

/* One option and its value; false when unknown. */
static bool option(cli *c, const char *a, const char *v)
{
    lg_opts *o = &c->o;
    const struct {
        const char *name;
        double *d;
    } nums[] = {{"--rate", &o->rate},         {"--duration", &o->duration_s}, {"--warmup", &o->warmup_s},
                {"--accept", &o->accept},     {"--decline", &o->decline},     {"--session-ms", &o->session_ms},
                {"--ping", &o->ping_s},       {"--hold", &c->hold_s},         {"--drain", &o->drain_s},
                {"--cancel", &o->cancel},
                {"--jitter-ms", &o->reconnect_jitter_ms}};
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++)
        if (strcmp(a, nums[i].name) == 0) {
            *nums[i].d = atof(v);
            return true;
        }
    if (strcmp(a, "--port") == 0)
        o->port = atoi(v);
    else if (strcmp(a, "--interpreters") == 0)
        o->interpreters = atoi(v);
    else if (strcmp(a, "--clinics") == 0)
        o->clinics = atoi(v);
    else if (strcmp(a, "--inflight") == 0)
        o->inflight = atoi(v);
    else if (strcmp(a, "--open-requests") == 0)
        c->open_requests = atol(v);
    else if (strcmp(a, "--calls") == 0)
        c->calls = atol(v);
    else if (strcmp(a, "--delay") == 0)
        return parse_range(v, &o->delay_min_ms, &o->delay_max_ms);
    else if (strcmp(a, "--cancel-after") == 0)
        return parse_range(v, &o->cancel_min_ms, &o->cancel_max_ms);
    else if (strcmp(a, "--langs") == 0)
        parse_langs(v, o);
    else if (strcmp(a, "--redis") == 0)
        c->redis = v;
    else if (strcmp(a, "--json") == 0)
        c->json = v;
    else if (strcmp(a, "--server-pid-file") == 0)
        c->pid_file = v;
    else if (strcmp(a, "--storm") == 0)
        c->storm = v;
    else if (strcmp(a, "--label") == 0)
        c->label = v;
    else if (strcmp(a, "--before") == 0)
        c->before = v;
    else if (strcmp(a, "--after") == 0)
        c->after = v;
    else
        return false;
    return true;
}

static bool parse_cli(int argc, char **argv, cli *c)
{
    memset(c, 0, sizeof *c);
    lg_opts *o = &c->o;
    snprintf(o->host, sizeof o->host, "127.0.0.1");
    o->clinics = 10;
    o->interpreters = 100;
    o->duration_s = 10;
    o->warmup_s = 2;
    o->drain_s = 10;
    o->accept = 0.8;
    o->decline = 0.1;
    o->delay_min_ms = 50;
    o->delay_max_ms = 500;
    o->session_ms = 1000;
    o->cancel_min_ms = 0;
    o->cancel_max_ms = 1000;
    o->ping_s = 20;
    o->reconnect_jitter_ms = 1000;
    o->connect_window = 256;
    o->seed = 42;
    c->calls = 10000;
    c->label = "run";
    parse_langs("ar,uk,fa,fr", o);
    if (argc < 2)
        return false;
    c->mode = argv[1];
    for (int i = 2; i < argc; i += 2)
        if (i + 1 >= argc || !option(c, argv[i], argv[i + 1]))
            return false;
    snprintf(o->run_tag, sizeof o->run_tag, "lg%lx", (unsigned long)time(NULL));
    return true;
}

/* The soft open-file limit raised to the hard one: every connection is a descriptor. */
static long raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    return (long)rl.rlim_cur;
}

static int read_pid(const char *path)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    int pid = -1;
    if (f && fscanf(f, "%d", &pid) != 1)
        pid = -1;
    if (f)
        fclose(f);
    return pid;
}

static redisContext *redis_of(const char *url)
{
    char err[256];
    redisContext *c = url ? dm_store_sync_connect(url, err, sizeof err) : NULL;
    if (url && !c)
        fprintf(stderr, "loadgen: redis: %s\n", err);
    return c;
}

/* Every agent that could get a socket is connected and ready. */
static bool all_ready(const lg *g)
{
    return g->ready_interp + g->ready_clinic + g->unconnectable >= g->nagents;
}

static bool never(const lg *g)
{
    (void)g;
    return false;
}

static bool drained(const lg *g)
{
    return lg_inflight(g) <= 0;
}

static long open_target;
static bool opened_all(const lg *g)
{
    return g->c.create_results + g->c.create_errors >= open_target;
}

static void add_latency(cJSON *o, const char *name, lg_samples *s)
{
    cJSON *l = cJSON_AddObjectToObject(o, name);
    cJSON_AddNumberToObject(l, "samples", (double)s->n);
    const struct {
        const char *k;
        double q;
    } qs[] = {{"p50_ms", 0.5}, {"p90_ms", 0.9}, {"p99_ms", 0.99}, {"p999_ms", 0.999}, {"max_ms", 1.0}};
    for (size_t i = 0; i < sizeof qs / sizeof *qs; i++)
        cJSON_AddNumberToObject(l, qs[i].k, lg_quantile_ms(s, qs[i].q));
    printf("  %-10s n=%-8ld p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms\n", name, s->n,
           lg_quantile_ms(s, 0.5), lg_quantile_ms(s, 0.9), lg_quantile_ms(s, 0.99), lg_quantile_ms(s, 0.999),
           lg_quantile_ms(s, 1.0));
}

static void add_counts(cJSON *o, const lg_counts *c)
{
    cJSON *k = cJSON_AddObjectToObject(o, "counts");
    const struct {
        const char *n;
        long v;
    } f[] = {{"creates", c->creates},       {"offers", c->offers},       {"accepts", c->accepts},
             {"accepted", c->accepted},     {"conflicts", c->conflicts}, {"declines", c->declines},
             {"withdrawn_taken", c->withdrawn_taken}, {"withdrawn_expired", c->withdrawn_expired},
             {"withdrawn_other", c->withdrawn_other}, {"starts", c->starts}, {"byes", c->byes},
             {"unfilled", c->unfilled},     {"cycles", c->cycles},       {"errors", c->errors},
             {"connect_failures", c->connect_failures}, {"closes", c->closes}, {"reconnects", c->reconnects},
             {"shed", c->shed}, {"hello_retries", c->hello_retries}, {"cancels", c->cancels},
             {"cancelled", c->cancelled}, {"cancel_conflicts", c->cancel_conflicts},
             {"withdrawn_cancelled", c->withdrawn_cancelled}};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        cJSON_AddNumberToObject(k, f[i].n, (double)f[i].v);
}

static void phase_connect(lg *g, const cli *c, cJSON *out, long long rss_idle)
{
    double t0 = lg_now_us();
    lg_connect_more(g);
    bool ok = lg_run_until(g, all_ready, CONNECT_TIMEOUT_S);
    double secs = (lg_now_us() - t0) / 1e6;
    int ready = g->ready_interp + g->ready_clinic;
    printf("connected %d of %d (%d interpreters available, %d clinics) in %.1f s%s; connect failures %ld; given up: "
           "%d for want of a descriptor here, %d never answered, %d refused by the server\n",
           ready, g->nagents, g->ready_interp, g->ready_clinic, secs, ok ? "" : " (timed out)", g->c.connect_failures,
           g->unconnectable - g->unanswered - g->refused, g->unanswered, g->refused);
    cJSON_AddNumberToObject(out, "unanswered", g->unanswered);
    cJSON_AddNumberToObject(out, "connected", ready);
    cJSON_AddNumberToObject(out, "wanted", g->nagents);
    cJSON_AddNumberToObject(out, "connect_s", secs);
    int pid = read_pid(c->pid_file);
    long long rss = pid > 0 ? lg_rss(pid) : -1;
    if (rss > 0 && rss_idle > 0 && ready > 0) {
        double per = (double)(rss - rss_idle) / ready;
        printf("server RSS: %.1f MB idle, %.1f MB with %d connections: %.0f bytes per connection\n",
               rss_idle / 1048576.0, rss / 1048576.0, ready, per);
        cJSON_AddNumberToObject(out, "rss_idle_bytes", (double)rss_idle);
        cJSON_AddNumberToObject(out, "rss_connected_bytes", (double)rss);
        cJSON_AddNumberToObject(out, "rss_per_connection_bytes", per);
    }
}

static void phase_open_requests(lg *g, const cli *c, redisContext *rc, cJSON *out)
{
    lg_opts saved = g->o;
    long long before = lg_used_memory(rc);
    parse_langs("zz", &g->o); /* a language nobody speaks: the requests stay open */
    open_target = g->c.create_results + g->c.create_errors + c->open_requests;
    for (long i = 0; i < c->open_requests; i++)
        if (!lg_create(g) || (i % 100 == 99 && lg_run_until(g, never, 0.01)))
            break;
    lg_run_until(g, opened_all, 60);
    long long after = lg_used_memory(rc);
    g->o = saved;
    double per = (double)(after - before) / (double)c->open_requests;
    printf("Redis: %.0f bytes per open request (%ld created)\n", per, c->open_requests);
    cJSON_AddNumberToObject(out, "redis_bytes_per_open_request", per);
}

/* The server's histograms read at both ends of the window; one it lacks
 * (an older server, the Node ceiling) has no buckets. */
typedef struct server_hists {
    lg_rtt rtt, dispatch;
} server_hists;

static server_hists scrape_server(int port)
{
    server_hists h;
    lg_rtt_scrape(port, "dragoman_redis_round_trip_seconds", &h.rtt);
    lg_rtt_scrape(port, "dragoman_dispatch_seconds", &h.dispatch);
    return h;
}

/* What one of the server's histograms saw in the window, printed after what
 * (nothing for a histogram the server lacks). */
static void add_hist(cJSON *out, const char *key, const char *what, const lg_rtt *a, const lg_rtt *b, double secs)
{
    double n = b->count - a->count;
    if (a->n == 0 || b->n == 0 || n <= 0)
        return;
    double mean_ms = (b->sum_s - a->sum_s) / n * 1e3;
    double s05 = lg_rtt_share(a, b, 0.0005), s1 = lg_rtt_share(a, b, 0.001), s2 = lg_rtt_share(a, b, 0.002);
    printf("server: %.0f %s a second in the window, mean %.2f ms; within 0.5 / 1 / 2 ms: %.1f / %.1f / %.1f%%\n",
           n / secs, what, mean_ms, 100 * s05, 100 * s1, 100 * s2);
    cJSON *o = cJSON_AddObjectToObject(out, key);
    cJSON_AddNumberToObject(o, "per_s", n / secs);
    cJSON_AddNumberToObject(o, "mean_ms", mean_ms);
    cJSON_AddNumberToObject(o, "within_0_5ms", s05);
    cJSON_AddNumberToObject(o, "within_1ms", s1);
    cJSON_AddNumberToObject(o, "within_2ms", s2);
}

static void phase_load(lg *g, redisContext *rc, int server_pid, cJSON *out)
{
    long long before = rc ? lg_used_memory(rc) : -1;
    int redis_pid = rc ? lg_redis_pid(rc) : -1;
    lg_start_creating(g);
    lg_run_until(g, never, g->o.warmup_s);
    server_hists h0 = scrape_server(g->o.port);
    lg_cpu cpu0, cpu1;
    lg_cpu_sample(&cpu0, server_pid, redis_pid);
    g->measuring = true;
    long cycles0 = g->c.cycles;
    double t0 = lg_now_us();
    lg_run_until(g, never, g->o.duration_s);
    double secs = (lg_now_us() - t0) / 1e6;
    long cycles = g->c.cycles - cycles0;
    lg_cpu_sample(&cpu1, server_pid, redis_pid);
    server_hists h1 = scrape_server(g->o.port);
    g->measuring = false;
    g->creating = false;
    bool ok = lg_run_until(g, drained, g->o.drain_s);
    printf("load: %s %.0f for %.0f s: %ld requests (%ld refusals as busy, retried), %ld complete cycles in the "
           "window = %.0f cycles/s; %ld still open after %.0f s%s\n",
           g->o.inflight > 0 ? "in flight" : "rate", g->o.inflight > 0 ? (double)g->o.inflight : g->o.rate,
           g->o.duration_s, g->c.creates, g->c.shed, cycles, cycles / secs, lg_inflight(g), g->o.drain_s,
           ok ? "" : " (unanswered offers wait for their timeout)");
    if (g->c.cancels > 0)
        printf("cancels: %ld sent, %ld cancelled, %ld too late (in session or ended); %ld offers withdrawn "
               "by them\n",
               g->c.cancels, g->c.cancelled, g->c.cancel_conflicts, g->c.withdrawn_cancelled);
    cJSON_AddNumberToObject(out, "still_open", (double)lg_inflight(g));
    add_latency(out, "dispatch", &g->dispatch);
    add_latency(out, "accept", &g->accept);
    add_latency(out, "withdraw", &g->withdraw);
    cJSON_AddNumberToObject(out, "cycles_per_s", cycles / secs);
    add_hist(out, "redis_round_trips", "Redis round trips", &h0.rtt, &h1.rtt, secs);
    add_hist(out, "server_dispatch", "dispatches (create read off the network to offers handed back)", &h0.dispatch,
             &h1.dispatch, secs);
    lg_cpu_report(&cpu0, &cpu1, cycles, out);
    long long after = rc ? lg_used_memory(rc) : -1;
    if (before > 0 && after > 0 && g->c.cycles >= MIN_CYCLES_FOR_MEMORY) {
        double per = (double)(after - before) / (double)g->c.cycles;
        printf("Redis: %.0f bytes per completed request (request, offers, indexes)\n", per);
        cJSON_AddNumberToObject(out, "redis_bytes_per_session", per);
    }
}

/* The restart runs beside the event loop, so the clients see their
 * connections drop and come back as real phones would. */
static struct {
    pid_t pid;
    int status;
    long closes0;
    double t0, t_exit;
} storm;

static bool storm_over(const lg *g)
{
    int st;
    if (storm.pid > 0 && waitpid(storm.pid, &st, WNOHANG) == storm.pid) {
        storm.pid = 0;
        storm.status = st;
        storm.t_exit = lg_now_us();
    }
    return storm.pid == 0 && g->c.closes - storm.closes0 >= g->nagents && all_ready(g);
}

static void storm_report(const lg *g, double secs, bool ok, bool compared, const lg_loss *loss, cJSON *out)
{
    double restart_s = storm.t_exit > 0 ? (storm.t_exit - storm.t0) / 1e6 : -1;
    printf("storm: %ld connections dropped; all %d interpreters back and available %.2f s after the restart "
           "began%s; the restart itself (stop, start, listening) took %.2f s%s; %ld hellos answered "
           "\"unavailable\" and sent again\n",
           g->c.closes - storm.closes0, g->ready_interp, secs, ok ? "" : " (timed out)", restart_s,
           storm.status == 0 ? "" : " and FAILED", g->c.hello_retries);
    cJSON_AddNumberToObject(out, "storm_restart_s", restart_s);
    cJSON_AddNumberToObject(out, "storm_after_listen_s", ok && restart_s >= 0 ? secs - restart_s : -1);
    if (compared)
        printf("storm: %ld requests before, %ld after: %ld missing, %ld went back, %ld moved, %ld jobs not the "
               "interpreter's, %ld double-booked\n",
               loss->before, loss->after, loss->missing, loss->went_back, loss->moved, loss->job_mismatch,
               loss->double_booked);
    cJSON_AddNumberToObject(out, "storm_all_back_s", ok ? secs : -1);
    cJSON_AddNumberToObject(out, "storm_dropped", (double)(g->c.closes - storm.closes0));
    cJSON_AddNumberToObject(out, "storm_requests", (double)loss->before);
    cJSON_AddNumberToObject(out, "storm_lost", compared ? (double)(loss->missing + loss->went_back + loss->moved +
                                                                   loss->job_mismatch + loss->double_booked)
                                                        : -1);
}

static void phase_storm(lg *g, const cli *c, redisContext *rc, cJSON *out)
{
    lg_rstate *before = NULL;
    size_t nb = 0;
    /* Work in every state when the server goes: searching, assigned, in session. */
    g->o.inflight = 0;
    g->o.rate = STORM_RATE;
    g->o.session_ms = STORM_SESSION_MS;
    lg_start_creating(g);
    lg_run_until(g, never, 2);
    g->creating = false;
    lg_run_until(g, never, 0.5);
    if (!lg_requests(rc, &before, &nb))
        fprintf(stderr, "loadgen: cannot read the requests before the storm\n");
    storm.closes0 = g->c.closes;
    storm.status = -1;
    storm.t_exit = 0;
    double t0 = storm.t0 = lg_now_us();
    storm.pid = fork();
    if (storm.pid == 0) {
        execl("/bin/sh", "sh", "-c", c->storm, (char *)NULL);
        _exit(127);
    }
    bool ok = storm.pid > 0 && lg_run_until(g, storm_over, STORM_TIMEOUT_S);
    double secs = (lg_now_us() - t0) / 1e6;
    lg_loss loss = {0};
    bool compared = lg_compare_requests(rc, before, nb, &loss);
    storm_report(g, secs, ok, compared, &loss, out);
    free(before);
}

static int run(cli *c, cJSON *out)
{
    lg g;
    long nofile = raise_nofile();
    c->o.max_conns = nofile > FD_RESERVE ? (int)(nofile - FD_RESERVE) : (int)nofile;
    printf("open file limit %ld (%d kept for connections); %d connections wanted\n", nofile, c->o.max_conns,
           c->o.interpreters + c->o.clinics);
    cJSON_AddNumberToObject(out, "nofile", (double)nofile);
    if (!lg_init(&g, &c->o)) {
        fprintf(stderr, "loadgen: out of memory\n");
        return 1;
    }
    g.reconnect = true;
    redisContext *rc = redis_of(c->redis);
    int pid = read_pid(c->pid_file);
    phase_connect(&g, c, out, pid > 0 ? lg_rss(pid) : -1);
    if (c->hold_s > 0)
        lg_run_until(&g, never, c->hold_s);
    if (c->o.rate > 0 || c->o.inflight > 0)
        phase_load(&g, rc, pid, out);
    if (rc && c->open_requests > 0)
        phase_open_requests(&g, c, rc, out);
    if (c->storm && rc)
        phase_storm(&g, c, rc, out);
    add_counts(out, &g.c);
    if (rc)
        redisFree(rc);
    lg_free(&g);
    return 0;
}

static int ceiling(const cli *c, cJSON *out)
{
    dm_redis_addr addr;
    redisContext *rc = redis_of(c->redis);
    lg_ceiling ce;
    if (!rc || !dm_store_parse_url(c->redis, &addr) || addr.unix_socket ||
        !lg_ceiling_run(rc, addr.host, addr.port, c->calls, c->before, c->after, &ce)) {
        if (rc)
            redisFree(rc);
        return 1;
    }
    printf("redis-benchmark (50 clients, %ld calls, data set of %ld, prepared in %.1f s):\n", ce.calls, ce.keyspace,
           ce.prep_s);
    printf("  candidates.lua %.0f/s (p50 %.2f ms), offer.lua %.0f/s (p50 %.2f ms), accept.lua %.0f/s (p50 %.2f ms)\n",
           ce.candidates_rps, ce.candidates_p50_ms, ce.offer_rps, ce.offer_p50_ms, ce.accept_rps, ce.accept_p50_ms);
    printf("  ceiling for match + accept (one of each): %.0f cycles/s\n", ce.cycle_rps);
    cJSON_AddNumberToObject(out, "candidates_rps", ce.candidates_rps);
    cJSON_AddNumberToObject(out, "offer_rps", ce.offer_rps);
    cJSON_AddNumberToObject(out, "accept_rps", ce.accept_rps);
    cJSON_AddNumberToObject(out, "cycle_ceiling_rps", ce.cycle_rps);
    redisFree(rc);
    return 0;
}

static int seed(const cli *c, cJSON *out)
{
    redisContext *rc = redis_of(c->redis);
    if (!rc)
        return 1;
    long long before = lg_used_memory(rc);
    double t0 = lg_now_us();
    bool ok = lg_seed(rc, &c->o, 40000);
    long long after = lg_used_memory(rc);
    double per = (double)(after - before) / (c->o.interpreters + c->o.clinics);
    printf("seeded %d interpreters and %d clinics with tokens in %.1f s; Redis %.0f bytes per registry entry\n",
           c->o.interpreters, c->o.clinics, (lg_now_us() - t0) / 1e6, per);
    cJSON_AddNumberToObject(out, "entries", c->o.interpreters + c->o.clinics);
    cJSON_AddNumberToObject(out, "redis_bytes_per_entry", per);
    redisFree(rc);
    return ok ? 0 : 1;
}

static void write_json(const char *path, cJSON *out)
{
    char *text = cJSON_Print(out);
    FILE *f = path && text ? fopen(path, "w") : NULL;
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    free(text);
}

/* The SHA-1 under which Redis knows each script, as the server loads it. */
static int scripts(void)
{
    for (const dm_embedded *e = dm_script_sources; e->name; e++) {
        char *text = e->name[0] == '_' ? NULL : dm_store_script_text(e->name);
        char sha[41];
        if (text && dm_store_script_sha(text, sha))
            printf("%s %s\n", sha, e->name);
        free(text);
    }
    return 0;
}

int main(int argc, char **argv)
{
    cli c;
    if (!parse_cli(argc, argv, &c)) {
        fputs(usage, stderr);
        return 2;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "label", c.label);
    cJSON_AddStringToObject(out, "mode", c.mode);
    int rc = 2;
    if (strcmp(c.mode, "seed") == 0)
        rc = seed(&c, out);
    else if (strcmp(c.mode, "run") == 0)
        rc = run(&c, out);
    else if (strcmp(c.mode, "ceiling") == 0)
        rc = ceiling(&c, out);
    else if (strcmp(c.mode, "scripts") == 0)
        rc = scripts();
    else
        fputs(usage, stderr);
    if (rc == 0 && c.json)
        write_json(c.json, out);
    cJSON_Delete(out);
    return rc;
}
