#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dragoman/log.h"
#include "dragoman/redisproc.h"

#define TIMEOUT_MS 5000

typedef struct fixture {
    char root[32]; /* short, so DIR/redis.sock fits in sun_path */
    char dir[64];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->root, sizeof f->root, "/tmp/dmrp.XXXXXX");
    assert_non_null(mkdtemp(f->root));
    snprintf(f->dir, sizeof f->dir, "%s/a/data", f->root);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->root);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static redisContext *connect_to(const dm_redisproc *p)
{
    redisContext *c = redisConnectUnix(dm_redisproc_socket(p));
    assert_non_null(c);
    if (c->err)
        fail_msg("connect %s: %s", dm_redisproc_socket(p), c->errstr);
    return c;
}

/* Runs a command whose reply is a status or string and compares it. */
static void expect_reply(redisContext *c, const char *want, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    assert_non_null(r);
    if (!want)
        assert_int_equal(r->type, REDIS_REPLY_NIL);
    else if (r->type != REDIS_REPLY_STATUS && r->type != REDIS_REPLY_STRING)
        fail_msg("unexpected reply type %d for \"%s\"", r->type, fmt);
    else
        assert_string_equal(r->str, want);
    freeReplyObject(r);
}

static pid_t redis_pid(const dm_redisproc *p)
{
    redisContext *c = connect_to(p);
    redisReply *r = redisCommand(c, "INFO server");
    assert_non_null(r);
    const char *at = strstr(r->str, "process_id:");
    assert_non_null(at);
    pid_t pid = (pid_t)atoi(at + strlen("process_id:"));
    freeReplyObject(r);
    redisFree(c);
    assert_true(pid > 0);
    return pid;
}

/* No child of ours is left, not even a zombie. */
static void assert_no_children(void)
{
    int status;
    assert_int_equal(waitpid(-1, &status, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static void write_script(const char *path, const char *body)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "#!/bin/sh\n%s\n", body);
    fclose(fp);
    assert_int_equal(chmod(path, 0700), 0);
}

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static int open_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 1024; fd++)
        n += fcntl(fd, F_GETFD) != -1;
    return n;
}

static void test_start_ping_stop(void **state)
{
    fixture *f = *state;
    int fds = open_fds();
    dm_redisproc *p = dm_redisproc_start("redis-server", f->dir, TIMEOUT_MS);
    assert_non_null(p);
    char want[96];
    snprintf(want, sizeof want, "%s/redis.sock", f->dir);
    assert_string_equal(dm_redisproc_socket(p), want);
    struct stat st;
    assert_int_equal(stat(f->dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);

    redisContext *c = connect_to(p);
    expect_reply(c, "PONG", "PING");
    redisReply *r = redisCommand(c, "CONFIG GET port");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[1]->str, "0"); /* no TCP listener */
    freeReplyObject(r);
    redisFree(c);

    pid_t pid = redis_pid(p);
    dm_redisproc_stop(p);
    assert_int_equal(kill(pid, 0), -1);
    assert_int_equal(errno, ESRCH);
    assert_no_children();
    assert_int_equal(open_fds(), fds);
}

static void test_data_survives_restart(void **state)
{
    fixture *f = *state;
    dm_redisproc *p = dm_redisproc_start("redis-server", f->dir, TIMEOUT_MS);
    assert_non_null(p);
    redisContext *c = connect_to(p);
    expect_reply(c, "OK", "SET %s %s", "greeting", "hello");
    redisFree(c);
    dm_redisproc_stop(p);

    p = dm_redisproc_start("redis-server", f->dir, TIMEOUT_MS);
    assert_non_null(p);
    c = connect_to(p);
    expect_reply(c, "hello", "GET %s", "greeting");
    redisFree(c);
    dm_redisproc_stop(p);
    assert_no_children();
}

static void test_stale_socket_after_kill(void **state)
{
    fixture *f = *state;
    dm_redisproc *old = dm_redisproc_start("redis-server", f->dir, TIMEOUT_MS);
    assert_non_null(old);
    redisContext *c = connect_to(old);
    expect_reply(c, "OK", "SET %s %s", "k", "before-kill");
    redisFree(c);
    pid_t pid = redis_pid(old);
    assert_int_equal(kill(pid, SIGKILL), 0);
    /* Wait until it is dead (a zombie until reaped) without reaping it. */
    siginfo_t info;
    assert_int_equal(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT), 0);
    struct stat st;
    assert_int_equal(stat(dm_redisproc_socket(old), &st), 0); /* the socket file stays */

    dm_redisproc *p = dm_redisproc_start("redis-server", f->dir, TIMEOUT_MS);
    assert_non_null(p);
    c = connect_to(p);
    expect_reply(c, "before-kill", "GET %s", "k");
    redisFree(c);
    dm_redisproc_stop(old); /* reaps the killed one */
    dm_redisproc_stop(p);
    assert_no_children();
}

static void test_second_start_refused(void **state)
{
    fixture *f = *state;
    dm_redisproc *p = dm_redisproc_start("redis-server", f->dir, TIMEOUT_MS);
    assert_non_null(p);
    assert_null(dm_redisproc_start("redis-server", f->dir, TIMEOUT_MS));
    /* The first one is untouched. */
    redisContext *c = connect_to(p);
    expect_reply(c, "PONG", "PING");
    redisFree(c);
    dm_redisproc_stop(p);
    assert_no_children();
}

/* A server started by other means holds no lock of ours: the live socket
 * alone must stop a start. */
static void test_live_foreign_socket_refused(void **state)
{
    fixture *f = *state;
    char sock[96];
    snprintf(sock, sizeof sock, "%s/redis.sock", f->root);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_null(dm_redisproc_start("redis-server", f->root, TIMEOUT_MS));
    struct stat st;
    assert_int_equal(stat(sock, &st), 0); /* not removed */
    close(fd);
    assert_no_children();
}

static void test_bad_binary_fails_fast(void **state)
{
    fixture *f = *state;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_null(dm_redisproc_start("dragoman-no-such-redis-server", f->dir, TIMEOUT_MS));
    assert_null(dm_redisproc_start("/nonexistent/redis-server", f->dir, TIMEOUT_MS));
    assert_true(elapsed_ms(&t0) < TIMEOUT_MS / 2);
    assert_no_children();
    /* The failed tries left the folder usable. */
    dm_redisproc *p = dm_redisproc_start("redis-server", f->dir, TIMEOUT_MS);
    assert_non_null(p);
    dm_redisproc_stop(p);
    assert_no_children();
}

static void test_child_exit_or_silence(void **state)
{
    fixture *f = *state;
    char dies[64], silent[64];
    snprintf(dies, sizeof dies, "%s/dies", f->root);
    snprintf(silent, sizeof silent, "%s/silent", f->root);
    write_script(dies, "while [ $# -gt 0 ]; do [ \"$1\" = --logfile ] && echo 'fatal: boom' > \"$2\"; shift; "
                       "done; exit 1");
    write_script(silent, "exec sleep 30");
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_null(dm_redisproc_start(dies, f->dir, TIMEOUT_MS));
    assert_true(elapsed_ms(&t0) < TIMEOUT_MS / 2);
    assert_no_children();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_null(dm_redisproc_start(silent, f->dir, 300));
    long ms = elapsed_ms(&t0);
    assert_true(ms >= 300 && ms < 3000);
    assert_no_children();
}

/* A server that blocks SIGTERM for a signal thread must still be able to stop
 * its Redis with it. */
static void test_stop_with_sigterm_blocked(void **state)
{
    fixture *f = *state;
    sigset_t term, old;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    assert_int_equal(sigprocmask(SIG_BLOCK, &term, &old), 0);
    dm_redisproc *p = dm_redisproc_start("redis-server", f->dir, TIMEOUT_MS);
    assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
    assert_non_null(p);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    dm_redisproc_stop(p);
    assert_true(elapsed_ms(&t0) < 3000);
    assert_no_children();
}

static void test_relative_dir_made_absolute(void **state)
{
    fixture *f = *state;
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(f->root), 0);
    dm_redisproc *p = dm_redisproc_start("redis-server", "rel/data", TIMEOUT_MS);
    assert_int_equal(chdir(cwd), 0);
    assert_non_null(p);
    char want[96];
    snprintf(want, sizeof want, "%s/rel/data/redis.sock", f->root);
    assert_string_equal(dm_redisproc_socket(p), want);
    redisContext *c = connect_to(p);
    expect_reply(c, "PONG", "PING");
    redisFree(c);
    dm_redisproc_stop(p);
    assert_no_children();
}

static void test_socket_path_too_long(void **state)
{
    fixture *f = *state;
    char dir[200];
    snprintf(dir, sizeof dir, "%s/%0100d", f->root, 0);
    assert_null(dm_redisproc_start("redis-server", dir, TIMEOUT_MS));
    assert_no_children();
}

static void test_stop_null(void **state)
{
    (void)state;
    dm_redisproc_stop(NULL);
}

int main(void)
{
    dm_log_set_level(DM_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_start_ping_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_survives_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_socket_after_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_start_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_foreign_socket_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_binary_fails_fast, setup, teardown),
        cmocka_unit_test_setup_teardown(test_child_exit_or_silence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_with_sigterm_blocked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relative_dir_made_absolute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_path_too_long, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_null, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
