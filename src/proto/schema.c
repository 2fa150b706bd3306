/* Validating a JSON value against a compiled schema, with errors for people:
 * "duration_min: must be an integer from 5 to 480". The first error found wins:
 * type, then enum and const, then the checks of the value's kind (object
 * members in document order before missing fields), then allOf and if/then. */
#include "schema.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const cJSON *kw(const cJSON *schema, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(schema, name);
}

typedef struct {
    char *s;
    size_t size, len;
} text_buf;

static void append(text_buf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(text_buf *t, const char *fmt, ...)
{
    if (t->len + 1 >= t->size)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(t->s + t->len, t->size - t->len, fmt, ap) >= (int)(t->size - t->len))
        dm_utf8_trim(t->s);
    va_end(ap);
    t->len = strlen(t->s);
}

static void append_value(text_buf *t, const cJSON *v)
{
    if (cJSON_IsString(v))
        append(t, "%s", v->valuestring);
    else if (cJSON_IsNumber(v))
        append(t, "%.15g", v->valuedouble);
    else
        append(t, "%s", cJSON_IsTrue(v) ? "true" : cJSON_IsFalse(v) ? "false" : "null");
}

static void append_range(text_buf *t, const char *noun, const cJSON *s)
{
    const cJSON *lo = kw(s, "minimum"), *hi = kw(s, "maximum");
    if (lo && hi)
        append(t, "%s from %.15g to %.15g", noun, lo->valuedouble, hi->valuedouble);
    else if (lo)
        append(t, "%s of at least %.15g", noun, lo->valuedouble);
    else if (hi)
        append(t, "%s of at most %.15g", noun, hi->valuedouble);
    else
        append(t, "%s", noun);
}

static void append_types(text_buf *t, const cJSON *s)
{
    const cJSON *type = kw(s, "type");
    if (!type || cJSON_IsString(type)) {
        const char *name = type ? type->valuestring : "number";
        const char *phrase = dm_json_type_find(name)->phrase;
        if (strcmp(name, "integer") == 0 || strcmp(name, "number") == 0)
            append_range(t, phrase, s);
        else
            append(t, "%s", phrase);
        return;
    }
    for (const cJSON *n = type->child; n; n = n->next)
        append(t, "%s%s", n == type->child ? "" : " or ", dm_json_type_find(n->valuestring)->phrase);
}

/* "must be one of phone, video, onsite", "must be an integer from 5 to 480"... */
static void expectation(const cJSON *s, char *buf, size_t size)
{
    text_buf t = {buf, size, 0};
    const cJSON *words = kw(s, "enum"), *only = kw(s, "const");
    buf[0] = '\0';
    append(&t, "must be ");
    if (words) {
        append(&t, "one of ");
        for (const cJSON *w = words->child; w; w = w->next) {
            append(&t, "%s", w == words->child ? "" : ", ");
            append_value(&t, w);
        }
    } else if (only) {
        append_value(&t, only);
    } else if (kw(s, "pattern")) {
        append(&t, "%s", kw(s, "description")->valuestring);
    } else {
        append_types(&t, s);
    }
}

/* "modality is onsite", from {"properties": {"modality": {"const": "onsite"}}}. */
static void condition(const cJSON *cond, char *buf, size_t size)
{
    text_buf t = {buf, size, 0};
    const cJSON *props = kw(cond, "properties");
    buf[0] = '\0';
    for (const cJSON *p = props ? props->child : NULL; p; p = p->next) {
        if (!kw(p, "const"))
            continue;
        append(&t, "%s%s is ", t.len ? " and " : "", p->string);
        append_value(&t, kw(p, "const"));
    }
    if (t.len == 0)
        append(&t, "the schema's condition holds");
}

typedef struct {
    dm_proto_error *err; /* NULL while trying an "if": only the verdict counts */
    dm_path path;
    const char *when;    /* condition of the "then" being checked: "required when ..." */
    bool naming_key;     /* checking a property name against propertyNames */
} checker;

typedef struct {
    const char *one, *many;
} measure;

static const measure characters = {"character", "characters"};
static const measure items = {"item", "items"};
static const measure entries = {"entry", "entries"};

static bool check(checker *c, const dm_snode *s, const cJSON *v);

static bool fail(checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(checker *c, const char *fmt, ...)
{
    if (!c->err)
        return false;
    char text[sizeof c->err->message];
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(text, sizeof text, fmt, ap) >= (int)sizeof text)
        dm_utf8_trim(text);
    va_end(ap);
    dm_proto_set_error(c->err, DM_ERR_BAD_MESSAGE, c->path.s, "%s%s", c->naming_key ? "the key " : "", text);
    return false;
}

static bool fail_expected(checker *c, const dm_snode *s)
{
    char text[160];
    if (!c->err)
        return false;
    expectation(s->doc, text, sizeof text);
    return fail(c, "%s", text);
}

static bool present(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name) != NULL;
}

static bool contains(const cJSON *list, const cJSON *v, const cJSON *stop)
{
    for (const cJSON *x = list->child; x && x != stop; x = x->next)
        if (cJSON_Compare(x, v, 1))
            return true;
    return false;
}

static bool check_count(checker *c, const cJSON *lo, const cJSON *hi, const measure *m, long n)
{
    if (hi && n > hi->valueint)
        return fail(c, "at most %d %s", hi->valueint, hi->valueint == 1 ? m->one : m->many);
    if (lo && n < lo->valueint && lo->valueint == 1)
        return fail(c, "must not be empty");
    if (lo && n < lo->valueint)
        return fail(c, "at least %d %s", lo->valueint, m->many);
    return true;
}

static bool check_type(checker *c, const dm_snode *s, const cJSON *v)
{
    if (!s->type)
        return true;
    if (s->one_type)
        return s->one_type->test(v) || fail_expected(c, s);
    for (const cJSON *t = s->type->child; t; t = t->next)
        if (dm_json_type_find(t->valuestring)->test(v))
            return true;
    return fail_expected(c, s);
}

static bool check_words(checker *c, const dm_snode *s, const cJSON *v)
{
    if (s->enum_values && !contains(s->enum_values, v, NULL))
        return fail_expected(c, s);
    if (s->const_value && !cJSON_Compare(s->const_value, v, 1))
        return fail_expected(c, s);
    return true;
}

static bool check_string(checker *c, const dm_snode *s, const cJSON *v)
{
    long n = dm_utf8_length(v->valuestring, strlen(v->valuestring));
    if (n < 0)
        return fail(c, "must be valid UTF-8 text");
    if (!check_count(c, s->min_length, s->max_length, &characters, n))
        return false;
    if (s->has_pattern && regexec(&s->pattern, v->valuestring, 0, NULL, 0) != 0)
        return fail_expected(c, s);
    return true;
}

static bool check_number(checker *c, const dm_snode *s, const cJSON *v)
{
    if ((s->minimum && v->valuedouble < s->minimum->valuedouble) ||
        (s->maximum && v->valuedouble > s->maximum->valuedouble))
        return fail_expected(c, s);
    return true;
}

static bool check_array(checker *c, const dm_snode *s, const cJSON *v)
{
    /* Counting first bounds the quadratic uniqueness check below. */
    if (!check_count(c, s->min_items, s->max_items, &items, cJSON_GetArraySize(v)))
        return false;
    int i = 0;
    for (const cJSON *x = v->child; s->items && x; x = x->next, i++) {
        size_t saved = dm_path_index(&c->path, i);
        bool ok = check(c, s->items, x);
        dm_path_pop(&c->path, saved);
        if (!ok)
            return false;
    }
    if (!s->unique_items)
        return true;
    for (const cJSON *x = v->child; x; x = x->next)
        if (contains(v, x, x))
            return fail(c, "must not repeat an item");
    return true;
}

static bool check_key(checker *c, const dm_snode *names, const char *key)
{
    /* A stack value: nothing to allocate or free for a name that is only read. */
    cJSON name;
    memset(&name, 0, sizeof name);
    name.type = cJSON_String;
    name.valuestring = (char *)key;
    bool outer = c->naming_key;
    c->naming_key = true;
    bool ok = check(c, names, &name);
    c->naming_key = outer;
    return ok;
}

static bool repeats_earlier(const cJSON *obj, const cJSON *m)
{
    for (const cJSON *x = obj->child; x != m; x = x->next)
        if (strcmp(x->string, m->string) == 0)
            return true;
    return false;
}

static const dm_snode *property(const dm_snode *s, const char *name)
{
    for (size_t i = 0; i < s->nprops; i++)
        if (strcmp(s->props[i].name, name) == 0)
            return s->props[i].node;
    return NULL;
}

static bool check_member_here(checker *c, const dm_snode *s, const cJSON *obj, const cJSON *m)
{
    if (repeats_earlier(obj, m))
        return fail(c, "given twice");
    if (s->property_names && !check_key(c, s->property_names, m->string))
        return false;
    const dm_snode *sub = property(s, m->string);
    if (sub)
        return check(c, sub, m);
    if (s->closed)
        return fail(c, "unknown field");
    return !s->additional || check(c, s->additional, m);
}

static bool check_member(checker *c, const dm_snode *s, const cJSON *obj, const cJSON *m)
{
    size_t saved = dm_path_key(&c->path, m->string);
    bool ok = check_member_here(c, s, obj, m);
    dm_path_pop(&c->path, saved);
    return ok;
}

static bool fail_at(checker *c, const char *name, const char *why, const char *other)
{
    size_t saved = dm_path_key(&c->path, name);
    if (other)
        fail(c, "%s %s", why, other);
    else
        fail(c, "%s", why);
    dm_path_pop(&c->path, saved);
    return false;
}

static bool check_required(checker *c, const dm_snode *s, const cJSON *v)
{
    for (const cJSON *n = s->required ? s->required->child : NULL; n; n = n->next)
        if (!present(v, n->valuestring))
            return fail_at(c, n->valuestring, c->when ? "required when" : "required", c->when);
    return true;
}

static bool check_dependent(checker *c, const dm_snode *s, const cJSON *v)
{
    for (const cJSON *d = s->dependent ? s->dependent->child : NULL; d; d = d->next) {
        if (!present(v, d->string))
            continue;
        for (const cJSON *n = d->child; n; n = n->next)
            if (!present(v, n->valuestring))
                return fail_at(c, d->string, "only allowed together with", n->valuestring);
    }
    return true;
}

static bool check_object(checker *c, const dm_snode *s, const cJSON *v)
{
    /* Counting first bounds the quadratic check for repeated names. */
    if (!check_count(c, s->min_props, s->max_props, &entries, cJSON_GetArraySize(v)))
        return false;
    for (const cJSON *m = v->child; m; m = m->next)
        if (!check_member(c, s, v, m))
            return false;
    return check_required(c, s, v) && check_dependent(c, s, v);
}

static bool check_all_of(checker *c, const dm_snode *s, const cJSON *v)
{
    for (size_t i = 0; i < s->nall_of; i++)
        if (!check(c, s->all_of[i], v))
            return false;
    return true;
}

static bool check_if_then(checker *c, const dm_snode *s, const cJSON *v)
{
    if (!s->if_node || !s->then_node)
        return true;
    checker trial = *c;
    trial.err = NULL;
    if (!check(&trial, s->if_node, v))
        return true;
    char when[120];
    condition(s->if_node->doc, when, sizeof when);
    const char *outer = c->when;
    c->when = when;
    bool ok = check(c, s->then_node, v);
    c->when = outer;
    return ok;
}

static bool check(checker *c, const dm_snode *s, const cJSON *v)
{
    if (!check_type(c, s, v) || !check_words(c, s, v))
        return false;
    if (cJSON_IsString(v) && !check_string(c, s, v))
        return false;
    if (cJSON_IsNumber(v) && !check_number(c, s, v))
        return false;
    if (cJSON_IsArray(v) && !check_array(c, s, v))
        return false;
    if (cJSON_IsObject(v) && !check_object(c, s, v))
        return false;
    return check_all_of(c, s, v) && check_if_then(c, s, v);
}

bool dm_schema_validate(const dm_schema *s, const cJSON *value, dm_proto_error *err)
{
    checker c = {.err = err};
    return check(&c, dm_schema_root(s), value);
}
