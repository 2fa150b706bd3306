/* The HTTP API's bodies: the admin schemas, dm_proto_parse and
 * dm_proto_decode_body. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "dragoman/proto.h"

static void refused_by(const char *schema, const char *json, const char *field, const char *message)
{
    cJSON *v = cJSON_Parse(json);
    assert_non_null(v);
    dm_proto_error err = {0};
    if (dm_proto_validate(schema, v, &err))
        fail_msg("%s accepted", json);
    assert_int_equal(err.code, DM_ERR_BAD_MESSAGE);
    assert_string_equal(err.field, field);
    assert_string_equal(err.message, message);
    cJSON_Delete(v);
}

static void test_admin_bodies(void **state)
{
    (void)state;
    static const char code[] = "an ISO 639 language code of 2 or 3 lowercase letters, e.g. ar, fa, prs";
    char message[200];
    refused_by("admin.interpreter", "{\"name\":\"A\",\"languages\":{\"ar\":\"expert\"},\"modalities\":[\"phone\"]}",
               "languages.ar", "languages.ar: must be one of volunteer, trained, certified");
    snprintf(message, sizeof message, "languages.english: the key must be %s", code);
    refused_by("admin.interpreter", "{\"name\":\"A\",\"languages\":{\"english\":\"trained\"},\"modalities\":[\"phone\"]}",
               "languages.english", message);
    refused_by("admin.interpreter", "{\"name\":\"A\",\"languages\":{},\"modalities\":[\"phone\"]}", "languages",
               "languages: must not be empty");
    refused_by("admin.interpreter",
               "{\"name\":\"A\",\"languages\":{\"aa\":\"trained\",\"ab\":\"trained\",\"ac\":\"trained\",\"ad\":\"trained\","
               "\"ae\":\"trained\",\"af\":\"trained\",\"ag\":\"trained\",\"ah\":\"trained\",\"ai\":\"trained\"},"
               "\"modalities\":[\"phone\"]}",
               "languages", "languages: at most 8 entries");
    refused_by("admin.interpreter", "{\"name\":\"A\",\"languages\":{\"ar\":\"trained\"},\"modalities\":[\"phone\",\"phone\"]}",
               "modalities", "modalities: must not repeat an item");
    refused_by("admin.interpreter", "{\"name\":\"A\",\"languages\":{\"ar\":\"trained\"},\"modalities\":[]}", "modalities",
               "modalities: must not be empty");
    refused_by("admin.interpreter", "{\"name\":\"A\",\"languages\":{\"ar\":\"trained\"},\"modalities\":[\"fax\"]}",
               "modalities[0]", "modalities[0]: must be one of phone, video, onsite");
    refused_by("admin.interpreter",
               "{\"name\":\"A\",\"languages\":{\"ar\":\"trained\"},\"modalities\":[\"video\"],\"specialties\":[\"ok\",\"Bad\"]}",
               "specialties[1]",
               "specialties[1]: must be a specialty of 1 to 32 lowercase letters, digits, _ and -, e.g. mental_health");
    refused_by("admin.interpreter", "{\"name\":\"A\",\"languages\":{\"ar\":\"trained\"},\"modalities\":[\"video\"],\"active\":\"yes\"}",
               "active", "active: must be true or false");
    refused_by("admin.interpreter", "{\"id\":\"i-a\",\"name\":\"A\",\"languages\":{\"ar\":\"trained\"},\"modalities\":[\"video\"]}",
               "id", "id: unknown field");
    refused_by("admin.clinic", "{\"name\":\"\"}", "name", "name: must not be empty");
    static const char origin[] = "must be a web origin: http:// or https:// and a host with an optional port, no path";
    static const char *const bad_origins[] = {"https://x.example/desk", "ftp://x.example", "x.example", "https://"};
    for (size_t i = 0; i < sizeof bad_origins / sizeof *bad_origins; i++) {
        char json[200];
        snprintf(json, sizeof json, "{\"name\":\"N\",\"origins\":[\"%s\"]}", bad_origins[i]);
        snprintf(message, sizeof message, "origins[0]: %s", origin);
        refused_by("admin.clinic", json, "origins[0]", message);
    }
    refused_by("admin.token", "{\"role\":\"admin\",\"subject\":\"x\"}", "role",
               "role: must be one of clinic, interpreter, coordinator");
    refused_by("admin.token", "{\"role\":\"clinic\",\"subject\":\"C-North\"}", "subject",
               "subject: must be the id of the clinic, interpreter or coordinator (up to 32 lowercase letters, "
               "digits, _ and -), e.g. c-north");
    refused_by("admin.token", "[]", "", "must be an object");

    dm_proto_error err = {0};
    cJSON *v = cJSON_Parse("{}");
    assert_false(dm_proto_validate("admin.nothing", v, &err));
    assert_int_equal(err.code, DM_ERR_INTERNAL);
    assert_string_equal(err.message, "no schema named admin.nothing");
    cJSON_Delete(v);
}

static void test_http_bodies(void **state)
{
    (void)state;
    dm_proto_error err = {0};
    static const char text[] = "{\"language\":\"fa\",\"modality\":\"phone\",\"urgency\":\"now\","
                               "\"duration_min\":15,\"idempotency_key\":\"h1\"}  \n";
    cJSON *body = dm_proto_parse(text, sizeof text - 1, &err);
    assert_non_null(body);
    dm_msg m;
    assert_true(dm_proto_decode_body(DM_MSG_REQUEST_CREATE, body, &m, &err));
    assert_int_equal(m.type, DM_MSG_REQUEST_CREATE);
    assert_string_equal(m.u.create.language, "fa");
    assert_null(cJSON_GetObjectItem(body, "type")); /* the caller's body is left as it was */
    cJSON_AddStringToObject(body, "type", "hello");
    assert_false(dm_proto_decode_body(DM_MSG_REQUEST_CREATE, body, &m, &err));
    assert_string_equal(err.message, "type: must be request.create");
    cJSON_Delete(body);
    assert_null(dm_proto_parse("[]", 2, &err));
    assert_int_equal(err.code, DM_ERR_BAD_JSON);
    body = cJSON_Parse("[]");
    assert_false(dm_proto_decode_body(DM_MSG_REQUEST_CREATE, body, &m, &err));
    assert_int_equal(err.code, DM_ERR_BAD_JSON);
    cJSON_Delete(body);
}

static int shutdown_proto(void **state)
{
    (void)state;
    dm_proto_shutdown();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_admin_bodies),
        cmocka_unit_test(test_http_bodies),
    };
    return cmocka_run_group_tests_name("proto/bodies", tests, NULL, shutdown_proto);
}
