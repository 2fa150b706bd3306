/* The load generator's own WebSocket client framing (RFC 6455): the upgrade
 * request with subprotocol dragoman.v1, the check of the server's answer, and
 * masked frames out, unmasked frames in. No I/O here. */
#ifndef DRAGOMAN_LG_WS_H
#define DRAGOMAN_LG_WS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { LG_WS_CONT = 0, LG_WS_TEXT = 1, LG_WS_CLOSE = 8, LG_WS_PING = 9, LG_WS_PONG = 10 };

/* Writes the upgrade request for ws://host:port/path into buf; expect gets
 * the Sec-WebSocket-Accept the server must answer with. Returns the length,
 * 0 when buf is too small. seed makes the key. */
size_t lg_ws_handshake(char *buf, size_t cap, const char *host, int port, const char *path, uint64_t seed,
                       char expect[32]);
/* Length of the response head in buf (up to and with the blank line), 0 when
 * it is not complete yet. */
size_t lg_ws_head_len(const char *buf, size_t len);
/* True when head is a 101 with the expected accept key and our subprotocol. */
bool lg_ws_head_ok(const char *head, size_t len, const char *expect);

/* Bytes a masked frame of n payload bytes takes. */
size_t lg_ws_frame_size(size_t n);
/* Writes a masked frame (FIN set) into out, which holds lg_ws_frame_size(n). */
size_t lg_ws_frame(uint8_t *out, int opcode, const void *payload, size_t n, uint32_t mask);

typedef struct lg_ws_frame_in {
    int opcode;
    bool fin;
    const uint8_t *payload;
    size_t len;
} lg_ws_frame_in;

/* Parses one server frame at buf: bytes it takes, 0 when incomplete, -1 when
 * malformed (masked, or a payload over max). */
long lg_ws_parse(const uint8_t *buf, size_t len, size_t max, lg_ws_frame_in *f);

#endif
