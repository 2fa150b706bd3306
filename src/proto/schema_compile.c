/* Compiling a schema: checks that the document uses only what the validator
 * applies, and turns each schema object into a dm_snode (its keywords found,
 * its pattern compiled) once, for the life of the schema. */
#include "schema.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <regex.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Beyond 2^53 - 1 a double no longer holds every integer, so a larger JSON
 * number cannot be trusted to be the integer the client wrote. */
#define MAX_SAFE_INTEGER 9007199254740991.0

struct dm_schema {
    cJSON *doc;
    dm_snode *root;
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

/* Each keyword, and where its node keeps it (at): its value as it is for the
 * kinds the validator reads as they are, its compiled node for KW_SCHEMA and
 * KW_BOOL_OR_SCHEMA, at that offset of dm_snode. 0 means nowhere: doc, at 0,
 * is no keyword's. */
#define AT(field) offsetof(dm_snode, field)
_Static_assert(offsetof(dm_snode, doc) == 0, "offset 0 means no field");

typedef struct {
    const char *name;
    kw_kind kind;
    size_t at;
} keyword;

static const keyword keywords[] = {
    {"$schema", KW_ANNOTATION, 0},
    {"$id", KW_ANNOTATION, 0},
    {"$comment", KW_ANNOTATION, 0},
    {"title", KW_ANNOTATION, 0},
    {"description", KW_ANNOTATION, 0},
    {"examples", KW_ANNOTATION, 0},
    {"default", KW_ANNOTATION, 0},
    {"type", KW_TYPE, AT(type)},
    {"enum", KW_SCALARS, AT(enum_values)},
    {"const", KW_SCALAR, AT(const_value)},
    {"properties", KW_SCHEMA_MAP, 0},
    {"required", KW_NAMES, AT(required)},
    {"additionalProperties", KW_BOOL_OR_SCHEMA, AT(additional)},
    {"propertyNames", KW_SCHEMA, AT(property_names)},
    {"minProperties", KW_COUNT, AT(min_props)},
    {"maxProperties", KW_COUNT, AT(max_props)},
    {"dependentRequired", KW_DEPENDENT, AT(dependent)},
    {"items", KW_SCHEMA, AT(items)},
    {"minItems", KW_COUNT, AT(min_items)},
    {"maxItems", KW_COUNT, AT(max_items)},
    {"uniqueItems", KW_BOOL, 0},
    {"minLength", KW_COUNT, AT(min_length)},
    {"maxLength", KW_COUNT, AT(max_length)},
    {"pattern", KW_PATTERN, 0},
    {"minimum", KW_NUMBER, AT(minimum)},
    {"maximum", KW_NUMBER, AT(maximum)},
    {"allOf", KW_SCHEMA_LIST, 0},
    {"if", KW_SCHEMA, AT(if_node)},
    {"then", KW_SCHEMA, AT(then_node)},
};

typedef struct {
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

static const keyword *keyword_find(const char *name)
{
    for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
        if (strcmp(keywords[i].name, name) == 0)
            return &keywords[i];
    return NULL;
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

static void snode_free(dm_snode *n)
{
    if (!n)
        return;
    snode_free(n->items);
    snode_free(n->property_names);
    snode_free(n->additional);
    snode_free(n->if_node);
    snode_free(n->then_node);
    for (size_t i = 0; i < n->nprops; i++)
        snode_free(n->props[i].node);
    free(n->props);
    for (size_t i = 0; i < n->nall_of; i++)
        snode_free(n->all_of[i]);
    free(n->all_of);
    if (n->has_pattern)
        regfree(&n->pattern);
    free(n);
}

static dm_snode *compile_node(compiler *k, const cJSON *doc);

static dm_snode *compile_child(compiler *k, const cJSON *doc, const char *key, int index)
{
    size_t saved = key ? dm_path_key(&k->path, key) : dm_path_index(&k->path, index);
    dm_snode *n = compile_node(k, doc);
    dm_path_pop(&k->path, saved);
    return n;
}

static bool compile_map(compiler *k, dm_snode *n, const cJSON *map)
{
    if (!cJSON_IsObject(map))
        return bad(k, "must map names to schemas");
    n->props = calloc((size_t)cJSON_GetArraySize(map) + 1, sizeof *n->props);
    if (!n->props)
        return bad(k, "out of memory");
    for (const cJSON *s = map->child; s; s = s->next) {
        dm_sprop *p = &n->props[n->nprops];
        p->name = s->string;
        if (!(p->node = compile_child(k, s, s->string, 0)))
            return false;
        n->nprops++;
    }
    return true;
}

static bool compile_list(compiler *k, dm_snode *n, const cJSON *list)
{
    if (!cJSON_IsArray(list) || !list->child)
        return bad(k, "must be a non-empty array of schemas");
    n->all_of = calloc((size_t)cJSON_GetArraySize(list), sizeof *n->all_of);
    if (!n->all_of)
        return bad(k, "out of memory");
    for (const cJSON *s = list->child; s; s = s->next) {
        if (!(n->all_of[n->nall_of] = compile_child(k, s, NULL, (int)n->nall_of)))
            return false;
        n->nall_of++;
    }
    return true;
}

static bool compile_pattern(compiler *k, dm_snode *n, const cJSON *p)
{
    if (!cJSON_IsString(p))
        return bad(k, "must be a string");
    if (regcomp(&n->pattern, p->valuestring, REG_EXTENDED | REG_NOSUB) != 0)
        return bad(k, "not a POSIX extended regular expression");
    n->has_pattern = true;
    return true;
}

static bool compile_schema(compiler *k, dm_snode *n, const keyword *w, const cJSON *v)
{
    dm_snode **slot = (dm_snode **)((char *)n + w->at);
    *slot = compile_node(k, v);
    return *slot != NULL;
}

/* A value the validator reads as it is, kept where its keyword says. */
static bool keep(dm_snode *n, const keyword *w, const cJSON *v)
{
    *(const cJSON **)((char *)n + w->at) = v;
    return true;
}

static bool compile_keyword(compiler *k, dm_snode *n, const cJSON *v)
{
    const keyword *w = keyword_find(v->string);
    switch (w ? w->kind : KW_UNKNOWN) {
    case KW_ANNOTATION:
        return true;
    case KW_SCALAR:
        return is_scalar(v) ? keep(n, w, v) : bad(k, "must be a string, number, boolean or null");
    case KW_SCALARS:
        return is_scalars(v) ? keep(n, w, v)
                             : bad(k, "must be a non-empty array of strings, numbers, booleans or nulls");
    case KW_SCHEMA:
        return compile_schema(k, n, w, v);
    case KW_SCHEMA_MAP:
        return compile_map(k, n, v);
    case KW_SCHEMA_LIST:
        return compile_list(k, n, v);
    case KW_BOOL_OR_SCHEMA:
        n->closed = cJSON_IsFalse(v);
        return cJSON_IsBool(v) || compile_schema(k, n, w, v);
    case KW_COUNT:
        return is_count(v) ? keep(n, w, v) : bad(k, "must be a non-negative integer");
    case KW_NUMBER:
        return is_number(v) ? keep(n, w, v) : bad(k, "must be a number");
    case KW_BOOL:
        n->unique_items = cJSON_IsTrue(v);
        return cJSON_IsBool(v) || bad(k, "must be true or false");
    case KW_NAMES:
        return is_names(v) ? keep(n, w, v) : bad(k, "must be an array of names");
    case KW_TYPE:
        return is_type(v) ? keep(n, w, v) : bad(k, "must be a type name or an array of them");
    case KW_PATTERN:
        return compile_pattern(k, n, v);
    case KW_DEPENDENT:
        return is_dependent(v) ? keep(n, w, v) : bad(k, "must map names to arrays of names");
    case KW_UNKNOWN:
        break;
    }
    return bad(k, "keyword not supported by the server's validator");
}

static bool compile_keywords(compiler *k, dm_snode *n, const cJSON *doc)
{
    if (!cJSON_IsObject(doc))
        return bad(k, "must be a schema object");
    for (const cJSON *v = doc->child; v; v = v->next) {
        size_t saved = dm_path_key(&k->path, v->string);
        bool ok = compile_keyword(k, n, v);
        dm_path_pop(&k->path, saved);
        if (!ok)
            return false;
    }
    if (kw(doc, "pattern") && !cJSON_IsString(kw(doc, "description")))
        return bad(k, "a pattern needs a description: errors quote it");
    if (kw(doc, "then") && !kw(doc, "if"))
        return bad(k, "then without if");
    n->doc = doc;
    n->one_type = cJSON_IsString(n->type) ? dm_json_type_find(n->type->valuestring) : NULL;
    return true;
}

static dm_snode *compile_node(compiler *k, const cJSON *doc)
{
    dm_snode *n = calloc(1, sizeof *n);
    if (!n) {
        bad(k, "out of memory");
        return NULL;
    }
    if (compile_keywords(k, n, doc))
        return n;
    snode_free(n);
    return NULL;
}

dm_schema *dm_schema_compile(const char *name, const char *text, dm_proto_error *err)
{
    compiler k = {.name = name, .err = err};
    dm_schema *s = calloc(1, sizeof *s);
    if (!s) {
        bad(&k, "out of memory");
        return NULL;
    }
    s->doc = cJSON_Parse(text);
    if (!s->doc)
        bad(&k, "not JSON");
    else
        s->root = compile_node(&k, s->doc);
    if (s->root)
        return s;
    dm_schema_free(s);
    return NULL;
}

void dm_schema_free(dm_schema *s)
{
    if (!s)
        return;
    snode_free(s->root);
    cJSON_Delete(s->doc);
    free(s);
}

const dm_snode *dm_schema_root(const dm_schema *s)
{
    return s->root;
}
