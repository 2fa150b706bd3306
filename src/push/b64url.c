/* base64url without padding: the spelling of every key, salt and JWT part in
 * Web Push. */
#include "dragoman/webpush.h"

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

bool dm_b64url_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    if (cap < DM_B64URL_LEN(len) + 1)
        return false;
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = ALPHABET[v >> 18];
        out[o++] = ALPHABET[(v >> 12) & 63];
        out[o++] = ALPHABET[(v >> 6) & 63];
        out[o++] = ALPHABET[v & 63];
    }
    if (len - i == 1) {
        out[o++] = ALPHABET[in[i] >> 2];
        out[o++] = ALPHABET[(in[i] & 3) << 4];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];
        out[o++] = ALPHABET[v >> 10];
        out[o++] = ALPHABET[(v >> 4) & 63];
        out[o++] = ALPHABET[(v & 15) << 2];
    }
    out[o] = '\0';
    return true;
}

static int sextet(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Drops trailing '=' padding; padded input must come in whole quanta. */
static bool strip_padding(const char *in, size_t *len)
{
    size_t n = *len, pad = 0;
    while (n > 0 && in[n - 1] == '=' && pad < 2) {
        n--;
        pad++;
    }
    if (pad > 0 && *len % 4 != 0)
        return false;
    *len = n;
    return true;
}

bool dm_b64url_decode(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t n = in_len;
    if (!strip_padding(in, &n) || n % 4 == 1)
        return false;
    size_t need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    if (need > cap)
        return false;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = sextet(in[i]);
        if (v < 0)
            return false;
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    /* Left-over bits must be zero, or two spellings would decode alike. */
    if ((acc & ((1u << bits) - 1)) != 0)
        return false;
    *out_len = o;
    return true;
}
