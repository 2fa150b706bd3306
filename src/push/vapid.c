/* RFC 8292 VAPID: the application server's key, kept in one file, and the
 * signed JWT that tells a push service who is sending. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

struct dm_vapid_key {
    EVP_PKEY *pkey;
};

/* base64url of {"typ":"JWT","alg":"ES256"}, the only header ever sent. */
static const char JWT_HEADER[] = "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9";
#define SIG_LEN 64

static dm_vapid_key *wrap(EVP_PKEY *pkey)
{
    if (!pkey)
        return NULL;
    dm_vapid_key *key = malloc(sizeof *key);
    if (!key) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    key->pkey = pkey;
    return key;
}

dm_vapid_key *dm_vapid_generate(void)
{
    return wrap(dm_p256_generate());
}

dm_vapid_key *dm_vapid_from_private(const uint8_t d[DM_WEBPUSH_PRIVATE_LEN])
{
    return wrap(dm_p256_from_private(d));
}

void dm_vapid_free(dm_vapid_key *key)
{
    if (!key)
        return;
    EVP_PKEY_free(key->pkey);
    free(key);
}

/* Writes the PEM to a private temporary file next to path, then moves it
 * into place: by rename when replacing, by link when path must not exist
 * yet, so two servers starting at once cannot each install their own key. */
static bool write_key_file(const dm_vapid_key *key, const char *path, bool replace)
{
    bool ok = false;
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp)
        return false;
    snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        goto done;
    }
    /* A left-over temporary file keeps its old mode through O_TRUNC. */
    ok = fchmod(fd, 0600) == 0 && PEM_write_PrivateKey(f, key->pkey, NULL, NULL, 0, NULL, NULL) &&
         fflush(f) == 0 && fsync(fd) == 0;
    ok = fclose(f) == 0 && ok;
    /* A file system without hard links falls back to rename. */
    if (ok && !replace)
        ok = link(tmp, path) == 0 || (errno != EEXIST && rename(tmp, path) == 0);
    else if (ok)
        ok = rename(tmp, path) == 0;
done:
    if (!ok)
        ERR_clear_error();
    if (!ok || !replace)
        unlink(tmp);
    free(tmp);
    return ok;
}

bool dm_vapid_save(const dm_vapid_key *key, const char *path)
{
    return key && path && write_key_file(key, path, true);
}

/* Never prompt on the terminal for a passphrase, which OpenSSL does when no
 * callback is given: an encrypted key is simply refused. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

dm_vapid_key *dm_vapid_load(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, no_passphrase, NULL);
    fclose(f);
    if (!pkey || !dm_p256_check(pkey)) {
        ERR_clear_error();
        EVP_PKEY_free(pkey);
        return NULL;
    }
    return wrap(pkey);
}

dm_vapid_key *dm_vapid_load_or_create(const char *path, bool *created)
{
    if (created)
        *created = false;
    /* Only a missing file is replaced: a damaged one needs a human, since
     * a new key silently orphans every subscription made with the old. */
    if (access(path, F_OK) == 0 || errno != ENOENT)
        return dm_vapid_load(path);
    dm_vapid_key *key = dm_vapid_generate();
    if (key && write_key_file(key, path, false)) {
        if (created)
            *created = true;
        return key;
    }
    dm_vapid_free(key);
    /* Lost a race with another server: use the key it installed. */
    return dm_vapid_load(path);
}

bool dm_vapid_public_raw(const dm_vapid_key *key, uint8_t out[DM_WEBPUSH_PUBLIC_LEN])
{
    return key && dm_p256_public_raw(key->pkey, out);
}

bool dm_vapid_public_b64url(const dm_vapid_key *key, char out[DM_VAPID_PUBLIC_B64_LEN + 1])
{
    uint8_t raw[DM_WEBPUSH_PUBLIC_LEN];
    return dm_vapid_public_raw(key, raw) &&
           dm_b64url_encode(raw, sizeof raw, out, DM_VAPID_PUBLIC_B64_LEN + 1);
}

/* ES256 as JWS wants it (RFC 7518 §3.4): r and s as two 32-byte big-endian
 * numbers, where OpenSSL produces a DER SEQUENCE of two INTEGERs. */
static bool sign_es256(EVP_PKEY *pkey, const char *msg, size_t len, uint8_t sig[SIG_LEN])
{
    uint8_t der[80]; /* a P-256 DER signature is at most 72 bytes */
    size_t der_len = sizeof der;
    ECDSA_SIG *es = NULL;
    const BIGNUM *r, *s;
    const uint8_t *p = der;
    bool ok = false;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, pkey, NULL) != 1 ||
        EVP_DigestSign(md, der, &der_len, (const uint8_t *)msg, len) != 1)
        goto done;
    es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (!es)
        goto done;
    ECDSA_SIG_get0(es, &r, &s);
    ok = BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(s, sig + 32, 32) == 32;
done:
    if (!ok)
        ERR_clear_error();
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(md);
    return ok;
}

/* Claims go into the JSON verbatim, so refuse what would need escaping. */
static bool claim_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > DM_VAPID_MAX_CLAIM)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
            return false;
    }
    return true;
}

static bool args_ok(const dm_vapid_key *key, const char *aud, const char *sub, int64_t lifetime)
{
    return key && aud && sub && lifetime > 0 && lifetime <= DM_VAPID_MAX_LIFETIME &&
           claim_ok(aud) && claim_ok(sub) &&
           (strncmp(aud, "https://", 8) == 0 || strncmp(aud, "http://", 7) == 0) &&
           (strncmp(sub, "mailto:", 7) == 0 || strncmp(sub, "https:", 6) == 0);
}

/* header.claims.signature into jwt (DM_VAPID_HEADER_MAX bytes). */
static bool make_jwt(const dm_vapid_key *key, const char *aud, const char *sub, int64_t exp,
                     char *jwt)
{
    char claims[DM_VAPID_MAX_CLAIM * 2 + 64];
    uint8_t sig[SIG_LEN];
    int n = snprintf(claims, sizeof claims, "{\"aud\":\"%s\",\"exp\":%lld,\"sub\":\"%s\"}", aud,
                     (long long)exp, sub);
    if (n < 0 || (size_t)n >= sizeof claims)
        return false;
    size_t at = sizeof JWT_HEADER - 1;
    memcpy(jwt, JWT_HEADER, at);
    jwt[at++] = '.';
    if (!dm_b64url_encode((const uint8_t *)claims, (size_t)n, jwt + at, DM_VAPID_HEADER_MAX - at))
        return false;
    at += strlen(jwt + at);
    if (!sign_es256(key->pkey, jwt, at, sig))
        return false;
    jwt[at++] = '.';
    return dm_b64url_encode(sig, sizeof sig, jwt + at, DM_VAPID_HEADER_MAX - at);
}

bool dm_vapid_authorization(const dm_vapid_key *key, const char *aud, const char *sub, int64_t now,
                            int64_t lifetime, char *out, size_t cap)
{
    char jwt[DM_VAPID_HEADER_MAX], k[DM_VAPID_PUBLIC_B64_LEN + 1];
    if (!args_ok(key, aud, sub, lifetime) || !make_jwt(key, aud, sub, now + lifetime, jwt) ||
        !dm_vapid_public_b64url(key, k))
        return false;
    int n = snprintf(out, cap, "vapid t=%s, k=%s", jwt, k);
    return n > 0 && (size_t)n < cap;
}

/* Host and port characters an origin may hold; anything else (spaces,
 * quotes, user info) means the endpoint is not one we should talk to. */
static bool authority_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']' ||
           c == '_';
}

bool dm_webpush_origin(const char *endpoint, char *out, size_t cap)
{
    const char *scheme = NULL, *def_port = NULL;
    if (!endpoint)
        return false;
    if (strncasecmp(endpoint, "https://", 8) == 0) {
        scheme = "https";
        def_port = ":443";
    } else if (strncasecmp(endpoint, "http://", 7) == 0) {
        scheme = "http";
        def_port = ":80";
    } else {
        return false;
    }
    const char *host = endpoint + strlen(scheme) + 3;
    size_t n = strcspn(host, "/?#");
    for (size_t i = 0; i < n; i++)
        if (!authority_char(host[i]))
            return false;
    size_t dp = strlen(def_port);
    if (n > dp && strncmp(host + n - dp, def_port, dp) == 0)
        n -= dp;
    if (n == 0 || host[n - 1] == ':')
        return false;
    int w = snprintf(out, cap, "%s://%.*s", scheme, (int)n, host);
    if (w < 0 || (size_t)w >= cap)
        return false;
    for (char *c = out; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    return true;
}
