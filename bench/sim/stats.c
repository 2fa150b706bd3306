/* Summary figures of a run. */
#include <stdlib.h>

#include "sim.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

double sim_gini(double *v, int n)
{
    if (n <= 0)
        return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double sum = 0, weighted = 0;
    for (int i = 0; i < n; i++) {
        sum += v[i];
        weighted += (double)(i + 1) * v[i];
    }
    if (sum <= 0)
        return 0;
    return 2.0 * weighted / ((double)n * sum) - (double)(n + 1) / n;
}

double sim_quantile(float *v, long n, double q, bool sorted)
{
    if (n <= 0)
        return 0;
    if (!sorted)
        qsort(v, (size_t)n, sizeof *v, cmp_float);
    long rank = (long)(q * (double)n + 0.999999);
    rank = rank < 1 ? 1 : rank > n ? n : rank;
    return v[rank - 1];
}
