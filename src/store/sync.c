/* Blocking Redis access for dragomanctl, with the same scripts as the server,
 * so a command-line change keeps the same invariants. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dragoman/store.h"

redisContext *dm_store_sync_connect(const char *url, char *err, size_t errlen)
{
    dm_redis_addr a;
    if (!dm_store_parse_url(url, &a)) {
        snprintf(err, errlen, "redis: cannot use URL \"%s\"", url);
        return NULL;
    }
    struct timeval tv = {5, 0};
    redisContext *c = a.unix_socket ? redisConnectUnixWithTimeout(a.host, tv) : redisConnectWithTimeout(a.host, a.port, tv);
    if (!c || c->err) {
        snprintf(err, errlen, "redis at %s: %s", url, c ? c->errstr : "out of memory");
        redisFree(c);
        return NULL;
    }
    if (a.db) {
        redisReply *r = redisCommand(c, "SELECT %d", a.db);
        freeReplyObject(r);
    }
    return c;
}

redisReply *dm_store_sync_run(redisContext *c, const char *script, int argc, const char **argv)
{
    char *text = dm_store_script_text(script);
    if (!text)
        return NULL;
    const char **av = calloc((size_t)argc + 3, sizeof *av);
    size_t *lens = calloc((size_t)argc + 3, sizeof *lens);
    redisReply *r = NULL;
    if (av && lens) {
        av[0] = "EVAL";
        av[1] = text;
        av[2] = "0";
        for (int i = 0; i < argc; i++)
            av[i + 3] = argv[i];
        for (int i = 0; i < argc + 3; i++)
            lens[i] = strlen(av[i]);
        r = redisCommandArgv(c, argc + 3, av, lens);
    }
    free(av);
    free(lens);
    free(text);
    return r;
}
