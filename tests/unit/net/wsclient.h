/* A tiny blocking WebSocket/HTTP client for tests over real loopback sockets.
 * Every socket gets 10 s send/receive timeouts so that a broken server makes
 * a test fail instead of hang. Include once, from a test file. */
#ifndef DRAGOMAN_TEST_WSCLIENT_H
#define DRAGOMAN_TEST_WSCLIENT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

enum { WS_TEXT = 1, WS_CONT = 0, WS_CLOSE = 8 };

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int recv_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len) {
        ssize_t n = recv(fd, p, len, 0);
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads up to the blank line ending the headers, one byte at a time so that
 * no frame after them is consumed. */
static int read_head(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        if (recv_all(fd, buf + n, 1) != 0)
            return -1;
        n++;
        buf[n] = '\0';
        if (n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0)
            return 0;
    }
    return -1;
}

/* The value of a header in a response head (after "Name:" and spaces), or NULL. */
static const char *header_value(const char *head, const char *name)
{
    size_t nlen = strlen(name);
    for (const char *line = strstr(head, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
        const char *h = line + 2;
        if (strncasecmp(h, name, nlen) != 0 || h[nlen] != ':')
            continue;
        h += nlen + 1;
        while (*h == ' ')
            h++;
        return h;
    }
    return NULL;
}

/* True when the head has the header with exactly this value. */
static bool has_header(const char *head, const char *name, const char *value)
{
    const char *h = header_value(head, name);
    size_t vlen = strlen(value);
    return h && strncmp(h, value, vlen) == 0 && h[vlen] == '\r';
}

/* Returns the connected socket after a 101 that picked the protocol, else -1.
 * The key is RFC 6455's sample, whose accept value is known. */
static int ws_connect(int port, const char *path, const char *protocol, const char *origin)
{
    int fd = tcp_connect(port);
    if (fd < 0)
        return -1;
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                     "%s%s%s%s%s%s\r\n",
                     path, port, protocol ? "Sec-WebSocket-Protocol: " : "", protocol ? protocol : "",
                     protocol ? "\r\n" : "", origin ? "Origin: " : "", origin ? origin : "", origin ? "\r\n" : "");
    char head[2048];
    if (send_all(fd, req, (size_t)n) != 0 || read_head(fd, head, sizeof head) != 0 ||
        strncmp(head, "HTTP/1.1 101", 12) != 0 ||
        !has_header(head, "Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") ||
        (protocol && !has_header(head, "Sec-WebSocket-Protocol", protocol))) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends one masked frame, as a client must. */
static int ws_send(int fd, int opcode, bool fin, const void *data, size_t len)
{
    static const unsigned char mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    unsigned char hdr[14];
    size_t h = 0;
    hdr[h++] = (unsigned char)((fin ? 0x80 : 0) | opcode);
    if (len < 126) {
        hdr[h++] = (unsigned char)(0x80 | len);
    } else if (len < 65536) {
        hdr[h++] = 0x80 | 126;
        hdr[h++] = (unsigned char)(len >> 8);
        hdr[h++] = (unsigned char)len;
    } else {
        hdr[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            hdr[h++] = (unsigned char)((uint64_t)len >> (8 * i));
    }
    memcpy(hdr + h, mask, 4);
    h += 4;
    if (send_all(fd, hdr, h) != 0)
        return -1;
    unsigned char chunk[4096];
    const unsigned char *p = data;
    for (size_t off = 0; off < len;) {
        size_t n = len - off < sizeof chunk ? len - off : sizeof chunk;
        for (size_t i = 0; i < n; i++)
            chunk[i] = p[off + i] ^ mask[(off + i) & 3];
        if (send_all(fd, chunk, n) != 0)
            return -1;
        off += n;
    }
    return 0;
}

/* Receives one (unmasked) server frame; the payload is NUL-terminated. */
static int ws_recv(int fd, int *opcode, char *buf, size_t cap, size_t *len)
{
    unsigned char hdr[8];
    if (recv_all(fd, hdr, 2) != 0 || (hdr[1] & 0x80))
        return -1;
    *opcode = hdr[0] & 0x0f;
    uint64_t n = hdr[1] & 0x7f;
    if (n == 126) {
        if (recv_all(fd, hdr, 2) != 0)
            return -1;
        n = ((uint64_t)hdr[0] << 8) | hdr[1];
    } else if (n == 127) {
        if (recv_all(fd, hdr, 8) != 0)
            return -1;
        n = 0;
        for (int i = 0; i < 8; i++)
            n = (n << 8) | hdr[i];
    }
    if (n >= cap || recv_all(fd, buf, (size_t)n) != 0)
        return -1;
    buf[n] = '\0';
    *len = (size_t)n;
    return 0;
}

/* The close code of a close frame's payload, or -1. */
static int ws_close_code(const char *payload, size_t len)
{
    if (len < 2)
        return -1;
    return ((unsigned char)payload[0] << 8) | (unsigned char)payload[1];
}

/* Sends a raw HTTP request; returns the socket to read the answer from. */
static int http_send(int port, const char *request)
{
    int fd = tcp_connect(port);
    if (fd < 0)
        return -1;
    if (send_all(fd, request, strlen(request)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads one response on a kept-alive connection: the head, then as many
 * body bytes as its Content-Length says. Returns 0 on success. */
static int http_read_response(int fd, char *buf, size_t cap)
{
    if (read_head(fd, buf, cap) != 0)
        return -1;
    const char *cl = header_value(buf, "content-length");
    size_t head = strlen(buf), body = cl ? strtoul(cl, NULL, 10) : 0;
    if (head + body >= cap || recv_all(fd, buf + head, body) != 0)
        return -1;
    buf[head + body] = '\0';
    return 0;
}

/* Reads until the server closes (requests say "Connection: close") and
 * closes the socket. Returns the length read. */
static size_t http_read_all(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t r = recv(fd, buf + n, cap - 1 - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    close(fd);
    return n;
}

#endif
