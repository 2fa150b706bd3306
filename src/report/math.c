/* The figures that are not sums: exact percentiles and shares from whole
 * lists of durations, the Gini coefficient of hours per interpreter, and CSV
 * quoting. */
#include <stdlib.h>
#include <string.h>

#include "dragoman/report.h"

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void dm_report_sort_u32(uint32_t *v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_u32);
}

size_t dm_report_rank(size_t n, int p)
{
    /* rank = ceil(p/100 * n), in integers so that 50% of 10 is exactly 5 */
    size_t rank = ((size_t)p * n + 99) / 100;
    return rank < 1 ? 0 : rank - 1;
}

uint32_t dm_report_percentile(const uint32_t *sorted, size_t n, int p)
{
    return sorted[dm_report_rank(n, p)];
}

size_t dm_report_count_le(const uint32_t *sorted, size_t n, uint32_t limit)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] <= limit)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

double dm_report_gini(int64_t *x, size_t n)
{
    if (n == 0)
        return -1;
    qsort(x, n, sizeof *x, cmp_i64);
    long double sum = 0, weighted = 0;
    for (size_t i = 0; i < n; i++) {
        sum += (long double)x[i];
        weighted += (long double)(i + 1) * (long double)x[i];
    }
    if (sum <= 0)
        return -1;
    long double nn = (long double)n;
    return (double)(2 * weighted / (nn * sum) - (nn + 1) / nn);
}

static bool needs_quotes(const char *s)
{
    return strpbrk(s, ",\"\r\n") != NULL;
}

size_t dm_report_csv_field(const char *s, char *out, size_t cap)
{
    bool formula = strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0';
    bool quote = needs_quotes(s);
    size_t need = strlen(s) + (formula ? 1 : 0) + (quote ? 2 : 0);
    for (const char *p = s; *p; p++)
        need += *p == '"';
    if (need >= cap)
        return need;
    size_t o = 0;
    if (quote)
        out[o++] = '"';
    if (formula)
        out[o++] = '\'';
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            out[o++] = '"';
        out[o++] = *p;
    }
    if (quote)
        out[o++] = '"';
    out[o] = '\0';
    return o;
}
