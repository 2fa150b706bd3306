/* The protocol room: decodes and validates client messages (WebSocket frames of
 * subprotocol "dragoman.v1", and the JSON bodies of the HTTP API) into C structs,
 * and encodes the server's replies and pushes.
 *
 * Validation follows the JSON Schemas in proto/schema/, which are compiled into
 * the binary: the same documents clients read are the rules the server applies
 * (types, required fields, ranges, enum words, string lengths, no unknown fields).
 * Pure functions, no I/O, any thread. Strings on the wire are valid UTF-8 and
 * limits count characters; the fixed arrays below hold them in bytes. */
#ifndef DRAGOMAN_PROTO_H
#define DRAGOMAN_PROTO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dragoman/domain.h"

typedef struct cJSON cJSON;

#define DM_PROTO_VERSION "dragoman.v1"

/* Bytes that hold a string of up to n characters (code points, as the schemas'
 * lengths count them) in UTF-8, with its NUL: free text may be Arabic or Dari. */
#define DM_UTF8_SIZE(n) (4 * (n) + 1)

typedef enum {
    DM_MSG_HELLO,          /* any: authenticate with a token; fixes the role */
    DM_MSG_PING,           /* any: heartbeat (keeps an interpreter available) */
    DM_MSG_SNAPSHOT_GET,   /* any: ask for the snapshot again */
    DM_MSG_PRESENCE_SET,   /* interpreter: available / away */
    DM_MSG_REQUEST_CREATE, /* clinic */
    DM_MSG_REQUEST_CANCEL, /* clinic (own requests), coordinator */
    DM_MSG_REQUEST_ASSIGN, /* coordinator: manual assignment */
    DM_MSG_OFFER_ACCEPT,   /* interpreter */
    DM_MSG_OFFER_DECLINE,  /* interpreter */
    DM_MSG_JOB_RELEASE,    /* interpreter: give back an accepted job before it starts */
    DM_MSG_SESSION_START,  /* clinic, interpreter */
    DM_MSG_SESSION_END,    /* clinic, interpreter */
    DM_MSG_SESSION_FEEDBACK, /* clinic (rating, comment), interpreter (comment) */
    DM_MSG_SESSION_CORRECT,  /* coordinator: correct an ended session's times, with a reason */
    DM_MSG_CALL_JOIN,        /* clinic, interpreter, guest: become a peer of a session's call */
    DM_MSG_CALL_SIGNAL,      /* a peer: WebRTC offer, answer or ICE candidate for another peer */
    DM_MSG_CALL_STATE,       /* a peer: media state, mic and camera; also its keepalive */
    DM_MSG_CALL_LEAVE,       /* a peer: leave, or hang up and end the session */
    DM_MSG_CALL_CHAT,        /* a peer: one chat line to the other peers */
    DM_MSG_CALL_INVITE,      /* clinic: a one-time link for a guest */
    DM_MSG_PUSH_SUBSCRIBE,   /* interpreter: a phone's Web Push subscription */
    DM_MSG_PUSH_UNSUBSCRIBE, /* interpreter */
    DM_MSG_PUSH_SETTINGS,    /* interpreter: on/off, quiet hours, modalities */
    DM_MSG_OFFER_ACK,        /* interpreter: an offer was received, shown, clicked or seen */
    DM_MSG_JOB_ETA,          /* interpreter: a new arrival time for an on-site job */
    DM_MSG__COUNT
} dm_msg_type;

typedef struct dm_request_spec {
    char language[DM_LANG_MAX + 1];
    dm_modality modality;
    dm_urgency urgency;
    int64_t start_at;       /* ms since epoch; 0 for urgency "now" */
    int duration_min;
    dm_gender gender;       /* DM_GENDER_ANY when not given */
    dm_need_strength gender_need;
    char specialty[DM_SPECIALTY_MAX + 1]; /* "" when not given */
    char location[DM_UTF8_SIZE(DM_LOCATION_MAX)]; /* on-site address or area; "" when not given */
    char note[DM_UTF8_SIZE(DM_NOTE_MAX)];         /* short and non-clinical */
    char idempotency_key[DM_UTF8_SIZE(DM_IDEM_MAX)];
} dm_request_spec;

/* Bytes of a signalling payload (an SDP or an ICE candidate) kept as compact
 * JSON: the schemas allow 20,000 printable ASCII characters of SDP, and JSON
 * escaping at most doubles them. */
#define DM_SIGNAL_MAX 40064

typedef struct dm_call_msg {
    char request[DM_ID_MAX + 1];
    char to[DM_PEER_MAX + 1];       /* call.signal: the peer it is for */
    char kind[12];                  /* call.signal: offer | answer | candidate */
    char sdp[DM_SIGNAL_MAX];        /* call.signal: the SDP as a JSON string, "" when absent */
    char candidate[4096];           /* call.signal: the candidate as a JSON object, "" when absent */
    char media[16];                 /* call.state: connecting | connected | reconnecting | failed */
    char quality[8];                /* call.state: good | poor, "" when not given */
    bool audio, video;              /* call.state: mic and camera on */
    bool end;                       /* call.leave: hang up */
    char text[DM_UTF8_SIZE(DM_CHAT_MAX)]; /* call.chat */
} dm_call_msg;

typedef struct dm_push_msg_fields {
    char endpoint[1025];  /* push.subscribe */
    char p256dh[96];
    char auth[32];
    char label[DM_UTF8_SIZE(80)];
    char device[DM_PEER_MAX + 1]; /* push.unsubscribe */
    bool enabled;                 /* push.settings */
    char quiet_from[8], quiet_to[8]; /* "HH:MM", "" when not given */
    char modalities[64];          /* the JSON array as given, "" when not given */
} dm_push_msg_fields;

typedef struct dm_msg {
    dm_msg_type type;
    char id[DM_UTF8_SIZE(DM_CLIENT_ID_MAX)]; /* client's id, echoed in the reply; "" when not given */
    union {
        struct { char token[DM_TOKEN_MAX + 1]; } hello;
        struct { bool available; } presence;
        dm_request_spec create;
        /* request.cancel, job.release, session.start, session.end */
        struct { char request[DM_ID_MAX + 1]; char reason[DM_UTF8_SIZE(DM_REASON_MAX)]; } ref;
        /* offer.accept, offer.decline; eta_min (on-site arrival, 0 when not given) with offer.accept */
        struct { char offer[DM_ID_MAX + 1]; char reason[DM_UTF8_SIZE(DM_REASON_MAX)]; int eta_min; } offer;
        struct { char request[DM_ID_MAX + 1]; int eta_min; } eta; /* job.eta */
        struct { char request[DM_ID_MAX + 1]; char interpreter[DM_ID_MAX + 1]; char reason[DM_UTF8_SIZE(DM_REASON_MAX)]; } assign;
        struct { char request[DM_ID_MAX + 1]; int rating; /* 0 when not given */ char comment[DM_UTF8_SIZE(DM_COMMENT_MAX)]; } feedback;
        struct { char request[DM_ID_MAX + 1]; int64_t started_at, ended_at; char reason[DM_UTF8_SIZE(DM_REASON_MAX)]; } correct;
        dm_call_msg call; /* call.* */
        dm_push_msg_fields push; /* push.* */
        struct { char offer[DM_ID_MAX + 1]; char event[12]; char via[8]; } ack; /* offer.ack */
    } u;
} dm_msg;

/* Error codes on the wire (the "code" of an error reply). */
typedef enum {
    DM_ERR_BAD_JSON,      /* not JSON, not an object, or not valid UTF-8 */
    DM_ERR_BAD_MESSAGE,   /* breaks the message's schema: see field and message */
    DM_ERR_UNKNOWN_TYPE,
    DM_ERR_NOT_AUTHENTICATED,
    DM_ERR_FORBIDDEN,     /* the role may not do this, or not to this object */
    DM_ERR_NOT_FOUND,
    DM_ERR_CONFLICT,      /* the object is not in a state that allows this */
    DM_ERR_UNAVAILABLE,   /* storage unreachable: nothing was done, try again */
    DM_ERR_TOO_LARGE,
    DM_ERR_INTERNAL,
    DM_ERR__COUNT
} dm_err_code;

typedef struct dm_proto_error {
    dm_err_code code;
    char field[64];    /* JSON path of the offending field, e.g. "duration_min"; "" when none */
    char message[200]; /* for people: says what was expected */
} dm_proto_error;

const char *dm_err_code_name(dm_err_code c);
const char *dm_msg_type_name(dm_msg_type t);

/* Parses len bytes that must be one JSON object in valid UTF-8 text (no NUL,
 * raw or escaped, and nothing after the object but white space). Returns the
 * object, which the caller deletes, or NULL with err filled (code bad_json).
 * For HTTP bodies; dm_proto_decode parses this way. */
cJSON *dm_proto_parse(const char *buf, size_t len, dm_proto_error *err);

/* Decodes one client message. Returns true and fills out (its id, its type
 * and that type's member of the union; the other members are left as they
 * were), or false and fills err (and out->id when the message had a readable
 * string id, so the error can echo it). */
bool dm_proto_decode(const char *buf, size_t len, dm_msg *out, dm_proto_error *err);

/* Decodes an HTTP body whose message type the URL gives (POST /api/requests is
 * a request.create): the body need not carry "type", and must not carry another. */
bool dm_proto_decode_body(dm_msg_type type, const cJSON *body, dm_msg *out, dm_proto_error *err);

/* Validates an already parsed JSON value against a named schema from proto/schema
 * (for the HTTP API bodies, e.g. "admin.interpreter"). Fills err on failure. */
bool dm_proto_validate(const char *schema_name, const cJSON *value, dm_proto_error *err);

/* Encoders. Each returns a malloc'd NUL-terminated string the caller frees. */
/* {"type":"result","id":id,"data":data}; takes ownership of data (may be NULL). */
char *dm_proto_result(const char *id, cJSON *data);
/* {"type":"error","id":id,"code":...,"message":...,"field":...}. */
char *dm_proto_error_reply(const char *id, const dm_proto_error *err);
/* The body of an HTTP error: {"code":...,"field":...,"message":...} ("field" only when set). */
char *dm_proto_error_body(const dm_proto_error *err);
/* A server push {"type":type, ...fields of body}; takes ownership of body (an object, may be NULL). */
char *dm_proto_push(const char *type, cJSON *body);

/* A JSON number for an integer, such as a time in ms, for output only: it is
 * a raw item, not a cJSON number to read back. cJSON writes a double beyond
 * int's range with "%1.15g" and reads it back with sscanf to check it, about
 * a sixth of the server's instructions when every view carries times. */
cJSON *dm_proto_int(int64_t v);
/* Adds dm_proto_int(v) to the object o as name; false when out of memory. */
bool dm_proto_add_int(cJSON *o, const char *name, int64_t v);

/* Frees the compiled schemas (they are compiled on first use and kept), so leak
 * checkers see a clean exit. Call once at exit, after every other proto call. */
void dm_proto_shutdown(void);

#endif
