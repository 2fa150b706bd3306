/* dm_net over real loopback sockets: a real event_base on this thread, the
 * lws service thread inside dm_net, and the blocking client of wsclient.h.
 * Waits are bounded (10 s) and nothing asserts a duration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dragoman/net.h"
#include "wsclient.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>

enum { MAX_EVENTS = 256, MAX_MESSAGE = 4096, MAX_BODY = 1024 };

static const char index_html[] = "<!doctype html><title>dragoman</title>\n";
static const char app_js[] = "console.log('dragoman');\n";

typedef struct fixture {
    struct event_base *base;
    dm_net *net;
    char dir[64];
    dm_net_event events[MAX_EVENTS];
    int received, consumed;
    bool timed_out;
    bool stop_on_event; /* call dm_net_stop from inside the event callback */
} fixture;

/* libevent thread: keep a copy, as the event only lives during the call. */
static void on_event(void *ud, const dm_net_event *ev)
{
    fixture *fx = ud;
    if (fx->received == MAX_EVENTS)
        return;
    dm_net_event *copy = &fx->events[fx->received++];
    *copy = *ev;
    copy->data = malloc(ev->len + 1);
    memcpy(copy->data, ev->data, ev->len + 1);
    if (fx->stop_on_event) {
        dm_net_stop(fx->net);
        fx->net = NULL;
    }
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ((fixture *)arg)->timed_out = true;
}

/* Runs the loop until the next event arrives or 10 s pass. */
static const dm_net_event *next_event(fixture *fx)
{
    struct event *timer = evtimer_new(fx->base, on_timeout, fx);
    struct timeval tv = {10, 0};
    fx->timed_out = false;
    evtimer_add(timer, &tv);
    while (fx->consumed == fx->received && !fx->timed_out)
        event_base_loop(fx->base, EVLOOP_ONCE);
    event_free(timer);
    if (fx->consumed == fx->received)
        return NULL;
    return &fx->events[fx->consumed++];
}

static const dm_net_event *expect_event(fixture *fx, dm_net_event_kind kind)
{
    const dm_net_event *ev = next_event(fx);
    assert_non_null(ev);
    assert_int_equal(ev->kind, kind);
    return ev;
}

static void write_file(const char *dir, const char *name, const char *content)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static void remove_file(const char *dir, const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}

static dm_net *start_net(fixture *fx, const char *host)
{
    dm_net_config cfg = {
        .host = host, .port = 0, .web_root = fx->dir, .max_message = MAX_MESSAGE, .max_body = MAX_BODY};
    return dm_net_start(&cfg, fx->base, on_event, fx);
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/dm-net-test-XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    write_file(fx->dir, "index.html", index_html);
    write_file(fx->dir, "app.js", app_js);
    fx->base = event_base_new();
    fx->net = start_net(fx, "127.0.0.1");
    *state = fx;
    return fx->net ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    dm_net_stop(fx->net);
    event_base_free(fx->base);
    for (int i = 0; i < fx->received; i++)
        free(fx->events[i].data);
    remove_file(fx->dir, "index.html");
    remove_file(fx->dir, "app.js");
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* Output queued from the libevent thread leaves once the callbacks of this
 * turn of its loop have run (net.h); the tests queue it outside the loop. */
static void end_turn(fixture *fx)
{
    event_base_loop(fx->base, EVLOOP_NONBLOCK);
}

/* Opens a WebSocket and consumes its WS_OPEN event. */
static int open_ws(fixture *fx, uint64_t *conn)
{
    int fd = ws_connect(dm_net_port(fx->net), "/ws", "dragoman.v1", "http://example.test");
    assert_true(fd >= 0);
    const dm_net_event *ev = expect_event(fx, DM_NET_WS_OPEN);
    assert_string_equal(ev->origin, "http://example.test");
    assert_string_equal(ev->peer, "127.0.0.1");
    *conn = ev->conn;
    return fd;
}

static void expect_frame(int fd, int opcode, const char *payload)
{
    char buf[8192];
    size_t len;
    int op;
    assert_int_equal(ws_recv(fd, &op, buf, sizeof buf, &len), 0);
    assert_int_equal(op, opcode);
    assert_string_equal(buf, payload);
}

/* Reads frames up to the close and returns its code. */
static int expect_close(int fd)
{
    char buf[8192];
    size_t len;
    int op;
    while (ws_recv(fd, &op, buf, sizeof buf, &len) == 0)
        if (op == WS_CLOSE)
            return ws_close_code(buf, len);
    return -1;
}

static void test_ws_open_message_send(void **state)
{
    fixture *fx = *state;
    assert_true(dm_net_port(fx->net) > 0);
    uint64_t conn;
    int fd = open_ws(fx, &conn);
    assert_true(conn >= 1);

    assert_int_equal(ws_send(fd, WS_TEXT, true, "hello", 5), 0);
    const dm_net_event *ev = expect_event(fx, DM_NET_WS_MESSAGE);
    assert_int_equal(ev->conn, conn);
    assert_int_equal(ev->len, 5);
    assert_string_equal(ev->data, "hello");

    dm_net_send(fx->net, conn, "world", 5);
    end_turn(fx);
    expect_frame(fd, WS_TEXT, "world");
    for (int i = 0; i < 50; i++) {
        char msg[16];
        snprintf(msg, sizeof msg, "m%d", i);
        dm_net_send(fx->net, conn, msg, strlen(msg));
    }
    end_turn(fx);
    for (int i = 0; i < 50; i++) {
        char msg[16];
        snprintf(msg, sizeof msg, "m%d", i);
        expect_frame(fd, WS_TEXT, msg);
    }
    /* Output for an id that never existed is dropped without harm. */
    dm_net_send(fx->net, conn + 1000, "nobody", 6);
    dm_net_http_reply(fx->net, conn + 1000, 200, "text/plain", "x", 1);

    close(fd);
    ev = expect_event(fx, DM_NET_WS_CLOSE);
    assert_int_equal(ev->conn, conn);
}

static void test_ws_fragmented_and_long(void **state)
{
    fixture *fx = *state;
    uint64_t conn;
    int fd = open_ws(fx, &conn);
    assert_int_equal(ws_send(fd, WS_TEXT, false, "hel", 3), 0);
    assert_int_equal(ws_send(fd, WS_CONT, false, "lo ", 3), 0);
    assert_int_equal(ws_send(fd, WS_CONT, true, "world", 5), 0);
    const dm_net_event *ev = expect_event(fx, DM_NET_WS_MESSAGE);
    assert_string_equal(ev->data, "hello world");

    /* One frame longer than the server's rx buffer arrives in pieces. */
    char big[3000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    assert_int_equal(ws_send(fd, WS_TEXT, true, big, sizeof big), 0);
    ev = expect_event(fx, DM_NET_WS_MESSAGE);
    assert_int_equal(ev->len, sizeof big);
    assert_memory_equal(ev->data, big, sizeof big);
    assert_int_equal(ev->data[sizeof big], '\0');

    /* A message far larger than a socket buffer takes several writes. */
    enum { HUGE = 300000 };
    char *huge = malloc(HUGE + 1);
    memset(huge, 'z', HUGE);
    dm_net_send(fx->net, conn, huge, HUGE);
    dm_net_send(fx->net, conn, "after", 5);
    end_turn(fx);
    size_t len;
    int op;
    assert_int_equal(ws_recv(fd, &op, huge, HUGE + 1, &len), 0);
    assert_int_equal(op, WS_TEXT);
    assert_int_equal(len, HUGE);
    assert_int_equal(huge[0], 'z');
    assert_int_equal(huge[HUGE - 1], 'z');
    free(huge);
    expect_frame(fd, WS_TEXT, "after");
    close(fd);
    expect_event(fx, DM_NET_WS_CLOSE);
}

static void test_ws_too_large_closes_1009(void **state)
{
    fixture *fx = *state;
    uint64_t conn;
    int fd = open_ws(fx, &conn);
    static char big[MAX_MESSAGE + 1000];
    memset(big, 'x', sizeof big);
    assert_int_equal(ws_send(fd, WS_TEXT, true, big, sizeof big), 0);
    assert_int_equal(expect_close(fd), 1009);
    close(fd);
    const dm_net_event *ev = expect_event(fx, DM_NET_WS_CLOSE);
    assert_int_equal(ev->conn, conn);
}

static void test_ws_close_after_queued(void **state)
{
    fixture *fx = *state;
    uint64_t conn;
    int fd = open_ws(fx, &conn);
    dm_net_send(fx->net, conn, "bye", 3);
    dm_net_close(fx->net, conn, 4000, "done");
    dm_net_send(fx->net, conn, "too late", 8);
    end_turn(fx);
    expect_frame(fd, WS_TEXT, "bye");
    char buf[256];
    size_t len;
    int op;
    assert_int_equal(ws_recv(fd, &op, buf, sizeof buf, &len), 0);
    assert_int_equal(op, WS_CLOSE);
    assert_int_equal(ws_close_code(buf, len), 4000);
    assert_int_equal(len, 6);
    assert_memory_equal(buf + 2, "done", 4);
    assert_int_equal(ws_send(fd, WS_CLOSE, true, buf, 2), 0);
    const dm_net_event *ev = expect_event(fx, DM_NET_WS_CLOSE);
    assert_int_equal(ev->conn, conn);
    close(fd);
}

typedef struct sender {
    dm_net *net;
    uint64_t conn;
} sender;

static void *send_from_thread(void *arg)
{
    sender *s = arg;
    dm_net_send(s->net, s->conn, "from afar", 9);
    return NULL;
}

/* Output from another thread than the libevent thread wakes the service
 * thread itself: it leaves though the libevent loop never turns. */
static void test_ws_send_from_other_thread(void **state)
{
    fixture *fx = *state;
    uint64_t conn;
    int fd = open_ws(fx, &conn);
    sender s = {fx->net, conn};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, send_from_thread, &s), 0);
    pthread_join(t, NULL);
    expect_frame(fd, WS_TEXT, "from afar");
    close(fd);
    expect_event(fx, DM_NET_WS_CLOSE);
}

static void test_ws_refused_handshakes(void **state)
{
    fixture *fx = *state;
    int port = dm_net_port(fx->net);
    assert_int_equal(ws_connect(port, "/ws", NULL, NULL), -1);
    assert_int_equal(ws_connect(port, "/ws", "other.v1", NULL), -1);
    assert_int_equal(ws_connect(port, "/elsewhere", "dragoman.v1", NULL), -1);
    /* None of them reached the application. */
    assert_int_equal(fx->received, 0);
}

static void test_http_get_healthz(void **state)
{
    fixture *fx = *state;
    /* The empty arguments (a doubled and a trailing '&') are dropped. */
    int fd = http_send(dm_net_port(fx->net), "GET /healthz?x=1&&y=a%20b%26c& HTTP/1.1\r\nHost: t\r\n"
                                             "Authorization: Bearer tok\r\nOrigin: http://example.test\r\n"
                                             "Connection: close\r\n\r\n");
    assert_true(fd >= 0);
    const dm_net_event *ev = expect_event(fx, DM_NET_HTTP);
    assert_string_equal(ev->method, "GET");
    assert_string_equal(ev->path, "/healthz");
    assert_string_equal(ev->query, "x=1&y=a%20b%26c");
    assert_string_equal(ev->authorization, "Bearer tok");
    assert_string_equal(ev->origin, "http://example.test");
    assert_string_equal(ev->peer, "127.0.0.1");
    assert_int_equal(ev->len, 0);
    assert_string_equal(ev->data, "");
    static const char body[] = "{\"status\":\"ok\"}";
    dm_net_http_reply(fx->net, ev->conn, 200, "application/json", body, strlen(body));
    end_turn(fx);
    char resp[4096];
    http_read_all(fd, resp, sizeof resp);
    assert_true(strncmp(resp, "HTTP/1.1 200", 12) == 0);
    assert_true(has_header(resp, "content-type", "application/json"));
    assert_true(has_header(resp, "cache-control", "no-store"));
    assert_non_null(strstr(resp, "\r\n\r\n{\"status\":\"ok\"}"));
}

static void test_http_post_body(void **state)
{
    fixture *fx = *state;
    int fd = http_send(dm_net_port(fx->net), "POST /api/x HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                                             "Content-Length: 7\r\nConnection: close\r\n\r\n{\"a\":1}");
    assert_true(fd >= 0);
    const dm_net_event *ev = expect_event(fx, DM_NET_HTTP);
    assert_string_equal(ev->method, "POST");
    assert_string_equal(ev->path, "/api/x");
    assert_string_equal(ev->query, "");
    assert_string_equal(ev->authorization, "");
    assert_int_equal(ev->len, 7);
    assert_string_equal(ev->data, "{\"a\":1}");
    dm_net_http_reply(fx->net, ev->conn, 201, "application/json", "{\"ok\":true}", 11);
    /* A second answer to the same request is dropped. */
    dm_net_http_reply(fx->net, ev->conn, 500, "text/plain", "no", 2);
    end_turn(fx);
    char resp[4096];
    http_read_all(fd, resp, sizeof resp);
    assert_true(strncmp(resp, "HTTP/1.1 201", 12) == 0);
    assert_true(has_header(resp, "content-length", "11"));
    assert_non_null(strstr(resp, "\r\n\r\n{\"ok\":true}"));

    fd = http_send(dm_net_port(fx->net), "POST /api/empty HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n"
                                         "Connection: close\r\n\r\n");
    ev = expect_event(fx, DM_NET_HTTP);
    assert_string_equal(ev->path, "/api/empty");
    assert_int_equal(ev->len, 0);
    assert_string_equal(ev->data, "");
    dm_net_http_reply(fx->net, ev->conn, 400, "application/json", "{}", 2);
    end_turn(fx);
    http_read_all(fd, resp, sizeof resp);
    assert_true(strncmp(resp, "HTTP/1.1 400", 12) == 0);
}

static void test_http_keep_alive(void **state)
{
    fixture *fx = *state;
    int fd = http_send(dm_net_port(fx->net), "GET /api/a HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_true(fd >= 0);
    const dm_net_event *ev = expect_event(fx, DM_NET_HTTP);
    uint64_t first = ev->conn;
    assert_string_equal(ev->path, "/api/a");
    dm_net_http_reply(fx->net, first, 200, "text/plain", "a", 1);
    end_turn(fx);
    char resp[4096];
    assert_int_equal(http_read_response(fd, resp, sizeof resp), 0);
    assert_true(strncmp(resp, "HTTP/1.1 200", 12) == 0);
    assert_non_null(strstr(resp, "\r\n\r\na"));

    static const char second[] = "DELETE /api/b HTTP/1.1\r\nHost: t\r\n\r\n";
    assert_int_equal(send_all(fd, second, strlen(second)), 0);
    ev = expect_event(fx, DM_NET_HTTP);
    assert_string_equal(ev->method, "DELETE");
    assert_string_equal(ev->path, "/api/b");
    assert_true(ev->conn > first);
    dm_net_http_reply(fx->net, ev->conn, 204, NULL, NULL, 0);
    end_turn(fx);
    assert_int_equal(http_read_response(fd, resp, sizeof resp), 0);
    assert_true(strncmp(resp, "HTTP/1.1 204", 12) == 0);
    assert_null(header_value(resp, "content-length"));
    close(fd);
}

static void test_http_refusals(void **state)
{
    fixture *fx = *state;
    int port = dm_net_port(fx->net);
    char resp[4096];
    http_read_all(http_send(port, "POST /api/x HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n"), resp,
                  sizeof resp);
    assert_true(strncmp(resp, "HTTP/1.1 413", 12) == 0);
    http_read_all(http_send(port, "POST /api/x HTTP/1.1\r\nHost: t\r\n\r\n"), resp, sizeof resp);
    assert_true(strncmp(resp, "HTTP/1.1 411", 12) == 0);
    http_read_all(http_send(port, "GET /api HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"), resp, sizeof resp);
    assert_true(strncmp(resp, "HTTP/1.1 404", 12) == 0);
    assert_int_equal(fx->received, 0);
}

static void test_static_files(void **state)
{
    fixture *fx = *state;
    int port = dm_net_port(fx->net);
    char resp[4096];
    http_read_all(http_send(port, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"), resp, sizeof resp);
    assert_true(strncmp(resp, "HTTP/1.1 200", 12) == 0);
    assert_true(has_header(resp, "content-type", "text/html"));
    assert_non_null(strstr(resp, index_html));
    http_read_all(http_send(port, "GET /app.js HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"), resp,
                  sizeof resp);
    assert_true(strncmp(resp, "HTTP/1.1 200", 12) == 0);
    assert_true(has_header(resp, "content-type", "text/javascript"));
    assert_non_null(strstr(resp, app_js));
    http_read_all(http_send(port, "GET /missing.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"), resp,
                  sizeof resp);
    assert_true(strncmp(resp, "HTTP/1.1 404", 12) == 0);
    assert_int_equal(fx->received, 0);
}

/* The hex "address:port" of the socket listening on this port in a
 * /proc/net/tcp* table, or "" when there is none. */
static void listener(const char *table, int port, char *addr, size_t cap)
{
    char line[512], local[64], want[8];
    unsigned st;
    snprintf(want, sizeof want, ":%04X", port);
    addr[0] = '\0';
    FILE *f = fopen(table, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, " %*s %63s %*s %x", local, &st) == 2 && st == 0x0A && strstr(local, want) &&
            strlen(strstr(local, want)) == 5)
            snprintf(addr, cap, "%s", local);
    fclose(f);
}

static void test_binds_loopback_or_all(void **state)
{
    fixture *fx = *state;
    char addr[64], want[64];
    int port = dm_net_port(fx->net);
    listener("/proc/net/tcp", port, addr, sizeof addr);
    snprintf(want, sizeof want, "0100007F:%04X", port);
    assert_string_equal(addr, want);
    listener("/proc/net/tcp6", port, addr, sizeof addr);
    assert_string_equal(addr, "");

    dm_net *all = start_net(fx, "0.0.0.0");
    assert_non_null(all);
    port = dm_net_port(all);
    listener("/proc/net/tcp", port, addr, sizeof addr);
    snprintf(want, sizeof want, "00000000:%04X", port);
    assert_string_equal(addr, want);
    dm_net_stop(all);
}

typedef struct closer {
    int fd;
    int code;
} closer;

/* Plays the client's part of the closing handshake while the test thread is
 * blocked in dm_net_stop. */
static void *ack_close(void *p)
{
    closer *c = p;
    c->code = expect_close(c->fd);
    unsigned char ack[2] = {(unsigned char)(c->code >> 8), (unsigned char)c->code};
    ws_send(c->fd, WS_CLOSE, true, ack, 2);
    return NULL;
}

static void test_stop_says_goodbye(void **state)
{
    fixture *fx = *state;
    uint64_t conn;
    closer c = {.fd = open_ws(fx, &conn), .code = -1};
    int http = http_send(dm_net_port(fx->net), "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_true(http >= 0);
    expect_event(fx, DM_NET_HTTP);
    dm_net_send(fx->net, conn, "last", 4);

    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, ack_close, &c), 0);
    dm_net_stop(fx->net);
    fx->net = NULL;
    pthread_join(t, NULL);
    assert_int_equal(c.code, 1001);
    close(c.fd);
    char resp[4096];
    http_read_all(http, resp, sizeof resp);
    assert_true(strncmp(resp, "HTTP/1.1 503", 12) == 0);
}

/* A client that never answers the close holds shutdown only for the grace period. */
static void test_stop_without_close_ack(void **state)
{
    fixture *fx = *state;
    uint64_t conn;
    int fd = open_ws(fx, &conn);
    dm_net_stop(fx->net);
    fx->net = NULL;
    assert_int_equal(expect_close(fd), 1001);
    close(fd);
}

static void test_stop_from_callback(void **state)
{
    fixture *fx = *state;
    fx->stop_on_event = true;
    int http = http_send(dm_net_port(fx->net), "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_true(http >= 0);
    expect_event(fx, DM_NET_HTTP);
    assert_null(fx->net);
    char resp[4096];
    http_read_all(http, resp, sizeof resp);
    assert_true(strncmp(resp, "HTTP/1.1 503", 12) == 0);
}

int main(void)
{
    evthread_use_pthreads();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ws_open_message_send, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_fragmented_and_long, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_too_large_closes_1009, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_close_after_queued, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_send_from_other_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_refused_handshakes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_get_healthz, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_post_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_keep_alive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_static_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binds_loopback_or_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_says_goodbye, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_without_close_ack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_from_callback, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    libevent_global_shutdown();
    return failed;
}
