#include "ws.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static void accept_for(const char *key, char expect[32])
{
    char cat[128];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int n = snprintf(cat, sizeof cat, "%s%s", key, WS_GUID);
    EVP_Digest(cat, (size_t)n, md, &mdlen, EVP_sha1(), NULL);
    EVP_EncodeBlock((unsigned char *)expect, md, (int)mdlen);
}

size_t lg_ws_handshake(char *buf, size_t cap, const char *host, int port, const char *path, uint64_t seed,
                       char expect[32])
{
    unsigned char raw[16];
    char key[32];
    for (int i = 0; i < 16; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        raw[i] = (unsigned char)(seed >> 56);
    }
    EVP_EncodeBlock((unsigned char *)key, raw, 16);
    accept_for(key, expect);
    int n = snprintf(buf, cap,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: dragoman.v1\r\n"
                     "Origin: http://%s:%d\r\n\r\n",
                     path, host, port, key, host, port);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

size_t lg_ws_head_len(const char *buf, size_t len)
{
    for (size_t i = 3; i < len; i++)
        if (buf[i - 3] == '\r' && buf[i - 2] == '\n' && buf[i - 1] == '\r' && buf[i] == '\n')
            return i + 1;
    return 0;
}

/* The value of a header in head, case-insensitive name; NULL when absent. */
static const char *header(const char *head, size_t len, const char *name, size_t *vlen)
{
    size_t nl = strlen(name);
    for (const char *p = head; p && p < head + len; p = memchr(p, '\n', (size_t)(head + len - p))) {
        if (*p == '\n')
            p++;
        if ((size_t)(head + len - p) > nl + 1 && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            const char *end = v;
            while (end < head + len && *end != '\r' && *end != '\n')
                end++;
            *vlen = (size_t)(end - v);
            return v;
        }
    }
    return NULL;
}

bool lg_ws_head_ok(const char *head, size_t len, const char *expect)
{
    size_t alen = 0, plen = 0;
    if (len < 12 || strncmp(head, "HTTP/1.1 101", 12) != 0)
        return false;
    const char *acc = header(head, len, "Sec-WebSocket-Accept", &alen);
    const char *proto = header(head, len, "Sec-WebSocket-Protocol", &plen);
    return acc && proto && alen == strlen(expect) && memcmp(acc, expect, alen) == 0 && plen == 11 &&
           memcmp(proto, "dragoman.v1", 11) == 0;
}

size_t lg_ws_frame_size(size_t n)
{
    return n + 4 + (n < 126 ? 2 : n < 65536 ? 4 : 10);
}

size_t lg_ws_frame(uint8_t *out, int opcode, const void *payload, size_t n, uint32_t mask)
{
    size_t h = 0;
    out[h++] = (uint8_t)(0x80 | opcode);
    if (n < 126) {
        out[h++] = (uint8_t)(0x80 | n);
    } else if (n < 65536) {
        out[h++] = 0x80 | 126;
        out[h++] = (uint8_t)(n >> 8);
        out[h++] = (uint8_t)n;
    } else {
        out[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            out[h++] = (uint8_t)((uint64_t)n >> (8 * i));
    }
    uint8_t m[4] = {(uint8_t)(mask >> 24), (uint8_t)(mask >> 16), (uint8_t)(mask >> 8), (uint8_t)mask};
    memcpy(out + h, m, 4);
    h += 4;
    const uint8_t *p = payload;
    for (size_t i = 0; i < n; i++)
        out[h + i] = p[i] ^ m[i & 3];
    return h + n;
}

long lg_ws_parse(const uint8_t *buf, size_t len, size_t max, lg_ws_frame_in *f)
{
    if (len < 2)
        return 0;
    if (buf[1] & 0x80)
        return -1;
    size_t h = 2, n = buf[1] & 0x7f;
    if (n == 126) {
        if (len < 4)
            return 0;
        n = ((size_t)buf[2] << 8) | buf[3];
        h = 4;
    } else if (n == 127) {
        if (len < 10)
            return 0;
        n = 0;
        for (int i = 0; i < 8; i++)
            n = (n << 8) | buf[2 + i];
        h = 10;
    }
    if (n > max)
        return -1;
    if (len < h + n)
        return 0;
    f->opcode = buf[0] & 0x0f;
    f->fin = (buf[0] & 0x80) != 0;
    f->payload = buf + h;
    f->len = n;
    return (long)(h + n);
}
