/* P-256 keys and HKDF for the push room, on OpenSSL 3's EVP interfaces
 * (the EC_KEY ones are deprecated). Every function is thread-safe; keys
 * are never changed after they are made. */
#ifndef DRAGOMAN_PUSH_INTERNAL_H
#define DRAGOMAN_PUSH_INTERNAL_H
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dragoman/webpush.h"

/* A key pair from a raw private scalar; OpenSSL 3.0 does not derive the
 * public half on import, so it is computed here. NULL when d is 0 or not
 * below the group order. */
EVP_PKEY *dm_p256_from_private(const uint8_t d[DM_WEBPUSH_PRIVATE_LEN]);
/* A public key from an uncompressed point; NULL unless it is on the curve. */
EVP_PKEY *dm_p256_from_public(const uint8_t pub[DM_WEBPUSH_PUBLIC_LEN]);
EVP_PKEY *dm_p256_generate(void);
/* True when key is an EC key on P-256 (a loaded file could hold anything). */
bool dm_p256_check(const EVP_PKEY *key);
bool dm_p256_public_raw(const EVP_PKEY *key, uint8_t out[DM_WEBPUSH_PUBLIC_LEN]);
bool dm_p256_private_raw(const EVP_PKEY *key, uint8_t out[DM_WEBPUSH_PRIVATE_LEN]);
/* The ECDH shared secret (the x coordinate) of own's private key and peer. */
bool dm_p256_ecdh(EVP_PKEY *own, EVP_PKEY *peer, uint8_t out[32]);
/* HKDF-SHA256 (RFC 5869), extract then expand. */
bool dm_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                    const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);

#endif
