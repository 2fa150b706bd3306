/* Redis hashes to protocol objects and policy structs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

#include "../../../src/server/server.h"

#define MAXF 40

/* A hand-built HGETALL-shaped reply. */
typedef struct fake {
    redisReply top;
    redisReply items[MAXF];
    redisReply *ptrs[MAXF];
} fake;

static void fake_hash(fake *f, const char *const *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        f->items[i] = (redisReply){.type = REDIS_REPLY_STRING, .str = (char *)kv[i], .len = strlen(kv[i])};
        f->ptrs[i] = &f->items[i];
    }
    f->top = (redisReply){.type = REDIS_REPLY_ARRAY, .elements = n, .element = f->ptrs};
}

static void test_request_view(void **state)
{
    (void)state;
    static const char *const kv[] = {"id", "r17", "clinic", "c-north", "clinic_name", "North", "language", "ar",
                                     "modality", "video", "urgency", "now", "state", "assigned", "created_at",
                                     "1795000000000", "asked", "3", "interpreter", "i-amal", "interp_name", "Amal",
                                     "idem", "secret-key", "clinic_contact", "+358"};
    fake f;
    fake_hash(&f, kv, sizeof kv / sizeof *kv);
    cJSON *o = dm_view_request(&f.top);
    assert_string_equal(cJSON_GetObjectItem(o, "id")->valuestring, "r17");
    assert_string_equal(cJSON_GetObjectItem(o, "state")->valuestring, "assigned");
    char *text = cJSON_PrintUnformatted(o);
    assert_non_null(strstr(text, "\"created_at\":1795000000000,"));
    assert_non_null(strstr(text, "\"asked\":3,"));
    free(text);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "interpreter"), "name")->valuestring, "Amal");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "clinic"), "contact")->valuestring, "+358");
    assert_string_equal(cJSON_GetObjectItem(o, "gender_need")->valuestring, "none");
    /* Internal fields never reach a client. */
    assert_null(cJSON_GetObjectItem(o, "idem"));
    assert_null(cJSON_GetObjectItem(o, "interp_name"));
    cJSON_Delete(o);
}

static void test_request_without_interpreter(void **state)
{
    (void)state;
    static const char *const kv[] = {"id", "r1", "state", "searching"};
    fake f;
    fake_hash(&f, kv, 4);
    cJSON *o = dm_view_request(&f.top);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "interpreter")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "clinic")));
    cJSON_Delete(o);
    assert_string_equal(dm_view_field(NULL, "x"), "");
    assert_int_equal(dm_view_int(&f.top, "missing"), 0);
}

static void test_candidate_record(void **state)
{
    (void)state;
    static const char rec[] = "i-karim\tar:trained,fr:certified,bogus\tmale\tphone,video,teleport\t"
                              "mental_health\t1\t1795000000000\t1";
    dm_candidate c;
    assert_true(dm_view_candidate(rec, strlen(rec), &c));
    assert_string_equal(c.id, "i-karim");
    assert_int_equal(c.nlangs, 2);
    assert_int_equal(dm_dispatch_level(&c, "fr"), DM_LEVEL_CERTIFIED);
    assert_int_equal(c.gender, DM_GENDER_MALE);
    assert_int_equal(c.modalities, (1u << DM_MODALITY_PHONE) | (1u << DM_MODALITY_VIDEO));
    assert_int_equal(c.nspecialties, 1);
    assert_true(c.active && c.available && c.excluded);
    assert_true(c.last_assigned_ms == 1795000000000LL);
    static const char short_rec[] = "i-karim\tar:trained\tmale";
    assert_false(dm_view_candidate(short_rec, strlen(short_rec), &c));
    assert_false(dm_view_candidate("", 0, &c));
}

static void test_candidate_records(void **state)
{
    (void)state;
    /* The ids one a line, their entries from this server's copy: ids it has
     * no entry for (an empty one too) are left out and counted; the lengths
     * bound the parse (no terminating NUL is needed). */
    static const char *const entries[] = {"i-a", "ar:native\tfemale\tvideo\t\t1", "i-b",
                                          "ar:trained,fa:native\t\tphone\t\t0"};
    fake changes;
    fake_hash(&changes, entries, 4);
    redisReply version = {.type = REDIS_REPLY_STRING, .str = (char *)"5:2", .len = 3};
    dm_crecs *cs = dm_crecs_new();
    assert_true(dm_crecs_update(cs, "", &version, &changes.top));
    static const char ids[] = "i-a\ni-x\n\ni-b\nXXXX";
    redisReply tids = {.type = REDIS_REPLY_STRING, .str = (char *)ids, .len = sizeof ids - 1 - 4};
    static const char *const ex[] = {"i-b", "i-zz"};
    fake excluded;
    fake_hash(&excluded, ex, 2);
    dm_candidate out[4];
    size_t missing;
    size_t n = dm_view_candidates(&tids, cs, &excluded.top, out, 4, &missing);
    assert_int_equal(n, 2);
    assert_int_equal(missing, 2);
    assert_string_equal(out[0].id, "i-a");
    assert_int_equal(out[0].gender, DM_GENDER_FEMALE);
    assert_int_equal(out[0].nspecialties, 0);
    assert_true(out[0].active && out[0].available);
    assert_false(out[0].excluded);
    /* The position in the reply is the rank key: first is least recently assigned. */
    assert_true(out[0].last_assigned_ms == 1);
    assert_string_equal(out[1].id, "i-b");
    assert_int_equal(out[1].nlangs, 2);
    assert_false(out[1].active);
    assert_true(out[1].excluded);
    assert_true(out[1].last_assigned_ms == 2);
    assert_int_equal(dm_view_candidates(&tids, cs, &excluded.top, out, 1, &missing), 1);
    /* No free interpreter: an empty string, and no exclusions array at all. */
    redisReply none = {.type = REDIS_REPLY_STRING, .str = (char *)"", .len = 0};
    assert_int_equal(dm_view_candidates(&none, cs, NULL, out, 4, &missing), 0);
    assert_int_equal(missing, 0);
    dm_crecs_free(cs);
}

static void test_crec_entry(void **state)
{
    (void)state;
    dm_candidate c;
    static const char rec[] = "ar:trained\tmale\tphone\tpaediatrics\t1";
    assert_true(dm_view_crec("i-k", 3, rec, strlen(rec), &c));
    assert_string_equal(c.id, "i-k");
    assert_int_equal(c.nspecialties, 1);
    assert_false(dm_view_crec("i-k", 3, "ar:trained\tmale", 15, &c));
    assert_false(dm_view_crec("", 0, rec, strlen(rec), &c));
    char long_id[DM_ID_MAX + 2];
    memset(long_id, 'x', sizeof long_id);
    assert_false(dm_view_crec(long_id, sizeof long_id, rec, strlen(rec), &c));
}

static void test_work_item(void **state)
{
    (void)state;
    static const char line[] = "1795000000000\t2\tr-9\tfa\tonsite\tfemale\trequired\tpaediatrics\t1";
    dm_work_item w;
    assert_true(dm_view_work_item(line, strlen(line), &w));
    assert_true(w.score == 1795000000000.0);
    assert_int_equal(w.pending, 2);
    assert_string_equal(w.id, "r-9");
    assert_string_equal(w.need.language, "fa");
    assert_int_equal(w.need.modality, DM_MODALITY_ONSITE);
    assert_int_equal(w.need.gender, DM_GENDER_FEMALE);
    assert_int_equal(w.need.gender_need, DM_NEED_REQUIRED);
    assert_string_equal(w.need.specialty, "paediatrics");
    assert_true(w.need.relaxed);
    /* No gender asked: gender_need means nothing; a missing field is refused. */
    static const char plain[] = "5\t0\tr-1\tar\tphone\t\trequired\t\t0";
    assert_true(dm_view_work_item(plain, strlen(plain), &w));
    assert_int_equal(w.need.gender_need, DM_NEED_NONE);
    assert_false(w.need.relaxed);
    static const char cut[] = "5\t0\tr-1\tar\tphone";
    assert_false(dm_view_work_item(cut, strlen(cut), &w));
}

static void test_need(void **state)
{
    (void)state;
    static const char *const kv[] = {"language", "fa", "modality", "onsite", "gender", "female", "gender_need",
                                     "required", "specialty", "paediatrics", "escalated", "1"};
    fake f;
    fake_hash(&f, kv, 12);
    dm_need n;
    dm_view_need(&f.top, &n);
    assert_string_equal(n.language, "fa");
    assert_int_equal(n.modality, DM_MODALITY_ONSITE);
    assert_int_equal(n.gender, DM_GENDER_FEMALE);
    assert_int_equal(n.gender_need, DM_NEED_REQUIRED);
    assert_string_equal(n.specialty, "paediatrics");
    assert_true(n.relaxed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_view),
        cmocka_unit_test(test_request_without_interpreter),
        cmocka_unit_test(test_candidate_record),
        cmocka_unit_test(test_candidate_records),
        cmocka_unit_test(test_crec_entry),
        cmocka_unit_test(test_work_item),
        cmocka_unit_test(test_need),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
