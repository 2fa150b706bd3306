/* The JSON Schema validator on small inline schemas: each keyword, its error
 * text, and the schemas it refuses to compile. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <string.h>

#include "../../../src/proto/schema.h"

/* Validates the JSON text against the schema text; returns the verdict and
 * leaves the error in *err. */
static bool verdict(const char *schema, const char *json, dm_proto_error *err)
{
    dm_proto_error cerr = {0};
    dm_schema *s = dm_schema_compile("inline", schema, &cerr);
    if (!s)
        fail_msg("schema does not compile: %s", cerr.message);
    cJSON *v = cJSON_Parse(json);
    assert_non_null(v);
    memset(err, 0, sizeof *err);
    bool ok = dm_schema_validate(s, v, err);
    cJSON_Delete(v);
    dm_schema_free(s);
    return ok;
}

static void accepts(const char *schema, const char *json)
{
    dm_proto_error err;
    if (!verdict(schema, json, &err))
        fail_msg("%s refused: %s", json, err.message);
}

static void refuses(const char *schema, const char *json, const char *field, const char *message)
{
    dm_proto_error err;
    if (verdict(schema, json, &err))
        fail_msg("%s accepted", json);
    assert_int_equal(err.code, DM_ERR_BAD_MESSAGE);
    assert_string_equal(err.field, field);
    assert_string_equal(err.message, message);
}

static void does_not_compile(const char *schema, const char *field, const char *fragment)
{
    dm_proto_error err = {0};
    dm_schema *s = dm_schema_compile("inline", schema, &err);
    if (s) {
        dm_schema_free(s);
        fail_msg("compiled: %s", schema);
    }
    assert_int_equal(err.code, DM_ERR_INTERNAL);
    assert_string_equal(err.field, field);
    if (!strstr(err.message, fragment))
        fail_msg("\"%s\" lacks \"%s\"", err.message, fragment);
}

static void test_compile_refusals(void **state)
{
    (void)state;
    does_not_compile("{\"properties\": {\"a\": {\"format\": \"email\"}}}", "properties.a.format", "not supported");
    does_not_compile("{\"pattern\": \"^a$\"}", "", "a pattern needs a description");
    does_not_compile("{\"pattern\": \"(\", \"description\": \"x\"}", "pattern", "regular expression");
    does_not_compile("{\"type\": \"text\"}", "type", "type name");
    does_not_compile("{\"type\": [\"string\", 5]}", "type", "type name");
    does_not_compile("{\"minLength\": -1}", "minLength", "non-negative integer");
    does_not_compile("{\"maxItems\": 1.5}", "maxItems", "non-negative integer");
    does_not_compile("{\"then\": {}}", "", "then without if");
    does_not_compile("{\"enum\": []}", "enum", "non-empty array");
    does_not_compile("{\"enum\": [{\"a\": 1}]}", "enum", "non-empty array");
    does_not_compile("{\"const\": [1]}", "const", "string, number");
    does_not_compile("{\"required\": [1]}", "required", "array of names");
    does_not_compile("{\"dependentRequired\": {\"a\": \"b\"}}", "dependentRequired", "arrays of names");
    does_not_compile("{\"allOf\": []}", "allOf", "non-empty array");
    does_not_compile("{\"allOf\": [{\"oneOf\": []}]}", "allOf[0].oneOf", "not supported");
    does_not_compile("{\"items\": true}", "items", "schema object");
    does_not_compile("{\"minimum\": \"1\"}", "minimum", "a number");
    does_not_compile("{\"uniqueItems\": 1}", "uniqueItems", "true or false");
    does_not_compile("{\"properties\": []}", "properties", "names to schemas");
    does_not_compile("[]", "", "schema object");
    does_not_compile("{", "", "not JSON");
}

static void test_compile_error_message(void **state)
{
    (void)state;
    dm_proto_error err = {0};
    assert_null(dm_schema_compile("demo", "{\"properties\": {\"a\": {\"format\": \"x\"}}}", &err));
    assert_string_equal(err.message, "schema demo at properties.a.format: keyword not supported by the server's validator");
    assert_null(dm_schema_compile("demo", "{\"oneOf\": []}", NULL)); /* err is optional */
}

static void test_types(void **state)
{
    (void)state;
    accepts("{\"type\": \"number\"}", "1.5");
    accepts("{\"type\": \"integer\"}", "-7");
    accepts("{\"type\": \"integer\"}", "9007199254740991");
    accepts("{\"type\": \"integer\"}", "2.0"); /* JSON Schema: a number with a zero fraction is an integer */
    refuses("{\"type\": \"integer\"}", "1.5", "", "must be an integer");
    refuses("{\"type\": \"integer\"}", "9007199254740992", "", "must be an integer");
    refuses("{\"type\": \"integer\"}", "-1e300", "", "must be an integer");
    refuses("{\"type\": \"number\"}", "\"1\"", "", "must be a number");
    refuses("{\"type\": \"boolean\"}", "0", "", "must be true or false");
    refuses("{\"type\": \"null\"}", "false", "", "must be null");
    refuses("{\"type\": \"array\"}", "{}", "", "must be an array");
    refuses("{\"type\": \"object\"}", "[]", "", "must be an object");
    accepts("{\"type\": [\"string\", \"null\"]}", "null");
    refuses("{\"type\": [\"string\", \"null\"]}", "1", "", "must be a string or null");
}

static void test_ranges(void **state)
{
    (void)state;
    refuses("{\"type\": \"number\", \"minimum\": 0.5}", "0.25", "", "must be a number of at least 0.5");
    refuses("{\"type\": \"integer\", \"maximum\": 9}", "10", "", "must be an integer of at most 9");
    refuses("{\"type\": \"integer\", \"minimum\": 1, \"maximum\": 5}", "0", "", "must be an integer from 1 to 5");
    refuses("{\"minimum\": 1}", "0", "", "must be a number of at least 1");
    accepts("{\"minimum\": 1}", "\"not a number\"");
}

static void test_words(void **state)
{
    (void)state;
    refuses("{\"enum\": [\"a\", 2, true, null]}", "\"b\"", "", "must be one of a, 2, true, null");
    accepts("{\"enum\": [\"a\", 2, true, null]}", "null");
    refuses("{\"const\": \"ping\"}", "\"pong\"", "", "must be ping");
    refuses("{\"const\": 3}", "3.5", "", "must be 3");
}

static void test_strings(void **state)
{
    (void)state;
    const char *s = "{\"minLength\": 3, \"maxLength\": 4}";
    refuses(s, "\"ab\"", "", "at least 3 characters");
    refuses(s, "\"abcde\"", "", "at most 4 characters");
    accepts(s, "\"\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a\""); /* 4 Arabic letters, 8 bytes */
    accepts(s, "\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\"");
    refuses("{\"maxLength\": 1}", "\"ab\"", "", "at most 1 character");
    refuses("{\"minLength\": 1}", "\"\"", "", "must not be empty");
    const char *p = "{\"pattern\": \"^[a-z]{2,3}$\", \"description\": \"a language code\"}";
    accepts(p, "\"prs\"");
    refuses(p, "\"Prs\"", "", "must be a language code");
    refuses("{\"type\": \"string\", \"pattern\": \"^a$\", \"description\": \"the letter a\"}", "1", "",
            "must be the letter a");
}

static void test_invalid_utf8_in_a_value(void **state)
{
    (void)state;
    dm_proto_error cerr = {0}, err = {0};
    dm_schema *s = dm_schema_compile("inline", "{\"maxLength\": 9}", &cerr);
    assert_non_null(s);
    cJSON *v = cJSON_CreateString("a\xff");
    assert_false(dm_schema_validate(s, v, &err));
    assert_string_equal(err.message, "must be valid UTF-8 text");
    cJSON_Delete(v);
    dm_schema_free(s);
}

static void test_arrays(void **state)
{
    (void)state;
    const char *s = "{\"items\": {\"type\": \"string\"}, \"minItems\": 2, \"maxItems\": 3, \"uniqueItems\": true}";
    accepts(s, "[\"a\", \"b\"]");
    refuses(s, "[\"a\"]", "", "at least 2 items");
    refuses(s, "[\"a\", \"b\", \"c\", \"d\"]", "", "at most 3 items");
    refuses(s, "[\"a\", 1]", "[1]", "[1]: must be a string");
    refuses(s, "[\"a\", \"b\", \"a\"]", "", "must not repeat an item");
    refuses("{\"minItems\": 1}", "[]", "", "must not be empty");
    accepts("{\"uniqueItems\": true}", "[1, \"1\", [1], {\"a\": 1}]");
    refuses("{\"uniqueItems\": true}", "[{\"a\": [1]}, {\"a\": [1]}]", "", "must not repeat an item");
}

static void test_objects(void **state)
{
    (void)state;
    const char *s = "{\"properties\": {\"a\": {\"type\": \"integer\"}}, \"required\": [\"a\"],"
                    " \"additionalProperties\": false}";
    accepts(s, "{\"a\": 1}");
    refuses(s, "{}", "a", "a: required");
    refuses(s, "{\"a\": 1, \"b\": 2}", "b", "b: unknown field");
    refuses(s, "{\"a\": 1, \"a\": 2}", "a", "a: given twice");
    refuses(s, "{\"A\": 1}", "A", "A: unknown field");
    accepts("{\"properties\": {\"a\": {\"type\": \"integer\"}}}", "{\"b\": \"free\"}");
    refuses("{\"additionalProperties\": {\"type\": \"integer\"}}", "{\"x\": \"1\"}", "x", "x: must be an integer");
    refuses("{\"maxProperties\": 1}", "{\"a\": 1, \"b\": 2}", "", "at most 1 entry");
    refuses("{\"minProperties\": 2}", "{\"a\": 1}", "", "at least 2 entries");
    refuses("{\"minProperties\": 1}", "{}", "", "must not be empty");
}

static void test_property_names(void **state)
{
    (void)state;
    const char *s = "{\"propertyNames\": {\"pattern\": \"^[a-z]+$\", \"description\": \"lowercase letters\"},"
                    " \"additionalProperties\": {\"enum\": [\"x\"]}}";
    accepts(s, "{\"ab\": \"x\"}");
    refuses(s, "{\"ab\": \"y\"}", "ab", "ab: must be one of x");
    refuses(s, "{\"a1\": \"x\"}", "a1", "a1: the key must be lowercase letters");
}

static void test_nested_paths(void **state)
{
    (void)state;
    const char *s = "{\"properties\": {\"a\": {\"properties\": {\"b\": {\"items\": {\"required\": [\"c\"]}}}}}}";
    refuses(s, "{\"a\": {\"b\": [{\"c\": 1}, {}]}}", "a.b[1].c", "a.b[1].c: required");
}

static void test_dependent_required(void **state)
{
    (void)state;
    const char *s = "{\"dependentRequired\": {\"need\": [\"gender\", \"age\"]}}";
    accepts(s, "{\"need\": 1, \"gender\": 2, \"age\": 3}");
    accepts(s, "{\"gender\": 2}");
    refuses(s, "{\"need\": 1, \"gender\": 2}", "need", "need: only allowed together with age");
}

static void test_if_then_and_all_of(void **state)
{
    (void)state;
    const char *s = "{\"allOf\": ["
                    "{\"if\": {\"properties\": {\"m\": {\"const\": \"onsite\"}, \"n\": {\"const\": 2}}, \"required\": [\"m\"]},"
                    " \"then\": {\"required\": [\"loc\"]}},"
                    "{\"if\": {\"required\": [\"x\"]}, \"then\": {\"required\": [\"y\"]}}]}";
    accepts(s, "{\"m\": \"video\"}");
    accepts(s, "{\"n\": 2}");
    accepts(s, "{\"m\": \"onsite\", \"loc\": \"here\"}");
    refuses(s, "{\"m\": \"onsite\", \"n\": 2}", "loc", "loc: required when m is onsite and n is 2");
    refuses(s, "{\"x\": 1}", "y", "y: required when the schema's condition holds");
    refuses("{\"allOf\": [{\"type\": \"object\"}, {\"required\": [\"k\"]}]}", "{}", "k", "k: required");
}

static void test_long_keys_stay_valid_utf8(void **state)
{
    (void)state;
    char json[1000] = "{\"";
    for (int i = 0; i < 200; i++)
        strcat(json, "\xc3\xa9"); /* é */
    strcat(json, "\": 1}");
    dm_proto_error err;
    assert_false(verdict("{\"additionalProperties\": false}", json, &err));
    assert_true(strlen(err.field) < sizeof err.field);
    assert_true(dm_utf8_length(err.field, strlen(err.field)) > 0);
    assert_true(dm_utf8_length(err.message, strlen(err.message)) > 0);
}

static void test_quiet_validation(void **state)
{
    (void)state;
    dm_schema *s = dm_schema_compile("inline", "{\"required\": [\"a\"]}", NULL);
    assert_non_null(s);
    cJSON *v = cJSON_Parse("{}");
    assert_false(dm_schema_validate(s, v, NULL));
    cJSON_Delete(v);
    dm_schema_free(s);
}

static void test_utf8_length(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        long length;
    } cases[] = {
        {"", 0},
        {"abc", 3},
        {"\xd8\xb9", 1},
        {"\xe2\x82\xac", 1},
        {"\xf0\x9f\x98\x80", 1},
        {"\xf4\x8f\xbf\xbf", 1},
        {"\xff", -1},
        {"\x80", -1},
        {"\xc0\xaf", -1},         /* overlong "/" */
        {"\xe0\x80\xaf", -1},     /* overlong */
        {"\xed\xa0\x80", -1},     /* surrogate */
        {"\xf4\x90\x80\x80", -1}, /* above U+10FFFF */
        {"\xe2\x82", -1},         /* cut short */
        {"a\xd8", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        assert_int_equal(dm_utf8_length(cases[i].text, strlen(cases[i].text)), cases[i].length);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compile_refusals),
        cmocka_unit_test(test_compile_error_message),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_invalid_utf8_in_a_value),
        cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_objects),
        cmocka_unit_test(test_property_names),
        cmocka_unit_test(test_nested_paths),
        cmocka_unit_test(test_dependent_required),
        cmocka_unit_test(test_if_then_and_all_of),
        cmocka_unit_test(test_long_keys_stay_valid_utf8),
        cmocka_unit_test(test_quiet_validation),
        cmocka_unit_test(test_utf8_length),
    };
    return cmocka_run_group_tests_name("proto/schema", tests, NULL, NULL);
}
