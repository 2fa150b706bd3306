/* The server's own histograms on /metrics (dragoman_redis_round_trip_seconds,
 * dragoman_dispatch_seconds), read before and after a measuring window, so
 * that a run says how long the server waited on Redis in it and how much of
 * a dispatch was spent in the server. Blocking, loopback only. */
#ifndef DRAGOMAN_LG_SCRAPE_H
#define DRAGOMAN_LG_SCRAPE_H
#include <stdbool.h>

#define LG_RTT_BUCKETS 16

typedef struct lg_rtt {
    int n;                        /* buckets read */
    double le[LG_RTT_BUCKETS];    /* upper bounds in seconds, the last +Inf */
    double cum[LG_RTT_BUCKETS];   /* round trips within each bound so far */
    double sum_s, count;
} lg_rtt;

/* The histogram named metric. False when the server on port has no such
 * histogram (the Node ceiling has no /metrics at all). */
bool lg_rtt_scrape(int port, const char *metric, lg_rtt *out);
/* Of the samples between a and b (b read later), the share that took at
 * most le seconds (a bound of the histogram); -1 when there were none. */
double lg_rtt_share(const lg_rtt *a, const lg_rtt *b, double le);

#endif
