/* Registry documents to the upsert script's arguments. Missing lists and
 * flags are written as empty values, which the script deletes: a PUT is the
 * whole entry. Any thread. */
#include "dragoman/registry.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

const char *dm_registry_prefix(const char *kind)
{
    if (strcmp(kind, "interpreter") == 0)
        return "i";
    if (strcmp(kind, "clinic") == 0)
        return "c";
    return strcmp(kind, "coordinator") == 0 ? "u" : "";
}

bool dm_registry_valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > DM_ID_MAX || s[0] == '-' || s[0] == '_')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
            return false;
    return true;
}

static void add(dm_registry_args *a, const char *k, const char *v)
{
    if (a->argc + 2 > DM_REGISTRY_MAX_ARGS)
        return;
    a->argv[a->argc++] = k;
    a->argv[a->argc++] = v;
}

static const char *string_or_empty(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static void join_array(const cJSON *a, char *out, size_t len)
{
    size_t used = 0;
    const cJSON *e;
    out[0] = '\0';
    cJSON_ArrayForEach(e, a)
    {
        if (cJSON_IsString(e) && used < len)
            used += (size_t)snprintf(out + used, len - used, "%s%s", used ? "," : "", e->valuestring);
    }
}

/* languages {"ar": "certified", ...} is stored as "ar:certified,...". */
static void join_languages(const cJSON *langs, char *out, size_t len)
{
    size_t used = 0;
    const cJSON *e;
    out[0] = '\0';
    cJSON_ArrayForEach(e, langs)
    {
        if (cJSON_IsString(e) && used < len)
            used += (size_t)snprintf(out + used, len - used, "%s%s:%s", used ? "," : "", e->string, e->valuestring);
    }
}

static const char *active_flag(const cJSON *o)
{
    return cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "active")) ? "0" : "1";
}

static void interpreter_args(dm_registry_args *a, const cJSON *o)
{
    join_languages(cJSON_GetObjectItemCaseSensitive(o, "languages"), a->langs, sizeof a->langs);
    join_array(cJSON_GetObjectItemCaseSensitive(o, "modalities"), a->modalities, sizeof a->modalities);
    join_array(cJSON_GetObjectItemCaseSensitive(o, "specialties"), a->specialties, sizeof a->specialties);
    add(a, "name", string_or_empty(o, "name"));
    add(a, "langs", a->langs);
    add(a, "modalities", a->modalities);
    add(a, "specialties", a->specialties);
    add(a, "gender", string_or_empty(o, "gender"));
    add(a, "area", string_or_empty(o, "area"));
    add(a, "active", active_flag(o));
}

static void clinic_args(dm_registry_args *a, const cJSON *o)
{
    static const char *const fields[] = {"name", "area", "address", "contact"};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        add(a, fields[i], string_or_empty(o, fields[i]));
    join_array(cJSON_GetObjectItemCaseSensitive(o, "origins"), a->origins, sizeof a->origins);
    add(a, "origins", a->origins);
    add(a, "active", active_flag(o));
}

/* A coordinator is a name; there is no schema beyond that. */
static bool coordinator_args(dm_registry_args *a, const cJSON *o, dm_proto_error *err)
{
    const char *name = string_or_empty(o, "name");
    size_t n = strlen(name);
    if (n == 0 || n > DM_NAME_MAX) {
        err->code = DM_ERR_BAD_MESSAGE;
        snprintf(err->field, sizeof err->field, "name");
        snprintf(err->message, sizeof err->message, "name: 1 to %d characters", DM_NAME_MAX);
        return false;
    }
    add(a, "name", name);
    add(a, "active", active_flag(o));
    return true;
}

bool dm_registry_upsert_args(const char *kind, const char *id, const cJSON *doc, long long grace_ms,
                             dm_registry_args *out, dm_proto_error *err)
{
    memset(err, 0, sizeof *err);
    err->code = DM_ERR_BAD_MESSAGE;
    if (!dm_registry_valid_id(id)) {
        snprintf(err->field, sizeof err->field, "id");
        snprintf(err->message, sizeof err->message, "id: 1 to 32 characters of a-z, 0-9, '-' and '_'");
        return false;
    }
    snprintf(out->grace, sizeof out->grace, "%lld", grace_ms);
    out->argv[0] = kind;
    out->argv[1] = id;
    out->argv[2] = out->grace;
    out->argc = 3;
    if (strcmp(kind, "coordinator") == 0) {
        if (!coordinator_args(out, doc, err))
            return false;
    } else {
        char schema[32];
        snprintf(schema, sizeof schema, "admin.%s", kind);
        if (!dm_proto_validate(schema, doc, err))
            return false;
        if (strcmp(kind, "interpreter") == 0)
            interpreter_args(out, doc);
        else
            clinic_args(out, doc);
    }
    out->argv[out->argc] = NULL;
    return true;
}
