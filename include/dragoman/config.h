/* Configuration: defaults, then the file named by --config (or the default
 * config/dragoman.conf when present and none is named), then command-line
 * overrides. The file is "key = value" lines with '#' comments; each key is
 * also a long option (--key value or --key=value, '_' and '-' alike). Unknown
 * or invalid settings stop start-up with a message naming the setting. */
#ifndef DRAGOMAN_CONFIG_H
#define DRAGOMAN_CONFIG_H
#include <stdbool.h>
#include <stddef.h>

typedef struct dm_config {
    char listen_host[64];     /* listen = HOST:PORT, default 127.0.0.1:8080 */
    int listen_port;
    char redis_url[256];      /* redis = redis://host:port/db | unix:///path.sock; "" = private redis */
    char data_dir[256];       /* data_dir: the private Redis's folder and other state; default ./var */
    char web_root[256];       /* web_root: static assets; default ./src/web */
    char redis_server[256];   /* redis_server: binary for the private Redis; default "redis-server" */
    char demo[256];           /* demo: a JSON data set loaded at start (idempotent); "" = none */
    char log_level[8];        /* log_level: debug|info|warn|error */
    int offer_fanout;         /* offer_fanout: K offers at once, 1..50, default 3 */
    int offer_timeout_s;      /* offer_timeout: seconds, 5..600, default 45 */
    int heartbeat_grace_s;    /* heartbeat_grace: seconds without a heartbeat before offers stop, 5..3600, default 40 */
    int escalate_after_s;     /* escalate_after: seconds without acceptance, default 120 */
    int unfilled_after_s;     /* unfilled_after: seconds before giving up, default 900; > escalate_after */
    int scheduled_lead_s;     /* scheduled_lead: seconds before a scheduled start that offering begins, default 1800 */
    int max_backlog;          /* max_backlog: scripts waiting on Redis above which new requests are refused as busy, 0 = never, default 1000 */
    int match_scan;           /* match_scan: free interpreters read per match, 8..10000, default 256 */
    size_t max_message;       /* max_message: bytes per WebSocket message / HTTP body, 1024..1048576, default 65536 */
    char timezone[64];        /* timezone: the deployment's zone for reports, e.g. Europe/Helsinki; default UTC */
    int notes_retention_days; /* notes_retention: days after a request closes before its free text is removed, 1..36500, default 365 */
    char stun_uris[512];      /* stun_uris: comma-separated stun: URIs given to call peers; "" = none */
    char turn_uris[512];      /* turn_uris: comma-separated turn:/turns: URIs of a coturn with use-auth-secret; "" = none */
    char turn_secret[256];    /* turn_secret: coturn's static-auth-secret, for per-call credentials */
    int turn_ttl_s;           /* turn_ttl: seconds a minted TURN credential is valid, 60..604800, default 43200 */
    int call_grace_s;         /* call_grace: seconds a dropped call peer may be gone before it counts as left, 5..3600, default 60 */
    char vapid_key[256];      /* vapid_key: the Web Push signing key's PEM file; "" = data_dir/vapid.pem (made on first start) */
    char vapid_subject[256];  /* vapid_subject: contact push services may use (mailto: or https:) */
    int delivery_timeout_s;   /* delivery_timeout: seconds for an offer to reach a device before it is withdrawn as undelivered, 0 = never, default 10 */
    bool help;                /* --help was given: print dm_config_usage and exit 0 */
} dm_config;

void dm_config_defaults(dm_config *cfg);
/* Applies argv (argv[0] is skipped). Reads the --config file first wherever it
 * appears, so the command line always wins. Returns false with a message in err. */
bool dm_config_from_args(dm_config *cfg, int argc, char **argv, char *err, size_t errlen);
/* Applies one file. Returns false with "FILE:LINE: ..." in err. */
bool dm_config_load_file(dm_config *cfg, const char *path, char *err, size_t errlen);
/* Applies one setting by name. Returns false with a message naming the setting. */
bool dm_config_set(dm_config *cfg, const char *key, const char *value, char *err, size_t errlen);
/* The --help text. */
const char *dm_config_usage(void);

#endif
