/* RFC 8188 aes128gcm content coding and RFC 8291 Web Push encryption: the
 * body a push service carries to the browser, readable only by it. */
#include <limits.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <string.h>

#include "internal.h"

#define KEY_LEN 16
#define NONCE_LEN 12
#define IKM_LEN 32
/* Bytes a record adds to its content: the delimiter and the tag. */
#define RECORD_OVERHEAD (1 + DM_ECE_TAG_LEN)

typedef struct {
    uint8_t key[KEY_LEN];
    uint8_t nonce[NONCE_LEN];
} ece_keys;

/* RFC 8188 §2.2-2.3: the content key and base nonce from IKM and salt. */
static bool derive_keys(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, ece_keys *k)
{
    static const char key_info[] = "Content-Encoding: aes128gcm";
    static const char nonce_info[] = "Content-Encoding: nonce";
    /* sizeof keeps each label's terminating NUL, which is part of the info. */
    return dm_hkdf_sha256(salt, DM_ECE_SALT_LEN, ikm, ikm_len, (const uint8_t *)key_info,
                          sizeof key_info, k->key, KEY_LEN) &&
           dm_hkdf_sha256(salt, DM_ECE_SALT_LEN, ikm, ikm_len, (const uint8_t *)nonce_info,
                          sizeof nonce_info, k->nonce, NONCE_LEN);
}

/* Each record's nonce is the base nonce XOR its sequence number, big-endian
 * in the low bytes, so no two records share one. */
static void record_nonce(const ece_keys *k, uint64_t seq, uint8_t out[NONCE_LEN])
{
    memcpy(out, k->nonce, NONCE_LEN);
    for (int i = 0; i < 8; i++)
        out[NONCE_LEN - 1 - i] ^= (uint8_t)(seq >> (8 * i));
}

/* Encrypts len bytes at buf in place and appends the tag. */
static bool seal(const ece_keys *k, uint64_t seq, uint8_t *buf, size_t len)
{
    uint8_t iv[NONCE_LEN];
    int n = 0, fin = 0;
    if (len > INT_MAX)
        return false;
    record_nonce(k, seq, iv);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    bool ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, k->key, iv) == 1 &&
              EVP_EncryptUpdate(ctx, buf, &n, buf, (int)len) == 1 &&
              EVP_EncryptFinal_ex(ctx, buf + n, &fin) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, DM_ECE_TAG_LEN, buf + len) == 1;
    if (!ok)
        ERR_clear_error();
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

/* Decrypts a record of len bytes (ciphertext and tag) into out, which
 * receives len - DM_ECE_TAG_LEN bytes. False when the tag does not match. */
static bool open_record(const ece_keys *k, uint64_t seq, const uint8_t *in, size_t len,
                        uint8_t *out)
{
    uint8_t iv[NONCE_LEN];
    int n = 0, fin = 0;
    size_t ct_len = len - DM_ECE_TAG_LEN;
    if (ct_len > INT_MAX)
        return false;
    record_nonce(k, seq, iv);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    bool ok = ctx && EVP_DecryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, k->key, iv) == 1 &&
              EVP_DecryptUpdate(ctx, out, &n, in, (int)ct_len) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, DM_ECE_TAG_LEN,
                                  (void *)(in + ct_len)) == 1 &&
              EVP_DecryptFinal_ex(ctx, out + n, &fin) == 1;
    if (!ok)
        ERR_clear_error();
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

static bool params_valid(const dm_ece_params *p)
{
    return p->ikm && p->ikm_len > 0 && p->salt && p->rs >= DM_ECE_MIN_RS &&
           p->keyid_len <= 255 && (p->keyid || p->keyid_len == 0);
}

size_t dm_ece_encrypted_len(const dm_ece_params *p, size_t len)
{
    if (!params_valid(p) || len > SIZE_MAX / 2 || p->pad > SIZE_MAX / 2)
        return 0;
    size_t content = len + p->pad, room = p->rs - RECORD_OVERHEAD;
    size_t records = content == 0 ? 1 : (content + room - 1) / room;
    return DM_ECE_HEADER_LEN(p->keyid_len) + content + records * RECORD_OVERHEAD;
}

static void write_header(const dm_ece_params *p, uint8_t *out)
{
    memcpy(out, p->salt, DM_ECE_SALT_LEN);
    out[16] = (uint8_t)(p->rs >> 24);
    out[17] = (uint8_t)(p->rs >> 16);
    out[18] = (uint8_t)(p->rs >> 8);
    out[19] = (uint8_t)p->rs;
    out[20] = (uint8_t)p->keyid_len;
    if (p->keyid_len)
        memcpy(out + 21, p->keyid, p->keyid_len);
}

bool dm_ece_encrypt(const dm_ece_params *p, const uint8_t *plain, size_t len, uint8_t *out,
                    size_t cap, size_t *out_len)
{
    size_t total = dm_ece_encrypted_len(p, len);
    ece_keys k;
    if (total == 0 || total > cap || !derive_keys(p->ikm, p->ikm_len, p->salt, &k))
        return false;
    write_header(p, out);
    size_t o = DM_ECE_HEADER_LEN(p->keyid_len), in = 0, pad = p->pad;
    size_t room = p->rs - RECORD_OVERHEAD;
    bool ok = true;
    for (uint64_t seq = 0; ok; seq++) {
        size_t left = len - in + pad;
        bool last = left <= room;
        size_t content = last ? left : room;
        /* Padding goes first, as the RFC 8188 §3.2 example places it. */
        size_t rp = pad < content ? pad : content, data = content - rp;
        if (data)
            memcpy(out + o, plain + in, data);
        out[o + data] = last ? 2 : 1;
        memset(out + o + data + 1, 0, rp);
        ok = seal(&k, seq, out + o, content + 1);
        o += content + RECORD_OVERHEAD;
        in += data;
        pad -= rp;
        if (last)
            break;
    }
    OPENSSL_cleanse(&k, sizeof k);
    if (ok)
        *out_len = o;
    return ok;
}

bool dm_ece_parse_header(const uint8_t *body, size_t len, dm_ece_header *h)
{
    if (len < DM_ECE_HEADER_LEN(0))
        return false;
    h->salt = body;
    h->rs = (uint32_t)body[16] << 24 | (uint32_t)body[17] << 16 | (uint32_t)body[18] << 8 | body[19];
    h->keyid_len = body[20];
    h->keyid = body + 21;
    return h->rs >= DM_ECE_MIN_RS && len >= DM_ECE_HEADER_LEN(h->keyid_len);
}

/* The content of a decrypted record ends at its delimiter, the last non-zero
 * byte: 2 in the last record, 1 in all others (RFC 8188 §2). A wrong one
 * means records were dropped or cut, so it fails like a bad tag. */
static bool strip_padding(const uint8_t *rec, size_t len, bool last, size_t *data)
{
    size_t i = len;
    while (i > 0 && rec[i - 1] == 0)
        i--;
    if (i == 0 || rec[i - 1] != (last ? 2 : 1))
        return false;
    *data = i - 1;
    return true;
}

static bool decrypt_records(const ece_keys *k, const dm_ece_header *h, const uint8_t *body,
                            size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t at = DM_ECE_HEADER_LEN(h->keyid_len), o = 0;
    if (at == len)
        return false;
    for (uint64_t seq = 0; at < len; seq++) {
        size_t n = len - at < h->rs ? len - at : h->rs;
        bool last = at + n == len;
        size_t data;
        if (n < RECORD_OVERHEAD || o + n - DM_ECE_TAG_LEN > cap ||
            !open_record(k, seq, body + at, n, out + o) ||
            !strip_padding(out + o, n - DM_ECE_TAG_LEN, last, &data))
            return false;
        o += data;
        at += n;
    }
    *out_len = o;
    return true;
}

bool dm_ece_decrypt(const uint8_t *ikm, size_t ikm_len, const uint8_t *body, size_t len,
                    uint8_t *out, size_t cap, size_t *out_len)
{
    dm_ece_header h;
    ece_keys k;
    if (!ikm || ikm_len == 0 || !dm_ece_parse_header(body, len, &h) ||
        !derive_keys(ikm, ikm_len, h.salt, &k))
        return false;
    bool ok = decrypt_records(&k, &h, body, len, out, cap, out_len);
    OPENSSL_cleanse(&k, sizeof k);
    /* GCM hands out plaintext before the tag is checked: leave none behind. */
    if (!ok)
        OPENSSL_cleanse(out, cap < len ? cap : len);
    return ok;
}

/* RFC 8291 §3.3-3.4: the IKM both sides compute from the ECDH secret, the
 * auth secret and both public keys. */
static bool webpush_ikm(const uint8_t secret[32], const uint8_t auth[DM_WEBPUSH_AUTH_LEN],
                        const uint8_t ua_public[DM_WEBPUSH_PUBLIC_LEN],
                        const uint8_t as_public[DM_WEBPUSH_PUBLIC_LEN], uint8_t ikm[IKM_LEN])
{
    static const char label[] = "WebPush: info"; /* NUL included below */
    uint8_t info[sizeof label + 2 * DM_WEBPUSH_PUBLIC_LEN];
    memcpy(info, label, sizeof label);
    memcpy(info + sizeof label, ua_public, DM_WEBPUSH_PUBLIC_LEN);
    memcpy(info + sizeof label + DM_WEBPUSH_PUBLIC_LEN, as_public, DM_WEBPUSH_PUBLIC_LEN);
    return dm_hkdf_sha256(auth, DM_WEBPUSH_AUTH_LEN, secret, 32, info, sizeof info, ikm, IKM_LEN);
}

/* The application server's side of the key agreement: its key (given or
 * fresh), its public half, and the IKM for the subscription. */
static bool sender_ikm(const uint8_t *ua_public, const uint8_t *auth, const uint8_t *as_private,
                       uint8_t as_public[DM_WEBPUSH_PUBLIC_LEN], uint8_t ikm[IKM_LEN])
{
    uint8_t secret[32];
    EVP_PKEY *ua = dm_p256_from_public(ua_public);
    EVP_PKEY *as = as_private ? dm_p256_from_private(as_private) : dm_p256_generate();
    bool ok = ua && as && dm_p256_public_raw(as, as_public) && dm_p256_ecdh(as, ua, secret) &&
              webpush_ikm(secret, auth, ua_public, as_public, ikm);
    OPENSSL_cleanse(secret, sizeof secret);
    EVP_PKEY_free(as);
    EVP_PKEY_free(ua);
    return ok;
}

bool dm_webpush_encrypt(const uint8_t ua_public[DM_WEBPUSH_PUBLIC_LEN],
                        const uint8_t auth[DM_WEBPUSH_AUTH_LEN], const uint8_t *plain, size_t len,
                        const uint8_t *as_private, const uint8_t *salt, uint8_t *out, size_t cap,
                        size_t *out_len)
{
    uint8_t as_public[DM_WEBPUSH_PUBLIC_LEN], ikm[IKM_LEN], fresh_salt[DM_ECE_SALT_LEN];
    if (len > DM_WEBPUSH_MAX_PLAINTEXT || cap < DM_WEBPUSH_BODY_LEN(len))
        return false;
    if (!salt && RAND_bytes(fresh_salt, sizeof fresh_salt) != 1) {
        ERR_clear_error();
        return false;
    }
    if (!sender_ikm(ua_public, auth, as_private, as_public, ikm))
        return false;
    dm_ece_params p = {
        .ikm = ikm,
        .ikm_len = IKM_LEN,
        .salt = salt ? salt : fresh_salt,
        .rs = DM_WEBPUSH_RS,
        .keyid = as_public,
        .keyid_len = DM_WEBPUSH_PUBLIC_LEN,
    };
    bool ok = dm_ece_encrypt(&p, plain, len, out, cap, out_len);
    OPENSSL_cleanse(ikm, sizeof ikm);
    return ok;
}

/* The user agent's side: the same IKM from its private key and the sender's
 * public key, carried as the keyid. */
static bool receiver_ikm(const uint8_t *ua_private, const uint8_t *auth, const uint8_t *as_public,
                         uint8_t ikm[IKM_LEN])
{
    uint8_t secret[32], ua_public[DM_WEBPUSH_PUBLIC_LEN];
    EVP_PKEY *ua = dm_p256_from_private(ua_private);
    EVP_PKEY *as = dm_p256_from_public(as_public);
    bool ok = ua && as && dm_p256_public_raw(ua, ua_public) && dm_p256_ecdh(ua, as, secret) &&
              webpush_ikm(secret, auth, ua_public, as_public, ikm);
    OPENSSL_cleanse(secret, sizeof secret);
    EVP_PKEY_free(as);
    EVP_PKEY_free(ua);
    return ok;
}

bool dm_webpush_decrypt(const uint8_t ua_private[DM_WEBPUSH_PRIVATE_LEN],
                        const uint8_t auth[DM_WEBPUSH_AUTH_LEN], const uint8_t *body, size_t len,
                        uint8_t *out, size_t cap, size_t *out_len)
{
    dm_ece_header h;
    uint8_t ikm[IKM_LEN];
    /* RFC 8291 §4: the keyid is the sender's public key, and one record
     * holds the whole message. */
    if (!dm_ece_parse_header(body, len, &h) || h.keyid_len != DM_WEBPUSH_PUBLIC_LEN ||
        len - DM_ECE_HEADER_LEN(h.keyid_len) > h.rs)
        return false;
    if (!receiver_ikm(ua_private, auth, h.keyid, ikm))
        return false;
    bool ok = dm_ece_decrypt(ikm, IKM_LEN, body, len, out, cap, out_len);
    OPENSSL_cleanse(ikm, sizeof ikm);
    return ok;
}

bool dm_webpush_keypair(uint8_t private_key[DM_WEBPUSH_PRIVATE_LEN],
                        uint8_t public_key[DM_WEBPUSH_PUBLIC_LEN])
{
    EVP_PKEY *key = dm_p256_generate();
    bool ok = key && dm_p256_private_raw(key, private_key) && dm_p256_public_raw(key, public_key);
    EVP_PKEY_free(key);
    return ok;
}
