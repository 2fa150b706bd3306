/* dragomand: the Dragoman dispatch server. Reads its configuration, starts a
 * private Redis when none is configured, and runs the server on the libevent
 * loop until SIGINT or SIGTERM. */
#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dragoman/config.h"
#include "dragoman/log.h"
#include "dragoman/proto.h"
#include "dragoman/redisproc.h"
#include "dragoman/server.h"

#define REDIS_START_TIMEOUT_MS 10000

typedef struct app {
    dm_config cfg;
    struct event_base *base;
    dm_server *server;
    bool demo_loaded;
    int exit_code;
} app;

static app the_app;

static void on_demo_done(dm_server *srv, bool ok)
{
    (void)srv;
    if (!ok)
        dm_error("the demo data set was not fully loaded");
    else
        dm_info("demo data loaded");
}

/* The demo goes in once Redis answers, and once per process: it is an upsert. */
static void on_redis_up(dm_server *srv)
{
    if (the_app.demo_loaded || !the_app.cfg.demo[0])
        return;
    the_app.demo_loaded = true;
    if (!dm_server_load_demo(srv, the_app.cfg.demo, on_demo_done)) {
        the_app.exit_code = 1;
        event_base_loopbreak(the_app.base);
    }
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    app *a = arg;
    dm_info("%s: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    event_base_loopbreak(a->base);
}

static dm_log_level log_level(const char *name)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcmp(names[i], name) == 0)
            return (dm_log_level)i;
    return DM_LOG_INFO;
}

static int run(app *a)
{
    dm_redisproc *redis = NULL;
    struct event *sigint = NULL, *sigterm = NULL;
    char url[300];
    int rc = 1;
    snprintf(url, sizeof url, "%s", a->cfg.redis_url);
    if (!url[0]) {
        char dir[300];
        snprintf(dir, sizeof dir, "%s/redis", a->cfg.data_dir);
        redis = dm_redisproc_start(a->cfg.redis_server, dir, REDIS_START_TIMEOUT_MS);
        if (!redis)
            goto out;
        snprintf(url, sizeof url, "unix://%s", dm_redisproc_socket(redis));
        dm_info("started a private redis-server at %s", dm_redisproc_socket(redis));
    }
    a->server = dm_server_start(&a->cfg, a->base, url, on_redis_up);
    if (!a->server)
        goto out;
    sigint = evsignal_new(a->base, SIGINT, on_signal, a);
    sigterm = evsignal_new(a->base, SIGTERM, on_signal, a);
    if (!sigint || !sigterm || event_add(sigint, NULL) || event_add(sigterm, NULL))
        goto out;
    a->exit_code = 0;
    event_base_dispatch(a->base);
    rc = a->exit_code;
out:
    dm_server_stop(a->server);
    if (sigint)
        event_free(sigint);
    if (sigterm)
        event_free(sigterm);
    dm_redisproc_stop(redis);
    return rc;
}

int main(int argc, char **argv)
{
    app *a = &the_app;
    char err[512];
    dm_config_defaults(&a->cfg);
    if (!dm_config_from_args(&a->cfg, argc, argv, err, sizeof err)) {
        fprintf(stderr, "dragomand: %s\n(see dragomand --help)\n", err);
        return 2;
    }
    if (a->cfg.help) {
        fputs(dm_config_usage(), stdout);
        return 0;
    }
    dm_log_set_level(log_level(a->cfg.log_level));
    /* Reports and "this week" are in the deployment's zone, whatever the host's. */
    setenv("TZ", a->cfg.timezone, 1);
    tzset();
    signal(SIGPIPE, SIG_IGN);
    /* Must precede event_base_new: the lws thread wakes this loop with event_active. */
    evthread_use_pthreads();
    a->base = event_base_new();
    if (!a->base) {
        fprintf(stderr, "dragomand: cannot create the event loop\n");
        return 1;
    }
    int rc = run(a);
    event_base_free(a->base);
    libevent_global_shutdown();
    dm_proto_shutdown();
    return rc;
}
