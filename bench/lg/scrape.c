#include "scrape.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define BODY_MAX (256 * 1024)

/* The whole response to GET /metrics (HTTP/1.0, so the server closes when
 * done), NUL-terminated and malloc'd; NULL on any failure. */
static char *fetch_metrics(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return NULL;
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    static const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    char *buf = malloc(BODY_MAX);
    size_t len = 0;
    bool ok = buf && connect(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
              send(fd, req, sizeof req - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof req - 1);
    for (ssize_t n = 1; ok && n > 0 && len < BODY_MAX - 1; len += (size_t)(n > 0 ? n : 0))
        n = recv(fd, buf + len, BODY_MAX - 1 - len, 0);
    close(fd);
    if (!ok || len == 0) {
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

/* One line of the histogram, after its name, into out. */
static void parse_line(const char *rest, lg_rtt *out)
{
    if (strncmp(rest, "_bucket{le=\"", 12) == 0 && out->n < LG_RTT_BUCKETS) {
        const char *v = rest + 12;
        const char *close = strstr(v, "\"} ");
        if (!close)
            return;
        out->le[out->n] = strncmp(v, "+Inf", 4) == 0 ? HUGE_VAL : strtod(v, NULL);
        out->cum[out->n++] = strtod(close + 3, NULL);
    } else if (strncmp(rest, "_sum ", 5) == 0) {
        out->sum_s = strtod(rest + 5, NULL);
    } else if (strncmp(rest, "_count ", 7) == 0) {
        out->count = strtod(rest + 7, NULL);
    }
}

bool lg_rtt_scrape(int port, const char *metric, lg_rtt *out)
{
    size_t mlen = strlen(metric);
    memset(out, 0, sizeof *out);
    char *text = fetch_metrics(port);
    if (!text)
        return false;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (strncmp(line, metric, mlen) == 0)
            parse_line(line + mlen, out);
    }
    free(text);
    return out->n > 0;
}

double lg_rtt_share(const lg_rtt *a, const lg_rtt *b, double le)
{
    double total = b->count - a->count;
    if (total <= 0 || a->n != b->n)
        return -1;
    for (int i = 0; i < b->n; i++)
        if (b->le[i] == le)
            return (b->cum[i] - a->cum[i]) / total;
    return -1;
}
