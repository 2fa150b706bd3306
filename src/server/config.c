/* Settings are described once, in the table below: their defaults are applied
 * through the same parser as the file and the command line, and the --help
 * text is generated from it, so the three cannot drift apart. */
#include "dragoman/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#define DEFAULT_CONFIG_FILE "config/dragoman.conf"
#define ZONEINFO_DIR "/usr/share/zoneinfo/"

typedef enum { KIND_INT, KIND_SIZE, KIND_STR, KIND_LISTEN } setting_kind;

/* A string check fills why with what was expected; the caller adds the name. */
typedef bool (*string_check)(const char *value, char *why, size_t whylen);

typedef struct setting {
    const char *name;
    setting_kind kind;
    size_t offset;
    size_t size; /* of the field, for strings */
    long min, max;
    string_check check;
    const char *def;
    const char *arg;
    const char *help;
} setting;

static bool check_nonempty(const char *value, char *why, size_t whylen);
static bool check_redis(const char *value, char *why, size_t whylen);
static bool check_level(const char *value, char *why, size_t whylen);
static bool check_timezone(const char *value, char *why, size_t whylen);
static bool check_uris(const char *value, char *why, size_t whylen);
static bool check_contact(const char *value, char *why, size_t whylen);

#define FIELD(f) offsetof(dm_config, f), sizeof(((dm_config *)0)->f)

static const setting settings[] = {
    {"listen", KIND_LISTEN, 0, 0, 0, 0, NULL, "127.0.0.1:8080", "HOST:PORT",
     "address for HTTP and WebSocket; HOST is an IPv4 address, localhost or an interface name"},
    {"redis", KIND_STR, FIELD(redis_url), 0, 0, check_redis, "", "URL",
     "redis://HOST:PORT[/DB] or unix:///PATH.sock; empty starts a private redis-server in data_dir"},
    {"data_dir", KIND_STR, FIELD(data_dir), 0, 0, check_nonempty, "./var", "DIR",
     "folder for the private Redis (socket, append-only file, log) and other state"},
    {"web_root", KIND_STR, FIELD(web_root), 0, 0, check_nonempty, "./src/web", "DIR", "static web assets"},
    {"redis_server", KIND_STR, FIELD(redis_server), 0, 0, check_nonempty, "redis-server", "PROG",
     "binary started for the private Redis (a name looked up in PATH, or a path)"},
    {"demo", KIND_STR, FIELD(demo), 0, 0, NULL, "", "FILE",
     "JSON data set loaded at start (loading it twice changes nothing); empty = none"},
    {"log_level", KIND_STR, FIELD(log_level), 0, 0, check_level, "info", "LEVEL", "debug, info, warn or error"},
    {"offer_fanout", KIND_INT, FIELD(offer_fanout), 1, 50, NULL, "3", "N",
     "interpreters offered a request at once (1..50)"},
    {"offer_timeout", KIND_INT, FIELD(offer_timeout_s), 5, 600, NULL, "45", "SECONDS",
     "how long an offer stays open (5..600)"},
    {"heartbeat_grace", KIND_INT, FIELD(heartbeat_grace_s), 5, 3600, NULL, "40", "SECONDS",
     "silence after which an interpreter gets no more offers (5..3600)"},
    {"escalate_after", KIND_INT, FIELD(escalate_after_s), 5, 86400, NULL, "120", "SECONDS",
     "unaccepted time before a request is escalated (5..86400)"},
    {"unfilled_after", KIND_INT, FIELD(unfilled_after_s), 10, 604800, NULL, "900", "SECONDS",
     "time before a request is given up as unfilled (10..604800, more than escalate_after)"},
    {"scheduled_lead", KIND_INT, FIELD(scheduled_lead_s), 0, 604800, NULL, "1800", "SECONDS",
     "how long before a scheduled start its request is offered (0..604800)"},
    {"match_scan", KIND_INT, FIELD(match_scan), 8, 10000, NULL, "256", "N",
     "free interpreters read per match attempt (8..10000)"},
    {"max_backlog", KIND_INT, FIELD(max_backlog), 0, 1000000, NULL, "1000", "N",
     "scripts waiting on Redis above which new requests are refused as busy, so that accepted ones keep "
     "their pace; 0 = never (0..1000000)"},
    {"max_message", KIND_SIZE, FIELD(max_message), 1024, 1048576, NULL, "65536", "BYTES",
     "largest WebSocket message or HTTP body (1024..1048576)"},
    {"timezone", KIND_STR, FIELD(timezone), 0, 0, check_timezone, "UTC", "ZONE",
     "the deployment's time zone for reports, e.g. Europe/Helsinki (a name under " ZONEINFO_DIR ")"},
    {"notes_retention", KIND_INT, FIELD(notes_retention_days), 1, 36500, NULL, "365", "DAYS",
     "days after a request closes before its free text (notes, comments, reasons) is removed; counts stay (1..36500)"},
    {"stun_uris", KIND_STR, FIELD(stun_uris), 0, 0, check_uris, "", "URIS",
     "comma-separated stun: URIs for calls, e.g. stun:turn.example.org:3478; empty = none"},
    {"turn_uris", KIND_STR, FIELD(turn_uris), 0, 0, check_uris, "", "URIS",
     "comma-separated turn:/turns: URIs of a coturn run with use-auth-secret; empty = none (calls on a LAN only)"},
    {"turn_secret", KIND_STR, FIELD(turn_secret), 0, 0, NULL, "", "SECRET",
     "coturn's static-auth-secret: dragomand mints time-limited TURN credentials per call with it"},
    {"turn_ttl", KIND_INT, FIELD(turn_ttl_s), 60, 604800, NULL, "43200", "SECONDS",
     "how long a minted TURN credential is valid (60..604800)"},
    {"vapid_key", KIND_STR, FIELD(vapid_key), 0, 0, NULL, "", "FILE",
     "PEM file of the Web Push (VAPID) key; empty = data_dir/vapid.pem, made on first start. Keep it: "
     "phones' subscriptions are bound to it"},
    {"vapid_subject", KIND_STR, FIELD(vapid_subject), 0, 0, check_contact, "mailto:admin@localhost", "URL",
     "contact for push services' operators: a mailto: or https: URL"},
    {"delivery_timeout", KIND_INT, FIELD(delivery_timeout_s), 0, 600, NULL, "10", "SECONDS",
     "an offer no device has acknowledged after this long is withdrawn as undelivered and the next "
     "interpreter asked; 0 = wait for the offer's own deadline (0..600)"},
    {"call_grace", KIND_INT, FIELD(call_grace_s), 5, 3600, NULL, "60", "SECONDS",
     "how long a call participant may be gone (dropped, silent) before counting as left; a started call "
     "whose interpreter or every other participant is gone that long ends its session (5..3600)"},
};

#define NSETTINGS (sizeof settings / sizeof settings[0])

static void copy_str(char *dst, size_t dstlen, const char *src)
{
    snprintf(dst, dstlen, "%s", src);
}

/* Keys compare with '-' and '_' alike. */
static bool key_equals(const char *key, const char *name)
{
    for (; *key && *name; key++, name++) {
        char k = *key == '-' ? '_' : *key;
        if (k != *name)
            return false;
    }
    return *key == '\0' && *name == '\0';
}

static const setting *find_setting(const char *key)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (key_equals(key, settings[i].name))
            return &settings[i];
    return NULL;
}

/* Each comma-separated item names its scheme, so a typo such as "tun:" or a
 * forgotten scheme stops start-up instead of failing every call later. */
static bool check_uris(const char *value, char *why, size_t whylen)
{
    static const char *const schemes[] = {"stun:", "stuns:", "turn:", "turns:"};
    for (const char *p = value; *p;) {
        size_t len = strcspn(p, ",");
        bool known = false;
        for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++)
            known |= len > strlen(schemes[i]) && strncmp(p, schemes[i], strlen(schemes[i])) == 0;
        if (!known) {
            snprintf(why, whylen, "\"%.*s\" is not a stun:, stuns:, turn: or turns: URI", (int)len, p);
            return false;
        }
        p += len + (p[len] == ',');
    }
    return true;
}

static bool check_contact(const char *value, char *why, size_t whylen)
{
    if (strncmp(value, "mailto:", 7) == 0 || strncmp(value, "https://", 8) == 0)
        return true;
    copy_str(why, whylen, "must be a mailto: or https: URL");
    return false;
}

static bool check_nonempty(const char *value, char *why, size_t whylen)
{
    if (*value)
        return true;
    copy_str(why, whylen, "must not be empty");
    return false;
}

static bool check_level(const char *value, char *why, size_t whylen)
{
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        if (strcmp(value, levels[i]) == 0)
            return true;
    copy_str(why, whylen, "must be one of debug, info, warn, error");
    return false;
}

/* Parses a whole decimal string; strtol alone would accept " 5", "5x" and "". */
static bool parse_long(const char *s, long min, long max, long *out)
{
    if (!(isdigit((unsigned char)s[0]) || ((s[0] == '-' || s[0] == '+') && isdigit((unsigned char)s[1]))))
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool valid_unix_socket_path(const char *path)
{
    return path[0] == '/' && path[1] && strlen(path) < sizeof(((struct sockaddr_un *)0)->sun_path);
}

static bool valid_redis_tcp(const char *rest)
{
    char host[256];
    const char *colon = strchr(rest, ':');
    if (!colon || colon == rest || (size_t)(colon - rest) >= sizeof host)
        return false;
    memcpy(host, rest, (size_t)(colon - rest));
    host[colon - rest] = '\0';
    for (const char *c = host; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-' && *c != '_')
            return false;
    char port[8];
    const char *slash = strchr(colon + 1, '/');
    size_t portlen = slash ? (size_t)(slash - colon - 1) : strlen(colon + 1);
    if (portlen == 0 || portlen >= sizeof port)
        return false;
    memcpy(port, colon + 1, portlen);
    port[portlen] = '\0';
    long v;
    if (!parse_long(port, 1, 65535, &v))
        return false;
    return !slash || parse_long(slash + 1, 0, INT_MAX, &v);
}

static bool check_redis(const char *value, char *why, size_t whylen)
{
    if (*value == '\0')
        return true;
    bool ok = false;
    if (strncmp(value, "redis://", 8) == 0) {
        ok = valid_redis_tcp(value + 8);
    } else if (strncmp(value, "unix:", 5) == 0) {
        const char *path = value + 5;
        if (strncmp(path, "//", 2) == 0)
            path += 2;
        ok = valid_unix_socket_path(path);
    }
    if (!ok)
        copy_str(why, whylen,
                 "expected redis://HOST:PORT[/DB] or unix:///ABSOLUTE/PATH.sock (under 108 bytes), or empty");
    return ok;
}

static bool check_timezone(const char *value, char *why, size_t whylen)
{
    if (strcmp(value, "UTC") == 0)
        return true;
    char path[sizeof ZONEINFO_DIR + 64];
    struct stat st;
    bool ok = *value && value[0] != '/' && !strstr(value, "..") && strlen(value) < 64;
    if (ok) {
        snprintf(path, sizeof path, ZONEINFO_DIR "%s", value);
        ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
    }
    if (!ok)
        copy_str(why, whylen, "unknown time zone (expected UTC or a name under " ZONEINFO_DIR ")");
    return ok;
}

static bool valid_listen_host(const char *host, char *why, size_t whylen)
{
    struct in_addr addr;
    if (strcmp(host, "localhost") == 0 || inet_pton(AF_INET, host, &addr) == 1)
        return true;
    bool dotted = strspn(host, "0123456789.") == strlen(host);
    if (!dotted && strlen(host) < IF_NAMESIZE && if_nametoindex(host) != 0)
        return true;
    snprintf(why, whylen, "\"%s\" is neither an IPv4 address, localhost nor a network interface here", host);
    return false;
}

static bool set_listen(dm_config *cfg, const char *value, char *why, size_t whylen)
{
    const char *colon = strrchr(value, ':');
    long port;
    if (!colon || colon == value || !parse_long(colon + 1, 0, 65535, &port)) {
        copy_str(why, whylen, "expected HOST:PORT with PORT from 0 to 65535");
        return false;
    }
    size_t hostlen = (size_t)(colon - value);
    if (hostlen >= sizeof cfg->listen_host) {
        snprintf(why, whylen, "host is longer than %zu bytes", sizeof cfg->listen_host - 1);
        return false;
    }
    char host[sizeof cfg->listen_host];
    memcpy(host, value, hostlen);
    host[hostlen] = '\0';
    if (!valid_listen_host(host, why, whylen))
        return false;
    memcpy(cfg->listen_host, host, hostlen + 1);
    cfg->listen_port = (int)port;
    return true;
}

static bool set_string(const setting *s, dm_config *cfg, const char *value, char *why, size_t whylen)
{
    if (strlen(value) >= s->size) {
        snprintf(why, whylen, "longer than %zu bytes", s->size - 1);
        return false;
    }
    if (s->check && !s->check(value, why, whylen))
        return false;
    memcpy((char *)cfg + s->offset, value, strlen(value) + 1);
    return true;
}

static bool set_number(const setting *s, dm_config *cfg, const char *value, char *why, size_t whylen)
{
    long v;
    if (!parse_long(value, s->min, s->max, &v)) {
        snprintf(why, whylen, "must be an integer from %ld to %ld", s->min, s->max);
        return false;
    }
    if (s->kind == KIND_SIZE)
        *(size_t *)((char *)cfg + s->offset) = (size_t)v;
    else
        *(int *)((char *)cfg + s->offset) = (int)v;
    return true;
}

bool dm_config_set(dm_config *cfg, const char *key, const char *value, char *err, size_t errlen)
{
    if (key_equals(key, "config")) {
        snprintf(err, errlen, "config: only allowed on the command line");
        return false;
    }
    const setting *s = find_setting(key);
    if (!s) {
        snprintf(err, errlen, "unknown setting \"%s\"", key);
        return false;
    }
    char why[256] = "";
    bool ok;
    switch (s->kind) {
    case KIND_LISTEN:
        ok = set_listen(cfg, value, why, sizeof why);
        break;
    case KIND_STR:
        ok = set_string(s, cfg, value, why, sizeof why);
        break;
    default:
        ok = set_number(s, cfg, value, why, sizeof why);
        break;
    }
    if (!ok)
        snprintf(err, errlen, "%s: %s (got \"%s\")", s->name, why, value);
    return ok;
}

void dm_config_defaults(dm_config *cfg)
{
    char err[512];
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < NSETTINGS; i++)
        if (!dm_config_set(cfg, settings[i].name, settings[i].def, err, sizeof err))
            abort(); /* a broken default is a programming error */
}

static bool check_cross_fields(const dm_config *cfg, char *err, size_t errlen)
{
    if (cfg->unfilled_after_s > cfg->escalate_after_s)
        return true;
    snprintf(err, errlen, "unfilled_after: must be greater than escalate_after (%d is not more than %d)",
             cfg->unfilled_after_s, cfg->escalate_after_s);
    return false;
}

/* ---- the config file ---- */

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Unquotes "..." in place (backslash takes the next character literally);
 * only whitespace or a comment may follow the closing quote. */
static bool unquote(char *v, const char **why)
{
    char *out = v;
    const char *in = v + 1;
    for (; *in && *in != '"'; in++) {
        if (*in == '\\' && in[1])
            in++;
        *out++ = *in;
    }
    if (*in != '"') {
        *why = "missing closing quote";
        return false;
    }
    *out = '\0';
    for (in++; isspace((unsigned char)*in); in++)
        ;
    if (*in && *in != '#') {
        *why = "unexpected text after the closing quote";
        return false;
    }
    return true;
}

/* A '#' starts a comment at the beginning of the value or after whitespace,
 * so "a#b" keeps its '#'. */
static void strip_comment(char *v)
{
    for (char *p = v; *p; p++)
        if (*p == '#' && (p == v || isspace((unsigned char)p[-1]))) {
            *p = '\0';
            return;
        }
}

/* Returns false with the reason in err (without the FILE:LINE prefix). */
static bool apply_line(dm_config *cfg, char *line, char *err, size_t errlen)
{
    char *s = trim(line);
    if (*s == '\0' || *s == '#')
        return true;
    char *eq = strchr(s, '=');
    if (!eq) {
        snprintf(err, errlen, "expected \"key = value\"");
        return false;
    }
    *eq = '\0';
    char *key = trim(s);
    char *value = trim(eq + 1);
    if (*value == '"') {
        const char *why;
        if (!unquote(value, &why)) {
            snprintf(err, errlen, "%s: %s", key, why);
            return false;
        }
    } else {
        strip_comment(value);
        value = trim(value);
    }
    return dm_config_set(cfg, key, value, err, errlen);
}

static bool load_file(dm_config *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return false;
    }
    char *line = NULL;
    size_t cap = 0;
    bool ok = true;
    for (unsigned lineno = 1; ok && getline(&line, &cap, f) != -1; lineno++) {
        char why[512];
        ok = apply_line(cfg, line, why, sizeof why);
        if (!ok)
            snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
    }
    if (ok && ferror(f)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        ok = false;
    }
    free(line);
    fclose(f);
    return ok;
}

bool dm_config_load_file(dm_config *cfg, const char *path, char *err, size_t errlen)
{
    return load_file(cfg, path, err, errlen) && check_cross_fields(cfg, err, errlen);
}

/* ---- the command line ---- */

typedef struct cli_option {
    const char *key; /* without the dashes; for --key=value, a copy in keybuf */
    const char *value;
    char keybuf[64];
} cli_option;

/* Reads the option at argv[*i] (advancing *i past its value). */
static bool read_option(int argc, char **argv, int *i, cli_option *opt, char *err, size_t errlen)
{
    const char *arg = argv[*i];
    if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
        snprintf(err, errlen, "unexpected argument \"%s\" (settings are given as --key value)", arg);
        return false;
    }
    const char *eq = strchr(arg + 2, '=');
    if (eq) {
        size_t n = (size_t)(eq - arg - 2);
        if (n >= sizeof opt->keybuf) {
            snprintf(err, errlen, "unknown setting \"%.*s\"", (int)n, arg + 2);
            return false;
        }
        memcpy(opt->keybuf, arg + 2, n);
        opt->keybuf[n] = '\0';
        opt->key = opt->keybuf;
        opt->value = eq + 1;
        return true;
    }
    opt->key = arg + 2;
    opt->value = NULL;
    if (*i + 1 >= argc || strncmp(argv[*i + 1], "--", 2) == 0) {
        const setting *s = find_setting(opt->key);
        if (s || key_equals(opt->key, "config"))
            snprintf(err, errlen, "%s: missing value", s ? s->name : "config");
        else
            snprintf(err, errlen, "unknown setting \"%s\"", opt->key);
        return false;
    }
    opt->value = argv[++*i];
    return true;
}

/* First pass: syntax, names and --config, so the file can be read before the
 * other options override it. */
static bool scan_args(int argc, char **argv, const char **config_path, char *err, size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        cli_option opt;
        if (!read_option(argc, argv, &i, &opt, err, errlen))
            return false;
        if (key_equals(opt.key, "help")) {
            snprintf(err, errlen, "help: takes no value");
            return false;
        }
        if (key_equals(opt.key, "config")) {
            if (*config_path) {
                snprintf(err, errlen, "config: given more than once");
                return false;
            }
            *config_path = opt.value;
        } else if (!find_setting(opt.key)) {
            snprintf(err, errlen, "unknown setting \"%s\"", opt.key);
            return false;
        }
    }
    return true;
}

static bool apply_args(dm_config *cfg, int argc, char **argv, char *err, size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        cli_option opt;
        if (!read_option(argc, argv, &i, &opt, err, errlen))
            return false;
        if (key_equals(opt.key, "config"))
            continue;
        if (!dm_config_set(cfg, opt.key, opt.value, err, errlen))
            return false;
    }
    return true;
}

/* --help wins over everything else, mistakes included. */
static bool wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

bool dm_config_from_args(dm_config *cfg, int argc, char **argv, char *err, size_t errlen)
{
    if (wants_help(argc, argv)) {
        cfg->help = true;
        return true;
    }
    const char *path = NULL;
    if (!scan_args(argc, argv, &path, err, errlen))
        return false;
    if (!path) {
        struct stat st;
        if (stat(DEFAULT_CONFIG_FILE, &st) == 0)
            path = DEFAULT_CONFIG_FILE;
    }
    if (path && !load_file(cfg, path, err, errlen))
        return false;
    return apply_args(cfg, argc, argv, err, errlen) && check_cross_fields(cfg, err, errlen);
}

const char *dm_config_usage(void)
{
    static char text[4096];
    size_t n = (size_t)snprintf(text, sizeof text,
                                "Usage: dragomand [--config FILE] [--SETTING VALUE | --SETTING=VALUE]...\n\n"
                                "Each setting is also a \"key = value\" line of the config file; '-' and '_'\n"
                                "are alike in names. The command line wins over the file.\n\n"
                                "  --config FILE\n      file to read (default: " DEFAULT_CONFIG_FILE
                                " when present)\n");
    for (size_t i = 0; i < NSETTINGS && n < sizeof text; i++) {
        const setting *s = &settings[i];
        n += (size_t)snprintf(text + n, sizeof text - n, "  --%s %s\n      %s (default: \"%s\")\n", s->name,
                              s->arg, s->help, s->def);
    }
    if (n < sizeof text)
        snprintf(text + n, sizeof text - n, "  --help, -h\n      print this help and exit\n");
    return text;
}
