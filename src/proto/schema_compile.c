/* Compiling a schema: checks that the document uses only what the validator
 * applies, and compiles its patterns once, for the life of the schema. */
#include "schema.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

/* Beyond 2^53 - 1 a double no longer holds every integer, so a larger JSON
 * number cannot be trusted to be the integer the client wrote. */
#define MAX_SAFE_INTEGER 9007199254740991.0

typedef struct {
    const char *source; /* the pattern's string inside the document: its identity */
    regex_t re;
} pattern;

struct dm_schema {
    cJSON *doc;
    pattern *patterns;
    size_t npatterns;
};

static int is_integer(const cJSON *v)
{
    if (!cJSON_IsNumber(v))
        return 0;
    double d = v->valuedouble;
    return d >= -MAX_SAFE_INTEGER && d <= MAX_SAFE_INTEGER && d == (double)(long long)d;
}

static int is_number(const cJSON *v)
{
    return cJSON_IsNumber(v) && isfinite(v->valuedouble);
}

static const dm_json_type types[] = {
    {"string", cJSON_IsString, "a string"},  {"integer", is_integer, "an integer"},
    {"number", is_number, "a number"},       {"boolean", cJSON_IsBool, "true or false"},
    {"object", cJSON_IsObject, "an object"}, {"array", cJSON_IsArray, "an array"},
    {"null", cJSON_IsNull, "null"},
};

const dm_json_type *dm_json_type_find(const char *name)
{
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (strcmp(types[i].name, name) == 0)
            return &types[i];
    return NULL;
}

static const cJSON *kw(const cJSON *schema, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(schema, name);
}

static bool is_scalar(const cJSON *v)
{
    return cJSON_IsString(v) || cJSON_IsNumber(v) || cJSON_IsBool(v) || cJSON_IsNull(v);
}

typedef enum {
    KW_UNKNOWN,
    KW_ANNOTATION,
    KW_SCALAR,
    KW_SCALARS,
    KW_SCHEMA,
    KW_SCHEMA_MAP,
    KW_SCHEMA_LIST,
    KW_BOOL_OR_SCHEMA,
    KW_COUNT,
    KW_NUMBER,
    KW_BOOL,
    KW_NAMES,
    KW_TYPE,
    KW_PATTERN,
    KW_DEPENDENT,
} kw_kind;

static const struct {
    const char *name;
    kw_kind kind;
} keywords[] = {
    {"$schema", KW_ANNOTATION}, {"$id", KW_ANNOTATION}, {"$comment", KW_ANNOTATION}, {"title", KW_ANNOTATION},
    {"description", KW_ANNOTATION}, {"examples", KW_ANNOTATION}, {"default", KW_ANNOTATION}, {"type", KW_TYPE},
    {"enum", KW_SCALARS}, {"const", KW_SCALAR}, {"properties", KW_SCHEMA_MAP}, {"required", KW_NAMES},
    {"additionalProperties", KW_BOOL_OR_SCHEMA}, {"propertyNames", KW_SCHEMA}, {"minProperties", KW_COUNT},
    {"maxProperties", KW_COUNT}, {"dependentRequired", KW_DEPENDENT}, {"items", KW_SCHEMA},
    {"minItems", KW_COUNT}, {"maxItems", KW_COUNT}, {"uniqueItems", KW_BOOL}, {"minLength", KW_COUNT},
    {"maxLength", KW_COUNT}, {"pattern", KW_PATTERN}, {"minimum", KW_NUMBER}, {"maximum", KW_NUMBER},
    {"allOf", KW_SCHEMA_LIST}, {"if", KW_SCHEMA}, {"then", KW_SCHEMA},
};

typedef struct {
    dm_schema *schema;
    const char *name;
    dm_proto_error *err;
    dm_path path;
} compiler;

static bool bad(compiler *k, const char *problem)
{
    dm_proto_set_error(k->err, DM_ERR_INTERNAL, NULL, "schema %s%s%s: %s", k->name, k->path.len ? " at " : "",
                       k->path.s, problem);
    if (k->err)
        dm_copy_text(k->err->field, sizeof k->err->field, k->path.s);
    return false;
}

static kw_kind keyword_kind(const char *name)
{
    for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
        if (strcmp(keywords[i].name, name) == 0)
            return keywords[i].kind;
    return KW_UNKNOWN;
}

static bool is_count(const cJSON *v)
{
    return is_integer(v) && v->valuedouble >= 0 && v->valuedouble <= 1e9;
}

static bool is_names(const cJSON *v)
{
    if (!cJSON_IsArray(v))
        return false;
    for (const cJSON *n = v->child; n; n = n->next)
        if (!cJSON_IsString(n))
            return false;
    return true;
}

static bool is_scalars(const cJSON *v)
{
    if (!cJSON_IsArray(v) || !v->child)
        return false;
    for (const cJSON *n = v->child; n; n = n->next)
        if (!is_scalar(n))
            return false;
    return true;
}

static bool is_type(const cJSON *v)
{
    if (cJSON_IsString(v))
        return dm_json_type_find(v->valuestring) != NULL;
    if (!cJSON_IsArray(v) || !v->child)
        return false;
    for (const cJSON *t = v->child; t; t = t->next)
        if (!cJSON_IsString(t) || !dm_json_type_find(t->valuestring))
            return false;
    return true;
}

static bool is_dependent(const cJSON *v)
{
    if (!cJSON_IsObject(v))
        return false;
    for (const cJSON *d = v->child; d; d = d->next)
        if (!is_names(d))
            return false;
    return true;
}

static bool compile_node(compiler *k, const cJSON *node);

static bool compile_child(compiler *k, const cJSON *node, const char *key, int index)
{
    size_t saved = key ? dm_path_key(&k->path, key) : dm_path_index(&k->path, index);
    bool ok = compile_node(k, node);
    dm_path_pop(&k->path, saved);
    return ok;
}

static bool compile_map(compiler *k, const cJSON *map)
{
    if (!cJSON_IsObject(map))
        return bad(k, "must map names to schemas");
    for (const cJSON *s = map->child; s; s = s->next)
        if (!compile_child(k, s, s->string, 0))
            return false;
    return true;
}

static bool compile_list(compiler *k, const cJSON *list)
{
    if (!cJSON_IsArray(list) || !list->child)
        return bad(k, "must be a non-empty array of schemas");
    int i = 0;
    for (const cJSON *s = list->child; s; s = s->next)
        if (!compile_child(k, s, NULL, i++))
            return false;
    return true;
}

static bool compile_pattern(compiler *k, const cJSON *p)
{
    if (!cJSON_IsString(p))
        return bad(k, "must be a string");
    dm_schema *s = k->schema;
    pattern *grown = realloc(s->patterns, (s->npatterns + 1) * sizeof *grown);
    if (!grown)
        return bad(k, "out of memory");
    s->patterns = grown;
    if (regcomp(&grown[s->npatterns].re, p->valuestring, REG_EXTENDED | REG_NOSUB) != 0)
        return bad(k, "not a POSIX extended regular expression");
    grown[s->npatterns++].source = p->valuestring;
    return true;
}

static bool compile_keyword(compiler *k, const cJSON *v)
{
    switch (keyword_kind(v->string)) {
    case KW_ANNOTATION:
        return true;
    case KW_SCALAR:
        return is_scalar(v) || bad(k, "must be a string, number, boolean or null");
    case KW_SCALARS:
        return is_scalars(v) || bad(k, "must be a non-empty array of strings, numbers, booleans or nulls");
    case KW_SCHEMA:
        return compile_node(k, v);
    case KW_SCHEMA_MAP:
        return compile_map(k, v);
    case KW_SCHEMA_LIST:
        return compile_list(k, v);
    case KW_BOOL_OR_SCHEMA:
        return cJSON_IsBool(v) || compile_node(k, v);
    case KW_COUNT:
        return is_count(v) || bad(k, "must be a non-negative integer");
    case KW_NUMBER:
        return is_number(v) || bad(k, "must be a number");
    case KW_BOOL:
        return cJSON_IsBool(v) || bad(k, "must be true or false");
    case KW_NAMES:
        return is_names(v) || bad(k, "must be an array of names");
    case KW_TYPE:
        return is_type(v) || bad(k, "must be a type name or an array of them");
    case KW_PATTERN:
        return compile_pattern(k, v);
    case KW_DEPENDENT:
        return is_dependent(v) || bad(k, "must map names to arrays of names");
    case KW_UNKNOWN:
        break;
    }
    return bad(k, "keyword not supported by the server's validator");
}

static bool compile_node(compiler *k, const cJSON *node)
{
    if (!cJSON_IsObject(node))
        return bad(k, "must be a schema object");
    for (const cJSON *v = node->child; v; v = v->next) {
        size_t saved = dm_path_key(&k->path, v->string);
        bool ok = compile_keyword(k, v);
        dm_path_pop(&k->path, saved);
        if (!ok)
            return false;
    }
    if (kw(node, "pattern") && !cJSON_IsString(kw(node, "description")))
        return bad(k, "a pattern needs a description: errors quote it");
    if (kw(node, "then") && !kw(node, "if"))
        return bad(k, "then without if");
    return true;
}

dm_schema *dm_schema_compile(const char *name, const char *text, dm_proto_error *err)
{
    compiler k = {.name = name, .err = err};
    k.schema = calloc(1, sizeof *k.schema);
    if (!k.schema) {
        bad(&k, "out of memory");
        return NULL;
    }
    k.schema->doc = cJSON_Parse(text);
    bool ok = k.schema->doc ? compile_node(&k, k.schema->doc) : bad(&k, "not JSON");
    if (ok)
        return k.schema;
    dm_schema_free(k.schema);
    return NULL;
}

void dm_schema_free(dm_schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->npatterns; i++)
        regfree(&s->patterns[i].re);
    free(s->patterns);
    cJSON_Delete(s->doc);
    free(s);
}

const cJSON *dm_schema_document(const dm_schema *s)
{
    return s->doc;
}

bool dm_schema_match(const dm_schema *s, const cJSON *p, const char *text)
{
    for (size_t i = 0; i < s->npatterns; i++)
        if (s->patterns[i].source == p->valuestring)
            return regexec(&s->patterns[i].re, text, 0, NULL, 0) == 0;
    return false; /* compiling visited every pattern validation can reach */
}
