/* The schemas of proto/schema, compiled from the copies embedded in the binary
 * on first use and kept until dm_proto_shutdown. */
#include "schema.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dragoman/embedded.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
/* Parallel to dm_schema_sources: each compiled schema, or NULL and why not. */
static dm_schema **compiled;
static dm_proto_error *failures;
static size_t ncompiled;

static void compile_all(void)
{
    size_t n = 0;
    while (dm_schema_sources[n].name)
        n++;
    compiled = calloc(n ? n : 1, sizeof *compiled);
    failures = calloc(n ? n : 1, sizeof *failures);
    if (!compiled || !failures) {
        free(compiled);
        free(failures);
        compiled = NULL;
        failures = NULL;
        return;
    }
    ncompiled = n;
    for (size_t i = 0; i < n; i++)
        compiled[i] = dm_schema_compile(dm_schema_sources[i].name, dm_schema_sources[i].text, &failures[i]);
}

const dm_schema *dm_schema_get(const char *name, dm_proto_error *err)
{
    pthread_once(&once, compile_all);
    for (size_t i = 0; i < ncompiled; i++) {
        if (strcmp(dm_schema_sources[i].name, name) != 0)
            continue;
        if (!compiled[i] && err)
            *err = failures[i];
        return compiled[i];
    }
    dm_proto_set_error(err, DM_ERR_INTERNAL, NULL, "no schema named %s", name);
    return NULL;
}

void dm_proto_shutdown(void)
{
    pthread_once(&once, compile_all);
    for (size_t i = 0; i < ncompiled; i++)
        dm_schema_free(compiled[i]);
    free(compiled);
    free(failures);
    compiled = NULL;
    failures = NULL;
    ncompiled = 0;
}
