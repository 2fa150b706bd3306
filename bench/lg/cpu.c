/* CPU per cycle from /proc: a process's utime + stime (all its threads), and
 * the machine's softirq and idle time. */
#include "cpu.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* utime + stime of a process in seconds, -1 when unreadable. The fields
 * are counted after the command name's closing parenthesis, which may
 * itself hold spaces. */
static double proc_cpu(int pid)
{
    if (pid <= 0)
        return -1;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    unsigned long long ut, st;
    /* After ")": state, then fields 4..13, then utime (14) and stime (15). */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void machine_cpu(lg_cpu *s)
{
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    int got = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                         &v[6], &v[7])
                : 0;
    if (f)
        fclose(f);
    double tick = (double)sysconf(_SC_CLK_TCK);
    s->total = s->idle = s->softirq = -1;
    if (got != 8)
        return;
    unsigned long long total = 0;
    for (int i = 0; i < 8; i++)
        total += v[i];
    s->total = (double)total / tick;
    s->idle = (double)(v[3] + v[4]) / tick;
    s->softirq = (double)v[6] / tick;
}

void lg_cpu_sample(lg_cpu *s, int server_pid, int redis_pid)
{
    s->server = proc_cpu(server_pid);
    s->redis = proc_cpu(redis_pid);
    s->self = proc_cpu(getpid());
    machine_cpu(s);
}

/* One figure: µs of CPU per cycle, or nothing when either end is unknown. */
static void add_one(cJSON *o, const char *name, double a, double b, long cycles)
{
    if (a < 0 || b < 0)
        return;
    double us = (b - a) * 1e6 / (double)cycles;
    printf(" %s %.0f µs,", name, us);
    cJSON_AddNumberToObject(o, name, us);
}

void lg_cpu_report(const lg_cpu *a, const lg_cpu *b, long cycles, cJSON *out)
{
    if (cycles <= 0)
        return;
    cJSON *o = cJSON_AddObjectToObject(out, "cpu_us_per_cycle");
    printf("CPU per cycle in the window:");
    add_one(o, "server", a->server, b->server, cycles);
    add_one(o, "redis", a->redis, b->redis, cycles);
    add_one(o, "load_generator", a->self, b->self, cycles);
    add_one(o, "softirq", a->softirq, b->softirq, cycles);
    double total = b->total - a->total;
    if (a->total >= 0 && b->total >= 0 && total > 0) {
        double idle = (b->idle - a->idle) / total;
        printf(" machine idle %.0f%%", 100 * idle);
        cJSON_AddNumberToObject(out, "machine_idle_share", idle);
    }
    printf("\n");
}
