/* How registry entries (clinics, interpreters, coordinators) are written to
 * Redis: from the JSON documents of the admin API and the demo data
 * (proto/schema/admin.*.json) to the arguments of the upsert script. Shared
 * by dragomand's admin API and dragomanctl. Pure, any thread. */
#ifndef DRAGOMAN_REGISTRY_H
#define DRAGOMAN_REGISTRY_H
#include <stdbool.h>

#include "dragoman/proto.h"

#define DM_REGISTRY_MAX_ARGS 24

typedef struct dm_registry_args {
    const char *argv[DM_REGISTRY_MAX_ARGS + 1]; /* NULL-terminated; points into doc and the buffers below */
    int argc;
    char grace[24];
    char langs[256], modalities[64], specialties[320], origins[4200];
} dm_registry_args;

/* The Redis key prefix of a kind: "i" for interpreter, "c" for clinic, "u"
 * for coordinator; "" for an unknown kind. */
const char *dm_registry_prefix(const char *kind);
/* A revocation as announced on the event channel (target DM_REGISTRY_REVOKED):
 * "t:HASH" for one token, "s:ROLE:ID" for all of a subject's. */
#define DM_REGISTRY_REVOKED "!revoke"
/* True for 1-32 characters of a-z, 0-9, '-' and '_', not starting with '-' or '_'. */
bool dm_registry_valid_id(const char *id);
/* Validates doc against its schema and fills out with the upsert script's
 * arguments: kind, id, heartbeat grace (ms), field/value pairs. doc must
 * outlive out. kind is "clinic", "interpreter" or "coordinator". */
bool dm_registry_upsert_args(const char *kind, const char *id, const cJSON *doc, long long grace_ms,
                             dm_registry_args *out, dm_proto_error *err);

#endif
