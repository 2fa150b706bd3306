/* Where the machine's CPU went during a load window, per completed cycle:
 * the server, Redis, the load generator itself and the kernel's softirq
 * (loopback packets it could not process in the sender's call). On two
 * cores shared by all of them, this is what limits a saturation run.
 * Beside it, each one's context switches per cycle: a cycle at a steady
 * rate costs far more CPU than at saturation because every step wakes a
 * process that was asleep, where at saturation one wakeup serves many. */
#ifndef DRAGOMAN_LG_CPU_H
#define DRAGOMAN_LG_CPU_H
#include <cjson/cJSON.h>

typedef struct lg_cpu {
    double server, redis, self; /* seconds of CPU, -1 when the process is unknown */
    double softirq, idle, total; /* seconds over every core (/proc/stat) */
    double server_cs, redis_cs, self_cs; /* context switches of all threads, -1 when unknown */
    double machine_cs;                   /* of every task (/proc/stat ctxt) */
} lg_cpu;

/* Reads the counters now; a pid of 0 or less is left out. */
void lg_cpu_sample(lg_cpu *s, int server_pid, int redis_pid);
/* Prints each one's CPU per cycle between a and b and adds them to out
 * ("cpu_us_per_cycle", in µs), with the machine's idle share
 * ("machine_idle_share"), and the context switches per cycle
 * ("switches_per_cycle": server, redis, load_generator, machine). */
void lg_cpu_report(const lg_cpu *a, const lg_cpu *b, long cycles, cJSON *out);

#endif
