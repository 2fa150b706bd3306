/* CPU per cycle from /proc: a process's utime + stime (all its threads), and
 * the machine's softirq and idle time; context switches likewise. */
#include "cpu.h"

#include <dirent.h>
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

/* Voluntary and involuntary context switches of one thread, -1 when unreadable. */
static double task_switches(int pid, const char *tid)
{
    char path[320], line[128];
    snprintf(path, sizeof path, "/proc/%d/task/%s/status", pid, tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    double n = 0;
    int found = 0;
    unsigned long long v;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "voluntary_ctxt_switches: %llu", &v) == 1 ||
            sscanf(line, "nonvoluntary_ctxt_switches: %llu", &v) == 1) {
            n += (double)v;
            found++;
        }
    fclose(f);
    return found == 2 ? n : -1;
}

/* The context switches of all a process's threads (/proc/PID/status counts
 * only its first thread's), -1 when unreadable. A thread that ends within
 * the window takes its switches with it; the processes measured keep theirs. */
static double proc_switches(int pid)
{
    if (pid <= 0)
        return -1;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    double n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        double t = task_switches(pid, e->d_name);
        if (t > 0)
            n += t;
    }
    closedir(d);
    return n;
}

/* From /proc/stat: the machine's CPU (its first line, all cores) and the
 * context switches of every task since boot ("ctxt"). */
static void machine_stat(lg_cpu *s)
{
    s->total = s->idle = s->softirq = s->machine_cs = -1;
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return;
    unsigned long long v[8] = {0}, ctxt;
    char line[256];
    int got = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                     &v[6], &v[7]);
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "ctxt %llu", &ctxt) == 1) {
            s->machine_cs = (double)ctxt;
            break;
        }
    fclose(f);
    if (got != 8)
        return;
    double tick = (double)sysconf(_SC_CLK_TCK);
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
    machine_stat(s);
    s->server_cs = proc_switches(server_pid);
    s->redis_cs = proc_switches(redis_pid);
    s->self_cs = proc_switches(getpid());
}

/* One figure per cycle (scale 1e6 for seconds as µs), or nothing when either
 * end is unknown. */
static void add_one(cJSON *o, const char *name, double a, double b, long cycles, double scale, const char *fmt)
{
    if (a < 0 || b < 0)
        return;
    double per = (b - a) * scale / (double)cycles;
    printf(fmt, name, per);
    cJSON_AddNumberToObject(o, name, per);
}

static void report_switches(const lg_cpu *a, const lg_cpu *b, long cycles, cJSON *out)
{
    static const char fmt[] = " %s %.1f,";
    cJSON *o = cJSON_AddObjectToObject(out, "switches_per_cycle");
    printf("Context switches per cycle:");
    add_one(o, "server", a->server_cs, b->server_cs, cycles, 1, fmt);
    add_one(o, "redis", a->redis_cs, b->redis_cs, cycles, 1, fmt);
    add_one(o, "load_generator", a->self_cs, b->self_cs, cycles, 1, fmt);
    add_one(o, "machine", a->machine_cs, b->machine_cs, cycles, 1, " %s (every task) %.1f");
    printf("\n");
}

void lg_cpu_report(const lg_cpu *a, const lg_cpu *b, long cycles, cJSON *out)
{
    if (cycles <= 0)
        return;
    cJSON *o = cJSON_AddObjectToObject(out, "cpu_us_per_cycle");
    static const char fmt[] = " %s %.0f µs,";
    printf("CPU per cycle in the window:");
    add_one(o, "server", a->server, b->server, cycles, 1e6, fmt);
    add_one(o, "redis", a->redis, b->redis, cycles, 1e6, fmt);
    add_one(o, "load_generator", a->self, b->self, cycles, 1e6, fmt);
    add_one(o, "softirq", a->softirq, b->softirq, cycles, 1e6, fmt);
    double total = b->total - a->total;
    if (a->total >= 0 && b->total >= 0 && total > 0) {
        double idle = (b->idle - a->idle) / total;
        printf(" machine idle %.0f%%", 100 * idle);
        cJSON_AddNumberToObject(out, "machine_idle_share", idle);
    }
    printf("\n");
    report_switches(a, b, cycles, out);
}
