/* Web Push without a third party: base64url, the aes128gcm content coding
 * (RFC 8188), push message encryption (RFC 8291) and VAPID (RFC 8292), all
 * on OpenSSL 3. Everything here is pure computation on caller buffers and
 * may run on any thread, except the three dm_vapid_* functions marked I/O,
 * which touch one key file. Failures return false or NULL and never leave
 * errors on OpenSSL's per-thread error queue (a stale entry there would be
 * misread by the next TLS call on the same thread). */
#ifndef DRAGOMAN_WEBPUSH_H
#define DRAGOMAN_WEBPUSH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- base64url (RFC 4648 §5), written without '=' padding ---- */

/* Characters dm_b64url_encode writes for n bytes, without the NUL. */
#define DM_B64URL_LEN(n) (((n) / 3) * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))

/* Encodes len bytes into out as a NUL-terminated string without padding.
 * False (out untouched) when cap < DM_B64URL_LEN(len) + 1. */
bool dm_b64url_encode(const uint8_t *in, size_t len, char *out, size_t cap);
/* Decodes in_len characters, with or without trailing '=' padding. Refuses
 * anything outside the URL-safe alphabet (so also standard base64's '+' and
 * '/'), impossible lengths, and non-canonical trailing bits, so one byte
 * string has exactly one accepted spelling. False when the result would not
 * fit in cap bytes. */
bool dm_b64url_decode(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len);

/* ---- RFC 8188 aes128gcm content coding ---- */

#define DM_ECE_SALT_LEN 16
#define DM_ECE_TAG_LEN 16
/* salt, rs (4 bytes), idlen (1 byte), then the keyid. */
#define DM_ECE_HEADER_LEN(keyid_len) (DM_ECE_SALT_LEN + 5 + (keyid_len))
/* The smallest record RFC 8188 §2 allows: tag, delimiter and one byte, so
 * that every record but the last moves the content forward. */
#define DM_ECE_MIN_RS 18

typedef struct {
    const uint8_t *ikm; /* input keying material, any non-zero length */
    size_t ikm_len;
    const uint8_t *salt; /* DM_ECE_SALT_LEN bytes */
    uint32_t rs;         /* record size, >= DM_ECE_MIN_RS */
    const uint8_t *keyid; /* written into the header as is; may be NULL if keyid_len is 0 */
    size_t keyid_len;     /* <= 255 */
    size_t pad;           /* padding bytes in all, put in the earliest records first */
} dm_ece_params;

/* The parsed header of an aes128gcm body; keyid points into the body. */
typedef struct {
    const uint8_t *salt;
    uint32_t rs;
    const uint8_t *keyid;
    size_t keyid_len;
} dm_ece_header;

/* The size of the body dm_ece_encrypt writes for len plaintext bytes, or 0
 * when the parameters are invalid (rs too small, keyid too long). */
size_t dm_ece_encrypted_len(const dm_ece_params *p, size_t len);
/* Encrypts plain into out (header then records). Records are filled to rs
 * except the last, so the RFC 8188 examples come out byte for byte. */
bool dm_ece_encrypt(const dm_ece_params *p, const uint8_t *plain, size_t len, uint8_t *out,
                    size_t cap, size_t *out_len);
/* Splits off and checks the header (rs >= DM_ECE_MIN_RS, keyid inside the
 * body). Lets a receiver pick the key by keyid before decrypting. */
bool dm_ece_parse_header(const uint8_t *body, size_t len, dm_ece_header *h);
/* Decrypts a whole body with the given IKM. False on any forged, truncated
 * or reordered record, a wrong key, bad padding, or out too small (cap >= len
 * always suffices: records are decrypted with their padding in place). On
 * failure the first min(cap, len) bytes of out are wiped. */
bool dm_ece_decrypt(const uint8_t *ikm, size_t ikm_len, const uint8_t *body, size_t len,
                    uint8_t *out, size_t cap, size_t *out_len);

/* ---- RFC 8291 message encryption for Web Push ---- */

#define DM_WEBPUSH_PUBLIC_LEN 65 /* uncompressed P-256 point: 0x04 || x || y */
#define DM_WEBPUSH_PRIVATE_LEN 32
#define DM_WEBPUSH_AUTH_LEN 16
#define DM_WEBPUSH_RS 4096
/* Push services need accept no more than 4096 body bytes (RFC 8030 §7.2);
 * header 86, delimiter 1 and tag 16 leave this much for the message. */
#define DM_WEBPUSH_MAX_PLAINTEXT 3993
#define DM_WEBPUSH_BODY_LEN(n) (DM_ECE_HEADER_LEN(DM_WEBPUSH_PUBLIC_LEN) + (n) + 1 + DM_ECE_TAG_LEN)

/* Encrypts a push message for the subscription (ua_public, auth: the
 * browser's p256dh and auth keys, decoded). as_private and salt are test
 * hooks: NULL (the only right choice outside tests) makes a fresh ephemeral
 * key and salt per message from OpenSSL's RNG. Writes
 * salt || 4096 || 65 || as_public || one record; out needs
 * DM_WEBPUSH_BODY_LEN(len) bytes. False on a malformed or off-curve
 * ua_public, len > DM_WEBPUSH_MAX_PLAINTEXT, or no randomness. */
bool dm_webpush_encrypt(const uint8_t ua_public[DM_WEBPUSH_PUBLIC_LEN],
                        const uint8_t auth[DM_WEBPUSH_AUTH_LEN], const uint8_t *plain, size_t len,
                        const uint8_t *as_private, const uint8_t *salt, uint8_t *out, size_t cap,
                        size_t *out_len);
/* The browser's side, for tests and tools: decrypts a body with the
 * subscription's private key and auth secret. */
bool dm_webpush_decrypt(const uint8_t ua_private[DM_WEBPUSH_PRIVATE_LEN],
                        const uint8_t auth[DM_WEBPUSH_AUTH_LEN], const uint8_t *body, size_t len,
                        uint8_t *out, size_t cap, size_t *out_len);
/* A P-256 key pair as raw bytes, e.g. to play a subscription in tests. */
bool dm_webpush_keypair(uint8_t private_key[DM_WEBPUSH_PRIVATE_LEN],
                        uint8_t public_key[DM_WEBPUSH_PUBLIC_LEN]);
/* The origin (scheme://host[:port], lowercase, default port dropped) of an
 * http or https endpoint URL: the VAPID "aud" claim. False on anything else,
 * user info included, or when it does not fit in cap. */
bool dm_webpush_origin(const char *endpoint, char *out, size_t cap);

/* ---- RFC 8292 VAPID ---- */

/* The application server's long-lived P-256 key. Immutable once made, so
 * one key may sign on several threads at once. */
typedef struct dm_vapid_key dm_vapid_key;

/* Characters of the base64url public key, without the NUL. */
#define DM_VAPID_PUBLIC_B64_LEN DM_B64URL_LEN(DM_WEBPUSH_PUBLIC_LEN)
/* A JWT lives at most a day (RFC 8292 §2). */
#define DM_VAPID_MAX_LIFETIME (24 * 3600)
/* Longest aud or sub accepted, in bytes. */
#define DM_VAPID_MAX_CLAIM 255
/* Room enough for any header dm_vapid_authorization writes. */
#define DM_VAPID_HEADER_MAX 1024

dm_vapid_key *dm_vapid_generate(void);
/* The key of a raw 32-byte private scalar (deterministic keys for tests). */
dm_vapid_key *dm_vapid_from_private(const uint8_t d[DM_WEBPUSH_PRIVATE_LEN]);
void dm_vapid_free(dm_vapid_key *key);
/* I/O. Writes the key as PKCS#8 PEM, mode 0600, through a temporary file
 * and a rename so a crash never leaves half a key behind. */
bool dm_vapid_save(const dm_vapid_key *key, const char *path);
/* I/O. Reads a key dm_vapid_save wrote (any unencrypted PEM P-256 key).
 * NULL when missing, unreadable, encrypted, or not P-256. */
dm_vapid_key *dm_vapid_load(const char *path);
/* I/O. Loads path, or when it does not exist generates and saves a key
 * there: the browser's subscriptions are bound to this key, so it must
 * survive restarts. *created tells which (may be NULL). */
dm_vapid_key *dm_vapid_load_or_create(const char *path, bool *created);

/* The public key as an uncompressed point, and as base64url: the
 * applicationServerKey the browser's pushManager.subscribe() needs. */
bool dm_vapid_public_raw(const dm_vapid_key *key, uint8_t out[DM_WEBPUSH_PUBLIC_LEN]);
bool dm_vapid_public_b64url(const dm_vapid_key *key, char out[DM_VAPID_PUBLIC_B64_LEN + 1]);
/* The Authorization header value "vapid t=JWT, k=PUBLIC" for one push
 * service origin (aud, see dm_webpush_origin) and contact (sub: a mailto:
 * or https: URL), valid from now (Unix seconds) for lifetime seconds,
 * 1..DM_VAPID_MAX_LIFETIME. The JWT is ES256 with the raw 64-byte r||s
 * signature JOSE wants. False on a bad argument (including a claim needing
 * JSON escapes) or when out (cap bytes) is too small. */
bool dm_vapid_authorization(const dm_vapid_key *key, const char *aud, const char *sub, int64_t now,
                            int64_t lifetime, char *out, size_t cap);

#endif
