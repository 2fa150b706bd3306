/* The store's hiredis-libevent glue (src/store/evredis.c) against a fake
 * Redis on a Unix socket that the test reads and answers by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../../src/store/evredis.h"

#define PING "*1\r\n$4\r\nPING\r\n"

typedef struct fixture {
    char dir[32];
    char path[64];
    int listener;
    int peer; /* the fake Redis's end */
    struct event_base *base;
    redisAsyncContext *ac;
    bool connected, disconnected;
    int replies;
    bool ping_again; /* the next reply's callback sends another PING */
} fixture;

static void on_connect(const redisAsyncContext *ac, int status)
{
    fixture *f = ac->data;
    assert_int_equal(status, REDIS_OK);
    f->connected = true;
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    fixture *f = ac->data;
    (void)status;
    f->disconnected = true;
    f->ac = NULL;
}

static void on_reply(redisAsyncContext *ac, void *r, void *priv)
{
    (void)priv;
    fixture *f = ac->data;
    if (!r)
        return;
    f->replies++;
    if (f->ping_again) {
        f->ping_again = false;
        redisAsyncCommand(ac, on_reply, NULL, "PING");
    }
}

/* What the fake Redis has been sent so far, without waiting. */
static size_t peer_read(fixture *f, char *buf, size_t cap)
{
    ssize_t n = recv(f->peer, buf, cap, MSG_DONTWAIT);
    return n > 0 ? (size_t)n : 0;
}

static void turn(fixture *f)
{
    assert_int_equal(event_base_loop(f->base, EVLOOP_NONBLOCK), 0);
}

static int setup(void **state)
{
    signal(SIGPIPE, SIG_IGN);
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/dmev.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/s", f->dir);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", f->path);
    f->listener = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(f->listener, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(f->listener, 1), 0);
    f->base = event_base_new();
    f->ac = redisAsyncConnectUnix(f->path);
    assert_non_null(f->ac);
    assert_int_equal(f->ac->err, 0);
    f->ac->data = f;
    assert_true(dm_evredis_attach(f->ac, f->base));
    redisAsyncSetConnectCallback(f->ac, on_connect);
    redisAsyncSetDisconnectCallback(f->ac, on_disconnect);
    f->peer = accept(f->listener, NULL, NULL);
    assert_true(f->peer >= 0);
    for (int i = 0; i < 100 && !f->connected; i++)
        event_base_loop(f->base, EVLOOP_ONCE);
    assert_true(f->connected);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->ac)
        redisAsyncFree(f->ac);
    event_base_free(f->base);
    close(f->peer);
    close(f->listener);
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Commands issued together leave in the turn of the loop that issued them. */
static void test_commands_leave_in_the_same_turn(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 3; i++)
        redisAsyncCommand(f->ac, on_reply, NULL, "PING");
    turn(f);
    char buf[256];
    assert_int_equal(peer_read(f, buf, sizeof buf), 3 * strlen(PING));
}

/* A command issued while a reply is handled leaves in that same turn, not
 * after the loop has waited once more (hiredis's own adapter waited to learn
 * that the socket was writable). */
static void test_a_command_from_a_reply_leaves_in_its_turn(void **state)
{
    fixture *f = *state;
    char buf[256];
    redisAsyncCommand(f->ac, on_reply, NULL, "PING");
    turn(f);
    assert_int_equal(peer_read(f, buf, sizeof buf), strlen(PING));
    f->ping_again = true;
    assert_int_equal(write(f->peer, "+PONG\r\n", 7), 7);
    for (int i = 0; i < 100 && f->replies == 0; i++)
        event_base_loop(f->base, EVLOOP_ONCE);
    assert_int_equal(f->replies, 1);
    assert_int_equal(peer_read(f, buf, sizeof buf), strlen(PING));
}

/* A command larger than the socket takes goes out whole, the rest as the
 * peer reads; the replies still come through the read event. */
static void test_a_command_larger_than_the_socket_goes_out_whole(void **state)
{
    fixture *f = *state;
    size_t big = 8u << 20;
    char *value = malloc(big);
    assert_non_null(value);
    memset(value, 'x', big);
    redisAsyncCommand(f->ac, on_reply, NULL, "SET k %b", value, big);
    free(value);
    char head[64];
    size_t want = (size_t)snprintf(head, sizeof head, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%zu\r\n", big) + big + 2;
    size_t got = 0;
    char *buf = malloc(1 << 16);
    assert_non_null(buf);
    for (int i = 0; i < 100000 && got < want; i++) {
        event_base_loop(f->base, EVLOOP_NONBLOCK);
        got += peer_read(f, buf, 1 << 16);
    }
    free(buf);
    assert_int_equal(got, want);
    assert_int_equal(write(f->peer, "+OK\r\n", 5), 5);
    for (int i = 0; i < 100 && f->replies == 0; i++)
        event_base_loop(f->base, EVLOOP_ONCE);
    assert_int_equal(f->replies, 1);
}

/* Redis gone while commands wait to be written: the write fails, hiredis
 * disconnects and frees the context (and the glue) inside the write. */
static void test_a_failed_write_disconnects_cleanly(void **state)
{
    fixture *f = *state;
    close(f->peer);
    f->peer = -1;
    for (int i = 0; i < 100 && !f->disconnected; i++) {
        if (f->ac)
            redisAsyncCommand(f->ac, on_reply, NULL, "PING");
        event_base_loop(f->base, EVLOOP_ONCE);
    }
    assert_true(f->disconnected);
    assert_null(f->ac);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commands_leave_in_the_same_turn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_command_from_a_reply_leaves_in_its_turn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_command_larger_than_the_socket_goes_out_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_failed_write_disconnects_cleanly, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
