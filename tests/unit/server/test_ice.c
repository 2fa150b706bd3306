/* ICE servers for calls: coturn's use-auth-secret credentials. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <string.h>

#include "../../../src/server/server.h"

/* The value coturn computes for the same secret and username: python3 -c
 * "import hmac,hashlib,base64; print(base64.b64encode(hmac.new(b'north-secret',
 * b'1795043200:r17', hashlib.sha1).digest()).decode())" */
static void test_credential(void **state)
{
    (void)state;
    char out[64];
    assert_true(dm_turn_credential("north-secret", "1795043200:r17", out, sizeof out));
    assert_string_equal(out, "J5FwMlMgEVcb+sOFuroOj9rxr0U=");
    assert_false(dm_turn_credential("north-secret", "1795043200:r17", out, 28));
}

static const char *item_string(const cJSON *o, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

static void test_servers(void **state)
{
    (void)state;
    dm_config cfg;
    dm_config_defaults(&cfg);
    cJSON *none = dm_ice_servers(&cfg, "r17", 1795000000);
    assert_int_equal(cJSON_GetArraySize(none), 0);
    cJSON_Delete(none);

    strcpy(cfg.stun_uris, "stun:turn.example.org:3478");
    strcpy(cfg.turn_uris, "turn:turn.example.org:3478?transport=udp,turns:turn.example.org:5349");
    strcpy(cfg.turn_secret, "north-secret");
    cfg.turn_ttl_s = 43200;
    cJSON *list = dm_ice_servers(&cfg, "r17", 1795000000);
    assert_int_equal(cJSON_GetArraySize(list), 2);
    const cJSON *stun = cJSON_GetArrayItem(list, 0), *turn = cJSON_GetArrayItem(list, 1);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(stun, "urls"), 0)),
                        "stun:turn.example.org:3478");
    assert_null(cJSON_GetObjectItem(stun, "username"));
    const cJSON *urls = cJSON_GetObjectItem(turn, "urls");
    assert_int_equal(cJSON_GetArraySize(urls), 2);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(urls, 1)), "turns:turn.example.org:5349");
    assert_string_equal(item_string(turn, "username"), "1795043200:r17");
    assert_string_equal(item_string(turn, "credential"), "J5FwMlMgEVcb+sOFuroOj9rxr0U=");
    cJSON_Delete(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_credential),
        cmocka_unit_test(test_servers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
