/* The ICE servers handed to a call's peers. TURN credentials follow the
 * shared-secret scheme coturn calls use-auth-secret (the "TURN REST API"):
 * coturn recomputes the credential from the username and its own copy of the
 * secret, so nothing per call is stored anywhere, and the expiry written into
 * the username is what limits a leaked credential. Any thread. */
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "server.h"

bool dm_turn_credential(const char *secret, const char *username, char *out, size_t outlen)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!HMAC(EVP_sha1(), secret, (int)strlen(secret), (const unsigned char *)username, strlen(username), md, &mdlen))
        return false;
    if (outlen < 4 * ((mdlen + 2) / 3) + 1)
        return false;
    EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
    return true;
}

/* {"urls": [each comma-separated URI]}. */
static cJSON *server_entry(const char *uris)
{
    cJSON *entry = cJSON_CreateObject();
    cJSON *urls = cJSON_AddArrayToObject(entry, "urls");
    for (const char *p = uris; *p;) {
        size_t len = strcspn(p, ",");
        char uri[512];
        snprintf(uri, sizeof uri, "%.*s", (int)len, p);
        cJSON_AddItemToArray(urls, cJSON_CreateString(uri));
        p += len + (p[len] == ',');
    }
    return entry;
}

cJSON *dm_ice_servers(const dm_config *cfg, const char *rid, int64_t now_s)
{
    cJSON *list = cJSON_CreateArray();
    if (cfg->stun_uris[0])
        cJSON_AddItemToArray(list, server_entry(cfg->stun_uris));
    if (!cfg->turn_uris[0])
        return list;
    char username[DM_ID_MAX + 24], credential[64];
    snprintf(username, sizeof username, "%lld:%s", (long long)(now_s + cfg->turn_ttl_s), rid);
    if (!dm_turn_credential(cfg->turn_secret, username, credential, sizeof credential))
        return list;
    cJSON *turn = server_entry(cfg->turn_uris);
    cJSON_AddStringToObject(turn, "username", username);
    cJSON_AddStringToObject(turn, "credential", credential);
    cJSON_AddItemToArray(list, turn);
    return list;
}
