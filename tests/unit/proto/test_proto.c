/* The protocol room: every schema example decodes, every kind of bad input is
 * refused with the right code, field and words, and the encoders write exactly
 * the JSON of proto/README.md. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dragoman/embedded.h"
#include "dragoman/proto.h"

static bool decode(const char *json, dm_msg *m, dm_proto_error *err)
{
    memset(err, 0, sizeof *err);
    return dm_proto_decode(json, strlen(json), m, err);
}

static void decodes(const char *json, dm_msg *m)
{
    dm_proto_error err;
    if (!decode(json, m, &err))
        fail_msg("%s refused: %s", json, err.message);
}

static void refused(const char *json, dm_err_code code, const char *field, const char *message)
{
    dm_msg m;
    dm_proto_error err;
    if (decode(json, &m, &err))
        fail_msg("%s accepted", json);
    if (err.code != code || strcmp(err.field, field) != 0 || strcmp(err.message, message) != 0)
        fail_msg("%s: got %s \"%s\" \"%s\", want %s \"%s\" \"%s\"", json, dm_err_code_name(err.code), err.field,
                 err.message, dm_err_code_name(code), field, message);
}

/* A string of n copies of unit, for limits counted in characters. */
static char *repeat(const char *unit, int n)
{
    size_t len = strlen(unit);
    char *s = malloc(len * (size_t)n + 1);
    assert_non_null(s);
    for (int i = 0; i < n; i++)
        memcpy(s + len * (size_t)i, unit, len);
    s[len * (size_t)n] = '\0';
    return s;
}

/* A valid request.create with one field set to value (JSON text), added or replaced. */
static char *create_with(const char *name, const char *value)
{
    cJSON *o = cJSON_Parse("{\"type\":\"request.create\",\"language\":\"ar\",\"modality\":\"video\","
                           "\"urgency\":\"now\",\"duration_min\":30,\"idempotency_key\":\"k1\"}");
    cJSON *v = cJSON_Parse(value);
    assert_non_null(o);
    assert_non_null(v);
    if (cJSON_GetObjectItemCaseSensitive(o, name))
        cJSON_ReplaceItemInObjectCaseSensitive(o, name, v);
    else
        cJSON_AddItemToObject(o, name, v);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    assert_non_null(s);
    return s;
}

static void test_every_schema_example_decodes(void **state)
{
    (void)state;
    int checked = 0;
    for (const dm_embedded *e = dm_schema_sources; e->name; e++) {
        cJSON *doc = cJSON_Parse(e->text);
        assert_non_null(doc);
        assert_string_equal(cJSON_GetObjectItem(doc, "title")->valuestring, e->name);
        assert_true(cJSON_IsFalse(cJSON_GetObjectItem(doc, "additionalProperties")));
        const cJSON *examples = cJSON_GetObjectItem(doc, "examples");
        assert_true(cJSON_GetArraySize(examples) >= 1);
        const cJSON *ex;
        cJSON_ArrayForEach(ex, examples)
        {
            dm_proto_error err = {0};
            dm_msg m;
            char *text = cJSON_PrintUnformatted(ex);
            bool admin = strncmp(e->name, "admin.", 6) == 0;
            bool ok = admin ? dm_proto_validate(e->name, ex, &err) : dm_proto_decode(text, strlen(text), &m, &err);
            if (!ok)
                fail_msg("%s example %s: %s", e->name, text, err.message);
            if (!admin)
                assert_string_equal(dm_msg_type_name(m.type), e->name);
            free(text);
            checked++;
        }
        cJSON_Delete(doc);
    }
    assert_true(checked >= DM_MSG__COUNT + 3);
}

static void test_every_message_type_has_a_schema(void **state)
{
    (void)state;
    for (int t = 0; t < DM_MSG__COUNT; t++) {
        const dm_embedded *e = dm_schema_sources;
        while (e->name && strcmp(e->name, dm_msg_type_name((dm_msg_type)t)) != 0)
            e++;
        if (!e->name)
            fail_msg("no schema for %s", dm_msg_type_name((dm_msg_type)t));
    }
}

static void test_request_create_fields(void **state)
{
    (void)state;
    dm_msg m;
    decodes("{\"type\":\"request.create\",\"id\":\"8\",\"language\":\"prs\",\"modality\":\"onsite\","
            "\"urgency\":\"scheduled\",\"start_at\":1795003600000,\"duration_min\":60,\"gender\":\"male\","
            "\"gender_need\":\"required\",\"specialty\":\"mental_health\",\"location\":\"Room 214\","
            "\"note\":\"\xd8\xba\xd8\xb1\xd9\x81\xd8\xa9\",\"idempotency_key\":\"key-8\"}",
            &m);
    const dm_request_spec *r = &m.u.create;
    assert_int_equal(m.type, DM_MSG_REQUEST_CREATE);
    assert_string_equal(m.id, "8");
    assert_string_equal(r->language, "prs");
    assert_int_equal(r->modality, DM_MODALITY_ONSITE);
    assert_int_equal(r->urgency, DM_URGENCY_SCHEDULED);
    assert_true(r->start_at == INT64_C(1795003600000));
    assert_int_equal(r->duration_min, 60);
    assert_int_equal(r->gender, DM_GENDER_MALE);
    assert_int_equal(r->gender_need, DM_NEED_REQUIRED);
    assert_string_equal(r->specialty, "mental_health");
    assert_string_equal(r->location, "Room 214");
    assert_string_equal(r->note, "\xd8\xba\xd8\xb1\xd9\x81\xd8\xa9");
    assert_string_equal(r->idempotency_key, "key-8");
}

static void test_defaults(void **state)
{
    (void)state;
    dm_msg m;
    char *json = create_with("start_at", "1795003600000");
    decodes(json, &m); /* urgency now: start_at is ignored */
    free(json);
    assert_true(m.u.create.start_at == 0);
    assert_int_equal(m.u.create.gender, DM_GENDER_ANY);
    assert_int_equal(m.u.create.gender_need, DM_NEED_NONE);
    assert_string_equal(m.u.create.specialty, "");
    assert_string_equal(m.id, "");
    json = create_with("gender", "\"female\"");
    decodes(json, &m);
    free(json);
    assert_int_equal(m.u.create.gender, DM_GENDER_FEMALE);
    assert_int_equal(m.u.create.gender_need, DM_NEED_PREFERRED);
    refused("{\"type\":\"request.create\",\"language\":\"ar\",\"modality\":\"video\",\"urgency\":\"now\","
            "\"duration_min\":30,\"idempotency_key\":\"k1\",\"duration_min\":31}",
            DM_ERR_BAD_MESSAGE, "duration_min", "duration_min: given twice");
    decodes("{\"type\":\"session.feedback\",\"request\":\"r1\"}", &m);
    assert_int_equal(m.u.feedback.rating, 0);
    decodes("{\"type\":\"session.feedback\",\"request\":\"r1\",\"rating\":5,\"comment\":\"ok\"}", &m);
    assert_int_equal(m.u.feedback.rating, 5);
    assert_string_equal(m.u.feedback.comment, "ok");
}

/* Decoding clears only the message's own member of the union, so a message
 * reused for the next decode must not keep the last one's optional fields. */
static void test_a_reused_message_keeps_nothing_of_the_last(void **state)
{
    (void)state;
    dm_msg m;
    memset(&m, 0x5a, sizeof m);
    decodes("{\"type\":\"request.create\",\"id\":\"8\",\"language\":\"ar\",\"modality\":\"video\","
            "\"urgency\":\"now\",\"duration_min\":30,\"gender\":\"male\",\"specialty\":\"legal\","
            "\"location\":\"Room 2\",\"note\":\"n\",\"idempotency_key\":\"k8\"}",
            &m);
    char *json = create_with("duration_min", "45");
    decodes(json, &m);
    free(json);
    assert_string_equal(m.id, "");
    assert_int_equal(m.u.create.gender, DM_GENDER_ANY);
    assert_int_equal(m.u.create.gender_need, DM_NEED_NONE);
    assert_string_equal(m.u.create.specialty, "");
    assert_string_equal(m.u.create.location, "");
    assert_string_equal(m.u.create.note, "");
    memset(&m, 0x5a, sizeof m);
    decodes("{\"type\":\"call.state\",\"request\":\"r1\",\"media\":\"connected\",\"audio\":true,\"video\":false}",
            &m);
    assert_string_equal(m.u.call.quality, "");
    assert_string_equal(m.u.call.sdp, "");
    assert_string_equal(m.u.call.text, "");
    assert_false(m.u.call.end);
    memset(&m, 0x5a, sizeof m);
    decodes("{\"type\":\"offer.accept\",\"offer\":\"o1\"}", &m);
    assert_string_equal(m.u.offer.reason, "");
    assert_int_equal(m.u.offer.eta_min, 0);
}

static void test_other_messages_fill_their_fields(void **state)
{
    (void)state;
    dm_msg m;
    decodes("{\"type\":\"hello\",\"token\":\"itok_9f2c\"}", &m);
    assert_string_equal(m.u.hello.token, "itok_9f2c");
    decodes("{\"type\":\"presence.set\",\"status\":\"available\"}", &m);
    assert_true(m.u.presence.available);
    decodes("{\"type\":\"presence.set\",\"status\":\"away\"}", &m);
    assert_false(m.u.presence.available);
    decodes("{\"type\":\"request.assign\",\"request\":\"r17\",\"interpreter\":\"i-amal\",\"reason\":\"family\"}", &m);
    assert_string_equal(m.u.assign.request, "r17");
    assert_string_equal(m.u.assign.interpreter, "i-amal");
    assert_string_equal(m.u.assign.reason, "family");
    decodes("{\"type\":\"offer.decline\",\"offer\":\"o52\",\"reason\":\"driving\"}", &m);
    assert_int_equal(m.type, DM_MSG_OFFER_DECLINE);
    assert_string_equal(m.u.offer.offer, "o52");
    assert_string_equal(m.u.offer.reason, "driving");
    decodes("{\"type\":\"job.release\",\"request\":\"r9\"}", &m);
    assert_int_equal(m.type, DM_MSG_JOB_RELEASE);
    assert_string_equal(m.u.ref.request, "r9");
    assert_string_equal(m.u.ref.reason, "");
    decodes("{\"type\":\"session.end\",\"id\":\"\xd9\xa1\",\"request\":\"r9\"}", &m);
    assert_string_equal(m.id, "\xd9\xa1");
}

/* Signalling payloads are kept as compact JSON to pass on; booleans are booleans. */
static void test_call_messages(void **state)
{
    (void)state;
    dm_msg m;
    decodes("{\"type\":\"call.signal\",\"request\":\"r17\",\"to\":\"p0b1c2d3e4f5a6b7c\",\"kind\":\"candidate\","
            "\"candidate\":{\"candidate\":\"candidate:1 1 udp 1 192.0.2.3 46154 typ host\",  \"sdpMLineIndex\": 0}}",
            &m);
    assert_int_equal(m.type, DM_MSG_CALL_SIGNAL);
    assert_string_equal(m.u.call.to, "p0b1c2d3e4f5a6b7c");
    assert_string_equal(m.u.call.kind, "candidate");
    assert_string_equal(m.u.call.candidate,
                        "{\"candidate\":\"candidate:1 1 udp 1 192.0.2.3 46154 typ host\",\"sdpMLineIndex\":0}");
    assert_string_equal(m.u.call.sdp, "");
    decodes("{\"type\":\"call.signal\",\"request\":\"r17\",\"to\":\"p0b1c2d3e4f5a6b7c\",\"kind\":\"offer\","
            "\"sdp\":\"v=0\\r\\ns=-\\r\\n\"}",
            &m);
    assert_string_equal(m.u.call.sdp, "\"v=0\\r\\ns=-\\r\\n\"");
    decodes("{\"type\":\"call.state\",\"request\":\"r17\",\"media\":\"connected\",\"audio\":false,\"video\":true}", &m);
    assert_string_equal(m.u.call.media, "connected");
    assert_false(m.u.call.audio);
    assert_true(m.u.call.video);
    assert_string_equal(m.u.call.quality, "");
    decodes("{\"type\":\"call.leave\",\"request\":\"r17\",\"end\":true}", &m);
    assert_true(m.u.call.end);
    refused("{\"type\":\"call.state\",\"request\":\"r17\",\"media\":\"connected\",\"audio\":1,\"video\":true}",
            DM_ERR_BAD_MESSAGE, "audio", "audio: must be true or false");
    refused("{\"type\":\"call.signal\",\"request\":\"r17\",\"to\":\"p0b1c2d3e4f5a6b7c\",\"kind\":\"answer\","
            "\"sdp\":\"v=0\",\"candidate\":{\"candidate\":\"\"}}",
            DM_ERR_BAD_MESSAGE, "candidate", "candidate: the key must be one of type, id, request, to, kind, sdp");
}

static void test_bad_json(void **state)
{
    (void)state;
    static const struct {
        const char *json, *message;
    } cases[] = {
        {"not json", "not valid JSON"},
        {"", "not valid JSON"},
        {"   ", "not valid JSON"},
        {"{\"type\":\"ping\"", "not valid JSON"},
        {"{\"type\":\"ping\"} x", "not valid JSON"},
        {"{\"type\":\"ping\"}{}", "not valid JSON"},
        {"{'type':'ping'}", "not valid JSON"},
        {"[1,2]", "must be a JSON object"},
        {"\"ping\"", "must be a JSON object"},
        {"42", "must be a JSON object"},
        {"null", "must be a JSON object"},
        {"{\"type\":\"ping\",\"id\":\"\xff\"}", "not valid UTF-8 text"},
        {"{\"type\":\"ping\",\"id\":\"\xc0\xaf\"}", "not valid UTF-8 text"},
        {"{\"type\":\"ping\",\"id\":\"\xed\xa0\x80\"}", "not valid UTF-8 text"},
        {"{\"type\":\"ping\",\"id\":\"\xf4\x90\x80\x80\"}", "not valid UTF-8 text"},
        {"{\"type\":\"ping\",\"id\":\"\xe2\x82\"}", "not valid UTF-8 text"},
        {"{\"type\":\"ping\",\"id\":\"a\\u0000b\"}", "must not contain NUL characters"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        refused(cases[i].json, DM_ERR_BAD_JSON, "", cases[i].message);

    dm_msg m;
    dm_proto_error err;
    static const char with_nul[] = "{\"type\":\"ping\",\"id\":\"a\0b\"}";
    assert_false(dm_proto_decode(with_nul, sizeof with_nul - 1, &m, &err));
    assert_int_equal(err.code, DM_ERR_BAD_JSON);
    assert_false(dm_proto_decode(NULL, 0, &m, &err));
    assert_int_equal(err.code, DM_ERR_BAD_JSON);
    /* Not NUL-terminated: only len bytes are read. */
    static const char framed[] = "{\"type\":\"ping\"}garbage";
    assert_true(dm_proto_decode(framed, 15, &m, &err));
    /* An escaped backslash before u0000 is text, not a NUL. */
    decodes("{\"type\":\"ping\",\"id\":\"\\\\u0000\"}", &m);
    assert_string_equal(m.id, "\\u0000");
}

static void test_deep_nesting_does_not_crash(void **state)
{
    (void)state;
    char *open = repeat("[", 100000);
    refused(open, DM_ERR_BAD_JSON, "", "not valid JSON");
    free(open);

    char *deep = repeat("[", 5000), *close = repeat("]", 5000);
    size_t size = strlen(deep) * 2 + 64;
    char *json = malloc(size);
    assert_non_null(json);
    snprintf(json, size, "{\"type\":\"ping\",\"x\":%s%s}", deep, close);
    refused(json, DM_ERR_BAD_JSON, "", "not valid JSON"); /* beyond cJSON's nesting limit */
    snprintf(json, size, "{\"type\":\"ping\",\"x\":%s%s}", deep + 4600, close + 4600);
    refused(json, DM_ERR_BAD_MESSAGE, "x", "x: unknown field");
    free(json);
    free(deep);
    free(close);
}

static void test_bad_messages(void **state)
{
    (void)state;
    static const struct {
        const char *json, *field, *message;
    } cases[] = {
        {"{}", "type", "type: required"},
        {"{\"type\":5}", "type", "type: must be a string"},
        {"{\"type\":null}", "type", "type: must be a string"},
        {"{\"type\":\"ping\",\"colour\":\"red\"}", "colour", "colour: unknown field"},
        {"{\"type\":\"ping\",\"type\":\"ping\"}", "type", "type: given twice"},
        {"{\"type\":\"ping\",\"id\":5}", "id", "id: must be a string"},
        {"{\"type\":\"ping\",\"id\":\"\"}", "id", "id: must not be empty"},
        {"{\"type\":\"hello\"}", "token", "token: required"},
        {"{\"type\":\"hello\",\"token\":\"a b\"}", "token",
         "token: must be an access token of printable ASCII without spaces, as issued by a coordinator"},
        {"{\"type\":\"presence.set\",\"status\":\"busy\"}", "status", "status: must be one of available, away"},
        {"{\"type\":\"presence.set\",\"status\":true}", "status", "status: must be one of available, away"},
        {"{\"type\":\"request.create\",\"modality\":\"video\"}", "language", "language: required"},
        {"{\"type\":\"request.cancel\",\"request\":\"R17\"}", "request",
         "request: must be a request id (up to 32 lowercase letters, digits, _ and -), e.g. r17"},
        {"{\"type\":\"request.cancel\",\"request\":\"r123456789012345678901234567890123\"}", "request",
         "request: must be a request id (up to 32 lowercase letters, digits, _ and -), e.g. r17"},
        {"{\"type\":\"request.assign\",\"request\":\"r1\",\"interpreter\":\"i-amal\"}", "reason", "reason: required"},
        {"{\"type\":\"request.assign\",\"request\":\"r1\",\"interpreter\":\"i-amal\",\"reason\":\"\"}", "reason",
         "reason: must not be empty"},
        {"{\"type\":\"offer.accept\",\"offer\":52}", "offer",
         "offer: must be an offer id (up to 32 lowercase letters, digits, _ and -), e.g. o52"},
        {"{\"type\":\"session.start\",\"request\":[\"r1\"]}", "request",
         "request: must be a request id (up to 32 lowercase letters, digits, _ and -), e.g. r17"},
        {"{\"type\":\"session.feedback\",\"request\":\"r1\",\"rating\":0}", "rating",
         "rating: must be an integer from 1 to 5"},
        {"{\"type\":\"session.feedback\",\"request\":\"r1\",\"rating\":6}", "rating",
         "rating: must be an integer from 1 to 5"},
        {"{\"type\":\"session.feedback\",\"request\":\"r1\",\"rating\":4.5}", "rating",
         "rating: must be an integer from 1 to 5"},
        {"{\"type\":\"session.feedback\",\"request\":\"r1\",\"rating\":\"5\"}", "rating",
         "rating: must be an integer from 1 to 5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        refused(cases[i].json, DM_ERR_BAD_MESSAGE, cases[i].field, cases[i].message);
    refused("{\"type\":\"fly\"}", DM_ERR_UNKNOWN_TYPE, "type", "type: unknown message type \"fly\"");
    refused("{\"type\":\"request.create.but.much.longer.than.any.type\"}", DM_ERR_UNKNOWN_TYPE, "type",
            "type: unknown message type");
}

static void test_request_create_rules(void **state)
{
    (void)state;
    static const char duration[] = "duration_min: must be an integer from 5 to 480";
    static const char language[] = "language: must be an ISO 639 language code of 2 or 3 lowercase letters, e.g. ar, fa, prs";
    static const char start[] = "start_at: must be an integer of at least 0";
    static const struct {
        const char *name, *value, *field, *message;
    } cases[] = {
        {"colour", "\"red\"", "colour", "colour: unknown field"},
        {"modality", "\"Video\"", "modality", "modality: must be one of phone, video, onsite"},
        {"urgency", "\"later\"", "urgency", "urgency: must be one of now, scheduled"},
        {"gender", "\"f\"", "gender", "gender: must be one of female, male"},
        {"specialty", "\"Mental Health\"", "specialty",
         "specialty: must be a specialty of 1 to 32 lowercase letters, digits, _ and -, e.g. mental_health"},
        {"specialty", "\"\"", "specialty",
         "specialty: must be a specialty of 1 to 32 lowercase letters, digits, _ and -, e.g. mental_health"},
        {"start_at", "-1", "start_at", start},
        {"start_at", "1.5", "start_at", start},
        {"start_at", "\"soon\"", "start_at", start},
        {"note", "7", "note", "note: must be a string"},
        {"note", "null", "note", "note: must be a string"},
        {"note", "{\"text\":\"x\"}", "note", "note: must be a string"},
        {"gender_need", "\"required\"", "gender_need", "gender_need: only allowed together with gender"},
        {"id", "\"12345678901234567890123456789012345678901234567890123456789012345\"", "id",
         "id: at most 64 characters"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *json = create_with(cases[i].name, cases[i].value);
        refused(json, DM_ERR_BAD_MESSAGE, cases[i].field, cases[i].message);
        free(json);
    }
    static const char *const bad_durations[] = {"4", "481", "-1", "30.5", "1e300", "\"30\"", "true", "null", "[30]"};
    char json[512];
    for (size_t i = 0; i < sizeof bad_durations / sizeof *bad_durations; i++) {
        snprintf(json, sizeof json, "{\"type\":\"request.create\",\"language\":\"ar\",\"modality\":\"phone\","
                 "\"urgency\":\"now\",\"duration_min\":%s,\"idempotency_key\":\"k\"}", bad_durations[i]);
        refused(json, DM_ERR_BAD_MESSAGE, "duration_min", duration);
    }
    static const char *const bad_languages[] = {"5", "\"english\"", "\"AR\"", "\"a\"", "\"\""};
    for (size_t i = 0; i < sizeof bad_languages / sizeof *bad_languages; i++) {
        snprintf(json, sizeof json, "{\"type\":\"request.create\",\"language\":%s,\"modality\":\"phone\","
                 "\"urgency\":\"now\",\"duration_min\":30,\"idempotency_key\":\"k\"}", bad_languages[i]);
        refused(json, DM_ERR_BAD_MESSAGE, "language", language);
    }
    refused("{\"type\":\"request.create\",\"language\":\"ar\",\"modality\":\"onsite\",\"urgency\":\"now\","
            "\"duration_min\":30,\"idempotency_key\":\"k\"}",
            DM_ERR_BAD_MESSAGE, "location", "location: required when modality is onsite");
    refused("{\"type\":\"request.create\",\"language\":\"ar\",\"modality\":\"onsite\",\"urgency\":\"now\","
            "\"duration_min\":30,\"idempotency_key\":\"k\",\"location\":\"\"}",
            DM_ERR_BAD_MESSAGE, "location", "location: must not be empty");
    refused("{\"type\":\"request.create\",\"language\":\"ar\",\"modality\":\"video\",\"urgency\":\"scheduled\","
            "\"duration_min\":30,\"idempotency_key\":\"k\"}",
            DM_ERR_BAD_MESSAGE, "start_at", "start_at: required when urgency is scheduled");
    refused("{\"type\":\"request.create\",\"language\":\"ar\",\"modality\":\"video\",\"urgency\":\"scheduled\","
            "\"start_at\":9007199254740993,\"duration_min\":30,\"idempotency_key\":\"k\"}",
            DM_ERR_BAD_MESSAGE, "start_at", start); /* beyond 2^53: not exact in a double */
    refused("{\"type\":\"request.create\",\"language\":\"ar\",\"modality\":\"video\",\"urgency\":\"now\","
            "\"duration_min\":30,\"idempotency_key\":\"\"}",
            DM_ERR_BAD_MESSAGE, "idempotency_key", "idempotency_key: must not be empty");
    dm_msg m;
    snprintf(json, sizeof json, "{\"type\":\"request.create\",\"language\":\"ar\",\"modality\":\"phone\","
             "\"urgency\":\"now\",\"duration_min\":30.0,\"idempotency_key\":\"k\"}");
    decodes(json, &m); /* 30.0 is the integer 30, as JSON Schema counts it */
    assert_int_equal(m.u.create.duration_min, 30);
}

/* Limits count characters: n copies of unit are accepted, n + 1 refused. */
static void check_limit(const char *name, const char *unit, int n, const char *message)
{
    char value_ok[8192], value_long[8192];
    char *ok = repeat(unit, n), *too_long = repeat(unit, n + 1);
    snprintf(value_ok, sizeof value_ok, "\"%s\"", ok);
    snprintf(value_long, sizeof value_long, "\"%s\"", too_long);
    char *json = create_with(name, value_ok);
    dm_msg m;
    decodes(json, &m);
    free(json);
    json = create_with(name, value_long);
    refused(json, DM_ERR_BAD_MESSAGE, name, message);
    free(json);
    free(ok);
    free(too_long);
}

static void test_lengths_count_characters(void **state)
{
    (void)state;
    check_limit("note", "a", 280, "note: at most 280 characters");
    check_limit("note", "\xd8\xb9", 280, "note: at most 280 characters");
    check_limit("note", "\xf0\x9f\x98\x80", 280, "note: at most 280 characters");
    check_limit("id", "\xd9\xa1", 64, "id: at most 64 characters");
    check_limit("idempotency_key", "\xe2\x82\xac", 64, "idempotency_key: at most 64 characters");

    char *note = repeat("\xf0\x9f\x98\x80", 280), value[2048];
    snprintf(value, sizeof value, "\"%s\"", note);
    char *json = create_with("note", value);
    dm_msg m;
    decodes(json, &m);
    assert_string_equal(m.u.create.note, note); /* 1120 bytes fit */
    free(json);
    free(note);

    char *comment = repeat("\xd8\xb9", 1001), *reason = repeat("r", 201), buf[4096];
    snprintf(buf, sizeof buf, "{\"type\":\"session.feedback\",\"request\":\"r1\",\"comment\":\"%s\"}", comment);
    refused(buf, DM_ERR_BAD_MESSAGE, "comment", "comment: at most 1000 characters");
    snprintf(buf, sizeof buf, "{\"type\":\"request.cancel\",\"request\":\"r1\",\"reason\":\"%s\"}", reason);
    refused(buf, DM_ERR_BAD_MESSAGE, "reason", "reason: at most 200 characters");
    free(comment);
    free(reason);
}

static void test_errors_echo_the_id(void **state)
{
    (void)state;
    dm_msg m;
    dm_proto_error err;
    assert_false(decode("{\"type\":\"ping\",\"id\":\"7\",\"x\":1}", &m, &err));
    assert_string_equal(m.id, "7");
    char *reply = dm_proto_error_reply(m.id, &err);
    assert_string_equal(reply, "{\"type\":\"error\",\"id\":\"7\",\"code\":\"bad_message\",\"field\":\"x\","
                               "\"message\":\"x: unknown field\"}");
    free(reply);
    assert_false(decode("{\"id\":\"8\",\"type\":\"fly\"}", &m, &err));
    assert_string_equal(m.id, "8");
    assert_false(decode("{\"id\":\"9\"}", &m, &err));
    assert_string_equal(m.id, "9");
    char *long_id = repeat("x", 65), json[128];
    snprintf(json, sizeof json, "{\"type\":\"ping\",\"id\":\"%s\"}", long_id);
    assert_false(decode(json, &m, &err));
    assert_string_equal(m.id, "");
    assert_string_equal(err.message, "id: at most 64 characters");
    free(long_id);
    assert_false(decode("[{\"id\":\"1\"}]", &m, &err));
    assert_string_equal(m.id, "");
}

static void expect_text(char *got, const char *want)
{
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_encoders(void **state)
{
    (void)state;
    expect_text(dm_proto_result("7", NULL), "{\"type\":\"result\",\"id\":\"7\",\"data\":{}}");
    cJSON *data = cJSON_CreateObject();
    cJSON_AddNumberToObject(data, "now", 1795000000000.0);
    expect_text(dm_proto_result(NULL, data), "{\"type\":\"result\",\"data\":{\"now\":1795000000000}}");
    expect_text(dm_proto_result("", cJSON_CreateObject()), "{\"type\":\"result\",\"data\":{}}");
    expect_text(dm_proto_result("a\"b", NULL), "{\"type\":\"result\",\"id\":\"a\\\"b\",\"data\":{}}");

    dm_proto_error err = {.code = DM_ERR_BAD_MESSAGE, .field = "duration_min",
                          .message = "duration_min: must be an integer from 5 to 480"};
    expect_text(dm_proto_error_reply("7", &err),
                "{\"type\":\"error\",\"id\":\"7\",\"code\":\"bad_message\",\"field\":\"duration_min\","
                "\"message\":\"duration_min: must be an integer from 5 to 480\"}");
    expect_text(dm_proto_error_body(&err), "{\"code\":\"bad_message\",\"field\":\"duration_min\","
                                           "\"message\":\"duration_min: must be an integer from 5 to 480\"}");
    dm_proto_error plain = {.code = DM_ERR_CONFLICT, .message = "the offer was withdrawn"};
    expect_text(dm_proto_error_reply("", &plain),
                "{\"type\":\"error\",\"code\":\"conflict\",\"message\":\"the offer was withdrawn\"}");
    expect_text(dm_proto_error_reply(NULL, &plain),
                "{\"type\":\"error\",\"code\":\"conflict\",\"message\":\"the offer was withdrawn\"}");

    cJSON *body = cJSON_Parse("{\"type\":\"stray\",\"offer\":\"o52\",\"request\":\"r17\",\"reason\":\"taken\"}");
    expect_text(dm_proto_push("offer.withdrawn", body),
                "{\"type\":\"offer.withdrawn\",\"offer\":\"o52\",\"request\":\"r17\",\"reason\":\"taken\"}");
    expect_text(dm_proto_push("bye", NULL), "{\"type\":\"bye\"}");
    assert_null(dm_proto_push("bye", cJSON_CreateArray()));
}

/* Times in ms are beyond int's range: written as digits, exactly, and read
 * back as the same number. */
static void test_integers_are_written_exactly(void **state)
{
    (void)state;
    cJSON *o = cJSON_CreateObject();
    assert_true(dm_proto_add_int(o, "at", INT64_C(1795000000123)));
    assert_true(dm_proto_add_int(o, "zero", 0));
    assert_true(dm_proto_add_int(o, "neg", -42));
    assert_true(dm_proto_add_int(o, "max", INT64_MAX));
    assert_true(dm_proto_add_int(o, "min", INT64_MIN));
    char *text = dm_proto_push("t", o);
    assert_string_equal(text, "{\"type\":\"t\",\"at\":1795000000123,\"zero\":0,\"neg\":-42,"
                              "\"max\":9223372036854775807,\"min\":-9223372036854775808}");
    cJSON *back = cJSON_Parse(text);
    assert_true(cJSON_GetObjectItem(back, "at")->valuedouble == 1795000000123.0);
    assert_int_equal(cJSON_GetObjectItem(back, "neg")->valueint, -42);
    cJSON_Delete(back);
    free(text);
}

static void test_names(void **state)
{
    (void)state;
    static const char *const codes[] = {"bad_json", "bad_message", "unknown_type", "not_authenticated", "forbidden",
                                        "not_found", "conflict", "unavailable", "too_large", "internal"};
    for (int c = 0; c < DM_ERR__COUNT; c++)
        assert_string_equal(dm_err_code_name((dm_err_code)c), codes[c]);
    assert_string_equal(dm_err_code_name(DM_ERR__COUNT), "");
    static const char *const types[] = {"hello", "ping", "snapshot.get", "presence.set", "request.create",
                                        "request.cancel", "request.assign", "offer.accept", "offer.decline",
                                        "job.release", "session.start", "session.end", "session.feedback",
                                        "session.correct", "call.join", "call.signal", "call.state",
                                        "call.leave", "call.chat", "call.invite", "push.subscribe",
                                        "push.unsubscribe", "push.settings", "offer.ack", "job.eta"};
    for (int t = 0; t < DM_MSG__COUNT; t++)
        assert_string_equal(dm_msg_type_name((dm_msg_type)t), types[t]);
    assert_string_equal(dm_msg_type_name(DM_MSG__COUNT), "");
}

static void *decode_in_thread(void *arg)
{
    (void)arg;
    dm_msg m;
    dm_proto_error err;
    for (int i = 0; i < 200; i++)
        if (!decode("{\"type\":\"offer.accept\",\"id\":\"t\",\"offer\":\"o1\"}", &m, &err))
            return "refused";
    return NULL;
}

/* Run first, so the schemas are compiled by racing threads. */
static void test_threads_share_the_schemas(void **state)
{
    (void)state;
    pthread_t threads[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, decode_in_thread, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *result;
        assert_int_equal(pthread_join(threads[i], &result), 0);
        assert_null(result);
    }
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
        cmocka_unit_test(test_threads_share_the_schemas),
        cmocka_unit_test(test_every_schema_example_decodes),
        cmocka_unit_test(test_every_message_type_has_a_schema),
        cmocka_unit_test(test_request_create_fields),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_a_reused_message_keeps_nothing_of_the_last),
        cmocka_unit_test(test_other_messages_fill_their_fields),
        cmocka_unit_test(test_call_messages),
        cmocka_unit_test(test_bad_json),
        cmocka_unit_test(test_deep_nesting_does_not_crash),
        cmocka_unit_test(test_bad_messages),
        cmocka_unit_test(test_request_create_rules),
        cmocka_unit_test(test_lengths_count_characters),
        cmocka_unit_test(test_errors_echo_the_id),
        cmocka_unit_test(test_encoders),
        cmocka_unit_test(test_integers_are_written_exactly),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests_name("proto", tests, NULL, shutdown_proto);
}
