/* Inside the protocol room: a validator for the subset of JSON Schema (2020-12)
 * that the files of proto/schema use, the registry of those compiled-in
 * schemas, and the UTF-8, error and path helpers the files here share.
 *
 * Supported keywords: type, enum, const, properties, required,
 * additionalProperties (false or a schema), propertyNames, minProperties,
 * maxProperties, dependentRequired, items, minItems, maxItems, uniqueItems,
 * minLength, maxLength (in code points), pattern (POSIX extended), minimum,
 * maximum, allOf, if/then; and the annotations $schema, $id, $comment, title,
 * description, examples, default. Any other keyword makes the schema refuse to
 * compile, so a schema never claims a rule the server does not apply.
 *
 * A schema with a pattern must have a description: errors explain a failed
 * pattern as "must be <description>", so that description reads as a noun
 * phrase ("an ISO 639 language code of 2 or 3 lowercase letters"). Clients
 * read patterns as ECMA-262, the server as POSIX: write them in the common
 * part (no \d, \s or [:classes:], no backslash inside brackets). */
#ifndef DRAGOMAN_PROTO_SCHEMA_H
#define DRAGOMAN_PROTO_SCHEMA_H
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "dragoman/proto.h"

typedef struct dm_schema dm_schema;
typedef struct dm_snode dm_snode; /* below */

/* Parses and checks a schema document and compiles it. Returns NULL and fills
 * err (code internal, field the keyword's path) when it is not valid or uses
 * what the validator does not support. name is used in messages. */
dm_schema *dm_schema_compile(const char *name, const char *text, dm_proto_error *err);
void dm_schema_free(dm_schema *s);
/* The compiled document's root; owned by the schema. */
const dm_snode *dm_schema_root(const dm_schema *s);
/* True when value conforms; otherwise false and err (which may be NULL) says
 * where and why, with code bad_message. Any thread. */
bool dm_schema_validate(const dm_schema *s, const cJSON *value, dm_proto_error *err);

/* The schema compiled from dm_schema_sources under that name; NULL and err
 * filled (code internal) when there is none or it does not compile. Compiles
 * every embedded schema on first use (thread-safe). */
const dm_schema *dm_schema_get(const char *name, dm_proto_error *err);

/* The JSON Schema types: each name, its test, and how errors say it. */
typedef struct {
    const char *name;
    int (*test)(const cJSON *);
    const char *phrase; /* follows "must be": "an integer" */
} dm_json_type;

/* NULL for a name that is not a JSON Schema type. Integers are numbers without
 * a fractional part within +-(2^53 - 1), where doubles hold every integer. */
const dm_json_type *dm_json_type_find(const char *name);

/* A schema object as the validator reads it: its keywords' values found once,
 * when compiling, so that validating a message looks no keyword up by name
 * (walking the document's cJSON tree for each keyword of each value was an
 * eighth of the server's instructions, bench/README.md session 12). A
 * keyword absent from the object is NULL (or false). */
typedef struct {
    const char *name;
    dm_snode *node;
} dm_sprop;

struct dm_snode {
    const cJSON *doc;             /* the schema object: errors are worded from it */
    const cJSON *type;            /* a name or an array of names */
    const dm_json_type *one_type; /* when type is a name */
    const cJSON *enum_values, *const_value;
    const cJSON *min_length, *max_length, *min_items, *max_items, *min_props, *max_props;
    const cJSON *minimum, *maximum;
    const cJSON *required, *dependent;
    bool has_pattern;
    regex_t pattern;
    bool unique_items;
    bool closed; /* additionalProperties: false */
    dm_snode *items, *property_names, *additional, *if_node, *then_node;
    dm_sprop *props; /* properties, in the document's order */
    size_t nprops;
    dm_snode **all_of;
    size_t nall_of;
};

/* Number of code points in the n bytes at s, or -1 when they are not valid
 * UTF-8 (overlong forms, surrogates and values above U+10FFFF are invalid). */
long dm_utf8_length(const char *s, size_t n);
/* Drops a character that truncation left incomplete at the end of s. */
void dm_utf8_trim(char *s);
/* Copies src into dst[size], cut at a character boundary when it does not fit. */
void dm_copy_text(char *dst, size_t size, const char *src);

/* Fills err (when not NULL): the field path, and a message that starts with
 * the path ("note: at most 280 characters") unless the path is empty. Texts
 * that do not fit are cut at a character boundary. */
void dm_proto_set_error(dm_proto_error *err, dm_err_code code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* JSON paths of fields such as "languages.ar" or "origins[2]", grown and
 * shrunk as a walk descends; a path too long for the buffer is cut. */
typedef struct {
    char s[128];
    size_t len;
} dm_path;

/* Each returns the length to give back to dm_path_pop. */
size_t dm_path_key(dm_path *p, const char *key);
size_t dm_path_index(dm_path *p, int i);
void dm_path_pop(dm_path *p, size_t saved);

#endif
