#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dragoman/config.h"

static const char *const setting_names[] = {
    "listen", "redis", "data_dir", "web_root", "redis_server", "demo", "log_level", "offer_fanout",
    "offer_timeout", "heartbeat_grace", "escalate_after", "unfilled_after", "scheduled_lead", "match_scan",
    "max_message", "timezone", "notes_retention",
};
#define NNAMES (sizeof setting_names / sizeof setting_names[0])

typedef struct fixture {
    char dir[64];
    char path[128];
    dm_config cfg;
    char err[512];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/dmcfg.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/test.conf", f->dir);
    dm_config_defaults(&f->cfg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void write_file(const fixture *f, const char *text)
{
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* Runs dm_config_from_args on a NULL-terminated list (argv[0] added here). */
static bool run_args(fixture *f, const char *const *args)
{
    char *argv[32] = {"dragomand"};
    int argc = 1;
    for (; args[argc - 1]; argc++)
        argv[argc] = (char *)args[argc - 1];
    return dm_config_from_args(&f->cfg, argc, argv, f->err, sizeof f->err);
}

static void assert_equals_defaults(const dm_config *c)
{
    dm_config d;
    dm_config_defaults(&d);
    assert_string_equal(c->listen_host, d.listen_host);
    assert_int_equal(c->listen_port, d.listen_port);
    assert_string_equal(c->redis_url, d.redis_url);
    assert_string_equal(c->data_dir, d.data_dir);
    assert_string_equal(c->web_root, d.web_root);
    assert_string_equal(c->redis_server, d.redis_server);
    assert_string_equal(c->demo, d.demo);
    assert_string_equal(c->log_level, d.log_level);
    assert_int_equal(c->offer_fanout, d.offer_fanout);
    assert_int_equal(c->offer_timeout_s, d.offer_timeout_s);
    assert_int_equal(c->heartbeat_grace_s, d.heartbeat_grace_s);
    assert_int_equal(c->escalate_after_s, d.escalate_after_s);
    assert_int_equal(c->unfilled_after_s, d.unfilled_after_s);
    assert_int_equal(c->match_scan, d.match_scan);
    assert_int_equal(c->max_message, d.max_message);
    assert_string_equal(c->timezone, d.timezone);
    assert_int_equal(c->help, d.help);
}

static void test_defaults(void **state)
{
    const dm_config *c = &((fixture *)*state)->cfg;
    assert_string_equal(c->listen_host, "127.0.0.1");
    assert_int_equal(c->listen_port, 8080);
    assert_string_equal(c->redis_url, "");
    assert_string_equal(c->data_dir, "./var");
    assert_string_equal(c->web_root, "./src/web");
    assert_string_equal(c->redis_server, "redis-server");
    assert_string_equal(c->demo, "");
    assert_string_equal(c->log_level, "info");
    assert_int_equal(c->offer_fanout, 3);
    assert_int_equal(c->offer_timeout_s, 45);
    assert_int_equal(c->heartbeat_grace_s, 40);
    assert_int_equal(c->escalate_after_s, 120);
    assert_int_equal(c->unfilled_after_s, 900);
    assert_int_equal(c->match_scan, 256);
    assert_int_equal(c->max_message, 65536);
    assert_string_equal(c->timezone, "UTC");
    assert_false(c->help);
}

static void test_file_syntax(void **state)
{
    fixture *f = *state;
    write_file(f, "# a whole-line comment\n"
                  "\n"
                  "   \t\n"
                  "  listen   =   localhost:9000   # after whitespace\n"
                  "\t# indented comment\n"
                  "data_dir=\"/srv/with space # not a comment\"  # but this is\n"
                  "web-root = /srv/web#not-a-comment\n"
                  "demo = \"say \\\"hi\\\"\"\n"
                  "redis = unix:///run/redis/redis.sock\r\n"
                  "offer_timeout = 60\n"
                  "offer_timeout = 61\n"
                  "log_level = \"debug\"\n"
                  "timezone = Europe/Helsinki\n"
                  "redis_server =\n");
    dm_config *c = &f->cfg;
    assert_false(dm_config_load_file(c, f->path, f->err, sizeof f->err));
    assert_non_null(strstr(f->err, ":14: redis_server: must not be empty"));
    write_file(f, "  listen   =   localhost:9000   # after whitespace\n"
                  "data_dir=\"/srv/with space # not a comment\"  # but this is\n"
                  "web-root = /srv/web#not-a-comment\n"
                  "demo = \"say \\\"hi\\\"\"\n"
                  "redis = unix:///run/redis/redis.sock\r\n"
                  "offer_timeout = 60\n"
                  "offer_timeout = 61\n"
                  "log_level = \"debug\"\n"
                  "timezone = Europe/Helsinki\n"
                  "match_scan = 8 #\n");
    assert_true(dm_config_load_file(c, f->path, f->err, sizeof f->err));
    assert_string_equal(c->listen_host, "localhost");
    assert_int_equal(c->listen_port, 9000);
    assert_string_equal(c->data_dir, "/srv/with space # not a comment");
    assert_string_equal(c->web_root, "/srv/web#not-a-comment");
    assert_string_equal(c->demo, "say \"hi\"");
    assert_string_equal(c->redis_url, "unix:///run/redis/redis.sock");
    assert_int_equal(c->offer_timeout_s, 61);
    assert_string_equal(c->log_level, "debug");
    assert_string_equal(c->timezone, "Europe/Helsinki");
    assert_int_equal(c->match_scan, 8);
}

typedef struct file_case {
    const char *text;
    const char *expect; /* after "PATH" */
} file_case;

static void test_file_errors(void **state)
{
    fixture *f = *state;
    static const file_case cases[] = {
        {"# ok\nlisten 127.0.0.1:80\n", ":2: expected \"key = value\""},
        {"\n\n\nlisten = nowhere\n", ":4: listen: expected HOST:PORT"},
        {"demo = \"open\n", ":1: demo: missing closing quote"},
        {"demo = \"a\" b\n", ":1: demo: unexpected text after the closing quote"},
        {"colour = red\n", ":1: unknown setting \"colour\""},
        {"config = other.conf\n", ":1: config: only allowed on the command line"},
        {"help = yes\n", ":1: unknown setting \"help\""},
        {"offer_timeout = abc\n", ":1: offer_timeout: must be an integer from 5 to 600 (got \"abc\")"},
        {"= 5\n", ":1: unknown setting \"\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dm_config_defaults(&f->cfg);
        write_file(f, cases[i].text);
        assert_false(dm_config_load_file(&f->cfg, f->path, f->err, sizeof f->err));
        char want[512];
        snprintf(want, sizeof want, "%s%s", f->path, cases[i].expect);
        if (strncmp(f->err, want, strlen(want)) != 0)
            fail_msg("case %zu: got \"%s\", want prefix \"%s\"", i, f->err, want);
    }
    assert_false(dm_config_load_file(&f->cfg, "/nonexistent/dragoman.conf", f->err, sizeof f->err));
    assert_non_null(strstr(f->err, "/nonexistent/dragoman.conf: cannot open"));
}

static void test_shipped_file_equals_defaults(void **state)
{
    fixture *f = *state;
    /* Start from values unlike the defaults so a setting missing from the file shows. */
    static const char *const others[][2] = {
        {"listen", "lo:1"},          {"redis", "redis://h:1/2"}, {"data_dir", "/d"},
        {"web_root", "/w"},          {"redis_server", "/r"},     {"demo", "x.json"},
        {"log_level", "error"},      {"offer_fanout", "7"},      {"offer_timeout", "7"},
        {"heartbeat_grace", "7"},    {"escalate_after", "7"},    {"unfilled_after", "70"},
        {"match_scan", "9"},         {"max_message", "2048"},    {"timezone", "Europe/Helsinki"},
        {"scheduled_lead", "9"},     {"notes_retention", "9"},
    };
    assert_int_equal(sizeof others / sizeof others[0], NNAMES);
    for (size_t i = 0; i < NNAMES; i++)
        assert_true(dm_config_set(&f->cfg, others[i][0], others[i][1], f->err, sizeof f->err));
    if (!dm_config_load_file(&f->cfg, "config/dragoman.conf", f->err, sizeof f->err))
        fail_msg("%s", f->err);
    assert_equals_defaults(&f->cfg);
}

static void test_default_file_read_from_args(void **state)
{
    fixture *f = *state;
    static const char *const none[] = {NULL};
    assert_true(run_args(f, none));
    assert_equals_defaults(&f->cfg);
}

static void test_cli_forms(void **state)
{
    fixture *f = *state;
    static const char *const args[] = {
        "--listen", "0.0.0.0:0", "--offer-timeout=30", "--offer_fanout", "5", "--heartbeat-grace=3600",
        "--demo=", "--data_dir", "/tmp/x=y", "--max-message", "1024", "--redis=redis://r.example:6380",
        NULL,
    };
    assert_true(run_args(f, args));
    dm_config *c = &f->cfg;
    assert_string_equal(c->listen_host, "0.0.0.0");
    assert_int_equal(c->listen_port, 0);
    assert_int_equal(c->offer_timeout_s, 30);
    assert_int_equal(c->offer_fanout, 5);
    assert_int_equal(c->heartbeat_grace_s, 3600);
    assert_string_equal(c->demo, "");
    assert_string_equal(c->data_dir, "/tmp/x=y");
    assert_int_equal(c->max_message, 1024);
    assert_string_equal(c->redis_url, "redis://r.example:6380");
    assert_false(c->help);
}

static void test_cli_beats_file_in_any_order(void **state)
{
    fixture *f = *state;
    write_file(f, "offer_timeout = 30\nmatch_scan = 100\n");
    const char *before[] = {"--offer-timeout", "60", "--config", f->path, NULL};
    assert_true(run_args(f, before));
    assert_int_equal(f->cfg.offer_timeout_s, 60);
    assert_int_equal(f->cfg.match_scan, 100);

    dm_config_defaults(&f->cfg);
    char arg[160];
    snprintf(arg, sizeof arg, "--config=%s", f->path);
    const char *after2[] = {arg, "--offer_timeout=60", NULL};
    assert_true(run_args(f, after2));
    assert_int_equal(f->cfg.offer_timeout_s, 60);
    assert_int_equal(f->cfg.match_scan, 100);
}

static void test_help(void **state)
{
    fixture *f = *state;
    const char *long_form[] = {"--help", NULL};
    assert_true(run_args(f, long_form));
    assert_true(f->cfg.help);
    f->cfg.help = false;
    const char *short_form[] = {"--colour", "red", "-h", NULL};
    assert_true(run_args(f, short_form));
    assert_true(f->cfg.help);
    f->cfg.help = false;
    const char *with_value[] = {"--help=yes", NULL};
    assert_false(run_args(f, with_value));
    assert_string_equal(f->err, "help: takes no value");

    const char *usage = dm_config_usage();
    for (size_t i = 0; i < NNAMES; i++) {
        char opt[64];
        snprintf(opt, sizeof opt, "--%s ", setting_names[i]);
        if (!strstr(usage, opt))
            fail_msg("usage lacks %s", opt);
    }
    assert_non_null(strstr(usage, "--config FILE"));
    assert_non_null(strstr(usage, "(default: \"127.0.0.1:8080\")"));
    assert_non_null(strstr(usage, "(default: \"900\")"));
    assert_non_null(strstr(usage, "--help, -h\n      print this help and exit\n"));
}

typedef struct cli_error_case {
    const char *args[4];
    const char *expect;
} cli_error_case;

static void test_cli_errors(void **state)
{
    fixture *f = *state;
    static const cli_error_case cases[] = {
        {{"--colour", "red"}, "unknown setting \"colour\""},
        {{"--colour=red"}, "unknown setting \"colour\""},
        {{"--listen"}, "listen: missing value"},
        {{"--offer-timeout", "--demo", "x"}, "offer_timeout: missing value"},
        {{"--config"}, "config: missing value"},
        {{"--config", "a", "--config=b"}, "config: given more than once"},
        {{"stray"}, "unexpected argument \"stray\""},
        {{"-x"}, "unexpected argument \"-x\""},
        {{"--"}, "unexpected argument \"--\""},
        {{"--config", "/nonexistent/x.conf"}, "/nonexistent/x.conf: cannot open"},
        {{"--offer_timeout", "abc"}, "offer_timeout: must be an integer from 5 to 600 (got \"abc\")"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dm_config_defaults(&f->cfg);
        const char *args[5] = {0};
        memcpy(args, cases[i].args, sizeof cases[i].args);
        assert_false(run_args(f, args));
        if (strncmp(f->err, cases[i].expect, strlen(cases[i].expect)) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, f->err, cases[i].expect);
    }
}

typedef struct value_case {
    const char *key;
    const char *value;
    bool ok;
} value_case;

static const value_case value_cases[] = {
    {"listen", "127.0.0.1:8080", true},     {"listen", "lo:65535", true},
    {"listen", "localhost:0", true},        {"listen", "8080", false},
    {"listen", ":8080", false},             {"listen", "127.0.0.1:", false},
    {"listen", "127.0.0.1:65536", false},   {"listen", "127.0.0.1:-1", false},
    {"listen", "127.0.0.1:80x", false},     {"listen", "256.1.1.1:80", false},
    {"listen", "no-such-if0:80", false},    {"listen", "example.com:80", false},
    {"listen", "::1:80", false},            {"redis", "", true},
    {"redis", "redis://127.0.0.1:6380", true}, {"redis", "redis://host:1/15", true},
    {"redis", "unix:///tmp/r.sock", true},  {"redis", "unix:/tmp/r.sock", true},
    {"redis", "unix://tmp/r.sock", false},  {"redis", "unix:relative.sock", false},
    {"redis", "unix:///", false},           {"redis", "redis://host", false},
    {"redis", "redis://:6380", false},      {"redis", "redis://host:0", false},
    {"redis", "redis://host:70000", false}, {"redis", "redis://host:1/x", false},
    {"redis", "redis://ho st:1", false},    {"redis", "http://host:1", false},
    {"redis", "localhost:6380", false},     {"data_dir", "", false},
    {"web_root", "", false},                {"redis_server", "", false},
    {"demo", "", true},                     {"log_level", "debug", true},
    {"log_level", "warn", true},            {"log_level", "error", true},
    {"log_level", "INFO", false},           {"log_level", "verbose", false},
    {"log_level", "", false},               {"offer_fanout", "1", true},
    {"offer_fanout", "50", true},           {"offer_fanout", "0", false},
    {"offer_fanout", "51", false},          {"offer_fanout", "", false},
    {"offer_fanout", " 3", false},          {"offer_fanout", "3.0", false},
    {"offer_timeout", "5", true},           {"offer_timeout", "600", true},
    {"offer_timeout", "4", false},          {"offer_timeout", "601", false},
    {"offer_timeout", "abc", false},        {"heartbeat_grace", "5", true},
    {"heartbeat_grace", "3601", false},     {"heartbeat_grace", "-5", false},
    {"escalate_after", "5", true},          {"escalate_after", "4", false},
    {"escalate_after", "86401", false},     {"unfilled_after", "604800", true},
    {"unfilled_after", "9", false},         {"unfilled_after", "99999999999999999999", false},
    {"match_scan", "8", true},              {"match_scan", "10000", true},
    {"match_scan", "7", false},             {"match_scan", "10001", false},
    {"max_message", "1024", true},          {"max_message", "1048576", true},
    {"max_message", "1023", false},         {"max_message", "1048577", false},
    {"max_message", "64k", false},          {"timezone", "UTC", true},
    {"timezone", "Europe/Helsinki", true},  {"timezone", "Mars/Olympus", false},
    {"timezone", "../../etc/passwd", false}, {"timezone", "/etc/localtime", false},
    {"timezone", "Europe", false},          {"timezone", "", false},
};

static void test_every_setting_validates(void **state)
{
    fixture *f = *state;
    for (size_t i = 0; i < sizeof value_cases / sizeof value_cases[0]; i++) {
        const value_case *vc = &value_cases[i];
        dm_config_defaults(&f->cfg);
        bool ok = dm_config_set(&f->cfg, vc->key, vc->value, f->err, sizeof f->err);
        if (ok != vc->ok)
            fail_msg("%s = \"%s\": expected %s, got %s (%s)", vc->key, vc->value, vc->ok ? "ok" : "error",
                     ok ? "ok" : "error", ok ? "" : f->err);
        if (ok)
            continue;
        char prefix[64];
        snprintf(prefix, sizeof prefix, "%s: ", vc->key);
        if (strncmp(f->err, prefix, strlen(prefix)) != 0 || !strstr(f->err, "(got \""))
            fail_msg("%s = \"%s\": message \"%s\" does not name the setting and value", vc->key, vc->value, f->err);
    }
}

static void test_failed_set_keeps_old_value(void **state)
{
    fixture *f = *state;
    assert_false(dm_config_set(&f->cfg, "listen", "example.invalid:80", f->err, sizeof f->err));
    assert_string_equal(f->cfg.listen_host, "127.0.0.1");
    assert_int_equal(f->cfg.listen_port, 8080);
    assert_false(dm_config_set(&f->cfg, "offer_timeout", "1", f->err, sizeof f->err));
    assert_int_equal(f->cfg.offer_timeout_s, 45);
}

static void test_too_long_strings(void **state)
{
    fixture *f = *state;
    char big[400];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    big[0] = '/';
    static const char *const keys[] = {"data_dir", "web_root", "redis_server", "demo", "timezone", "redis"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        assert_false(dm_config_set(&f->cfg, keys[i], big, f->err, sizeof f->err));
        assert_non_null(strstr(f->err, "longer than"));
        assert_int_equal(strncmp(f->err, keys[i], strlen(keys[i])), 0);
    }
    char host[80];
    snprintf(host, sizeof host, "%.*s:80", 70, big + 1);
    assert_false(dm_config_set(&f->cfg, "listen", host, f->err, sizeof f->err));
    assert_non_null(strstr(f->err, "listen: host is longer than 63 bytes"));
    /* exactly the buffer's capacity is fine */
    char fit[256];
    memset(fit, 'b', sizeof fit - 1);
    fit[sizeof fit - 1] = '\0';
    assert_true(dm_config_set(&f->cfg, "data_dir", fit, f->err, sizeof f->err));
    assert_int_equal(strlen(f->cfg.data_dir), 255);
    /* a unix socket path must fit in sun_path */
    char sock[140];
    snprintf(sock, sizeof sock, "unix:///%.*s", 110, big + 1);
    assert_false(dm_config_set(&f->cfg, "redis", sock, f->err, sizeof f->err));
}

static void test_cross_field(void **state)
{
    fixture *f = *state;
    const char *equal[] = {"--escalate-after", "900", NULL};
    assert_false(run_args(f, equal));
    assert_non_null(strstr(f->err, "unfilled_after: must be greater than escalate_after"));

    /* The rule applies to the end result, whatever sets each side. */
    dm_config_defaults(&f->cfg);
    write_file(f, "escalate_after = 1000\n");
    assert_false(dm_config_load_file(&f->cfg, f->path, f->err, sizeof f->err));
    dm_config_defaults(&f->cfg);
    const char *split[] = {"--unfilled-after", "2000", "--config", f->path, NULL};
    if (!run_args(f, split))
        fail_msg("%s", f->err);
    assert_int_equal(f->cfg.escalate_after_s, 1000);
    assert_int_equal(f->cfg.unfilled_after_s, 2000);

    dm_config_defaults(&f->cfg);
    const char *lower[] = {"--unfilled-after=100", NULL};
    assert_false(run_args(f, lower));
    assert_non_null(strstr(f->err, "unfilled_after"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_syntax, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shipped_file_equals_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_file_read_from_args, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_beats_file_in_any_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_help, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_setting_validates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_set_keeps_old_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_long_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cross_field, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
