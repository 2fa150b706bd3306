/* P-256 keys as raw bytes in and out of EVP_PKEY, ECDH and HKDF. Failures
 * clear OpenSSL's error queue: it is per thread, and an entry left there
 * would be blamed on the next TLS call that thread makes. */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <string.h>

#include "internal.h"

static const char GROUP[] = "prime256v1";

/* Builds a key from OSSL_PARAMs; selection says which halves are given. */
static EVP_PKEY *from_params(OSSL_PARAM_BLD *bld, int selection)
{
    EVP_PKEY *key = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!ctx || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, GROUP, 0))
        goto done;
    params = OSSL_PARAM_BLD_to_param(bld);
    if (!params || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &key, selection, params) <= 0)
        key = NULL;
done:
    OSSL_PARAM_free(params);
    EVP_PKEY_CTX_free(ctx);
    return key;
}

/* pub = d·G; EC_POINT_mul is not deprecated, unlike everything EC_KEY. */
static bool public_of(const BIGNUM *d, uint8_t pub[DM_WEBPUSH_PUBLIC_LEN])
{
    bool ok = false;
    EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    EC_POINT *point = group ? EC_POINT_new(group) : NULL;
    if (!point || BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(group)) >= 0)
        goto done;
    ok = EC_POINT_mul(group, point, d, NULL, NULL, NULL) == 1 &&
         EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, pub,
                            DM_WEBPUSH_PUBLIC_LEN, NULL) == DM_WEBPUSH_PUBLIC_LEN;
done:
    EC_POINT_free(point);
    EC_GROUP_free(group);
    return ok;
}

EVP_PKEY *dm_p256_from_private(const uint8_t d[DM_WEBPUSH_PRIVATE_LEN])
{
    EVP_PKEY *key = NULL;
    uint8_t pub[DM_WEBPUSH_PUBLIC_LEN];
    BIGNUM *bn = BN_secure_new();
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (!bn || !bld || !BN_bin2bn(d, DM_WEBPUSH_PRIVATE_LEN, bn) || !public_of(bn, pub))
        goto done;
    if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn) &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub))
        key = from_params(bld, EVP_PKEY_KEYPAIR);
done:
    if (!key)
        ERR_clear_error();
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(bn);
    return key;
}

EVP_PKEY *dm_p256_from_public(const uint8_t pub[DM_WEBPUSH_PUBLIC_LEN])
{
    /* Only the uncompressed form is legal in Web Push (RFC 8291 §3.1). */
    if (pub[0] != 0x04)
        return NULL;
    EVP_PKEY *key = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    /* The import rejects points off the curve: no invalid-curve attack. */
    if (bld && OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
                                                DM_WEBPUSH_PUBLIC_LEN))
        key = from_params(bld, EVP_PKEY_PUBLIC_KEY);
    if (!key)
        ERR_clear_error();
    OSSL_PARAM_BLD_free(bld);
    return key;
}

EVP_PKEY *dm_p256_generate(void)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!key)
        ERR_clear_error();
    return key;
}

bool dm_p256_check(const EVP_PKEY *key)
{
    char name[32];
    bool ok = EVP_PKEY_is_a(key, "EC") &&
              EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name,
                                             NULL) &&
              strcmp(name, GROUP) == 0;
    if (!ok)
        ERR_clear_error();
    return ok;
}

bool dm_p256_public_raw(const EVP_PKEY *key, uint8_t out[DM_WEBPUSH_PUBLIC_LEN])
{
    size_t len = 0;
    /* ENCODED_PUBLIC_KEY follows the key's point format, uncompressed
     * unless someone changed it; the length check catches that. */
    bool ok = EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out,
                                              DM_WEBPUSH_PUBLIC_LEN, &len) &&
              len == DM_WEBPUSH_PUBLIC_LEN && out[0] == 0x04;
    if (!ok)
        ERR_clear_error();
    return ok;
}

bool dm_p256_private_raw(const EVP_PKEY *key, uint8_t out[DM_WEBPUSH_PRIVATE_LEN])
{
    BIGNUM *d = NULL;
    bool ok = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d) &&
              BN_bn2binpad(d, out, DM_WEBPUSH_PRIVATE_LEN) == DM_WEBPUSH_PRIVATE_LEN;
    if (!ok)
        ERR_clear_error();
    BN_clear_free(d);
    return ok;
}

bool dm_p256_ecdh(EVP_PKEY *own, EVP_PKEY *peer, uint8_t out[32])
{
    size_t len = 32;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, own, NULL);
    bool ok = ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer(ctx, peer) > 0 &&
              EVP_PKEY_derive(ctx, out, &len) > 0 && len == 32;
    if (!ok)
        ERR_clear_error();
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

bool dm_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                    const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    /* OSSL_PARAM takes non-const pointers but only reads through them. */
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len),
        OSSL_PARAM_construct_end(),
    };
    bool ok = ctx && EVP_KDF_derive(ctx, out, out_len, params) > 0;
    if (!ok)
        ERR_clear_error();
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return ok;
}
