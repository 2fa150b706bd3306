/* Decoding client messages into dm_msg after validating them against their
 * schema, and encoding replies and pushes. Each message type has a table of its
 * fields, so decoding is one loop and adding a field is one line. */
#include "dragoman/proto.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

typedef enum {
    F_TEXT,  /* string into a char array */
    F_INT,   /* integer into an int */
    F_INT64, /* integer into an int64_t */
    F_ENUM,  /* word into a domain enum, through its parser */
    F_FLAG,  /* word into a bool, through its parser */
    F_BOOL,  /* true or false into a bool */
    F_JSON,  /* any value, kept as compact JSON text to pass on as it came */
} field_kind;

typedef struct {
    const char *name; /* on the wire */
    field_kind kind;
    size_t offset, size; /* of the member in dm_msg */
    int (*parse)(const char *); /* F_ENUM and F_FLAG: the value of a word, -1 when unknown */
} field;

/* Enum members are written as ints. */
_Static_assert(sizeof(dm_modality) == sizeof(int) && sizeof(dm_urgency) == sizeof(int) &&
                   sizeof(dm_gender) == sizeof(int) && sizeof(dm_need_strength) == sizeof(int),
               "domain enums are int-sized");

#define MEMBER(m) offsetof(dm_msg, m), sizeof(((dm_msg *)0)->m)
#define TEXT(wire, m) {wire, F_TEXT, MEMBER(m), NULL}
#define NUMBER(wire, kind, m) {wire, kind, MEMBER(m), NULL}
#define WORD(wire, kind, m, parser) {wire, kind, MEMBER(m), parser}
#define FLAG(wire, m) {wire, F_BOOL, MEMBER(m), NULL}
#define JSON(wire, m) {wire, F_JSON, MEMBER(m), NULL}
#define END {NULL, F_TEXT, 0, 0, NULL}

static int parse_status(const char *s)
{
    return strcmp(s, "available") == 0 ? 1 : strcmp(s, "away") == 0 ? 0 : -1;
}

static const field no_fields[] = {END};
static const field hello_fields[] = {TEXT("token", u.hello.token), END};
static const field presence_fields[] = {WORD("status", F_FLAG, u.presence.available, parse_status), END};
static const field create_fields[] = {
    TEXT("language", u.create.language),
    WORD("modality", F_ENUM, u.create.modality, dm_modality_parse),
    WORD("urgency", F_ENUM, u.create.urgency, dm_urgency_parse),
    NUMBER("start_at", F_INT64, u.create.start_at),
    NUMBER("duration_min", F_INT, u.create.duration_min),
    WORD("gender", F_ENUM, u.create.gender, dm_gender_parse),
    WORD("gender_need", F_ENUM, u.create.gender_need, dm_need_parse),
    TEXT("specialty", u.create.specialty),
    TEXT("location", u.create.location),
    TEXT("note", u.create.note),
    TEXT("idempotency_key", u.create.idempotency_key),
    END,
};
static const field ref_fields[] = {TEXT("request", u.ref.request), TEXT("reason", u.ref.reason), END};
static const field offer_fields[] = {
    TEXT("offer", u.offer.offer),
    TEXT("reason", u.offer.reason),
    NUMBER("eta_min", F_INT, u.offer.eta_min),
    END,
};
static const field eta_fields[] = {TEXT("request", u.eta.request), NUMBER("eta_min", F_INT, u.eta.eta_min), END};
static const field assign_fields[] = {
    TEXT("request", u.assign.request),
    TEXT("interpreter", u.assign.interpreter),
    TEXT("reason", u.assign.reason),
    END,
};
static const field feedback_fields[] = {
    TEXT("request", u.feedback.request),
    NUMBER("rating", F_INT, u.feedback.rating),
    TEXT("comment", u.feedback.comment),
    END,
};

static const field correct_fields[] = {
    TEXT("request", u.correct.request),
    NUMBER("started_at", F_INT64, u.correct.started_at),
    NUMBER("ended_at", F_INT64, u.correct.ended_at),
    TEXT("reason", u.correct.reason),
    END,
};

static const field call_fields[] = {
    TEXT("request", u.call.request),
    TEXT("to", u.call.to),
    TEXT("kind", u.call.kind),
    JSON("sdp", u.call.sdp),
    JSON("candidate", u.call.candidate),
    TEXT("media", u.call.media),
    TEXT("quality", u.call.quality),
    FLAG("audio", u.call.audio),
    FLAG("video", u.call.video),
    FLAG("end", u.call.end),
    TEXT("text", u.call.text),
    END,
};

/* Nested fields are named by their path. */
static const field push_fields[] = {
    TEXT("endpoint", u.push.endpoint),
    TEXT("keys.p256dh", u.push.p256dh),
    TEXT("keys.auth", u.push.auth),
    TEXT("label", u.push.label),
    TEXT("device", u.push.device),
    FLAG("enabled", u.push.enabled),
    TEXT("quiet_from", u.push.quiet_from),
    TEXT("quiet_to", u.push.quiet_to),
    JSON("modalities", u.push.modalities),
    END,
};
static const field ack_fields[] = {
    TEXT("offer", u.ack.offer),
    TEXT("event", u.ack.event),
    TEXT("via", u.ack.via),
    END,
};

#define BODY(m) sizeof(((dm_msg *)0)->u.m)

/* Indexed by dm_msg_type; the name is the wire type and the schema's name;
 * size, that of its member of dm_msg's union. */
static const struct {
    const char *name;
    const field *fields;
    size_t size;
} messages[DM_MSG__COUNT] = {
    [DM_MSG_HELLO] = {"hello", hello_fields, BODY(hello)},
    [DM_MSG_PING] = {"ping", no_fields, 0},
    [DM_MSG_SNAPSHOT_GET] = {"snapshot.get", no_fields, 0},
    [DM_MSG_PRESENCE_SET] = {"presence.set", presence_fields, BODY(presence)},
    [DM_MSG_REQUEST_CREATE] = {"request.create", create_fields, BODY(create)},
    [DM_MSG_REQUEST_CANCEL] = {"request.cancel", ref_fields, BODY(ref)},
    [DM_MSG_REQUEST_ASSIGN] = {"request.assign", assign_fields, BODY(assign)},
    [DM_MSG_OFFER_ACCEPT] = {"offer.accept", offer_fields, BODY(offer)},
    [DM_MSG_OFFER_DECLINE] = {"offer.decline", offer_fields, BODY(offer)},
    [DM_MSG_JOB_RELEASE] = {"job.release", ref_fields, BODY(ref)},
    [DM_MSG_SESSION_START] = {"session.start", ref_fields, BODY(ref)},
    [DM_MSG_SESSION_END] = {"session.end", ref_fields, BODY(ref)},
    [DM_MSG_SESSION_FEEDBACK] = {"session.feedback", feedback_fields, BODY(feedback)},
    [DM_MSG_SESSION_CORRECT] = {"session.correct", correct_fields, BODY(correct)},
    [DM_MSG_CALL_JOIN] = {"call.join", call_fields, BODY(call)},
    [DM_MSG_CALL_SIGNAL] = {"call.signal", call_fields, BODY(call)},
    [DM_MSG_CALL_STATE] = {"call.state", call_fields, BODY(call)},
    [DM_MSG_CALL_LEAVE] = {"call.leave", call_fields, BODY(call)},
    [DM_MSG_CALL_CHAT] = {"call.chat", call_fields, BODY(call)},
    [DM_MSG_CALL_INVITE] = {"call.invite", call_fields, BODY(call)},
    [DM_MSG_PUSH_SUBSCRIBE] = {"push.subscribe", push_fields, BODY(push)},
    [DM_MSG_PUSH_UNSUBSCRIBE] = {"push.unsubscribe", push_fields, BODY(push)},
    [DM_MSG_PUSH_SETTINGS] = {"push.settings", push_fields, BODY(push)},
    [DM_MSG_OFFER_ACK] = {"offer.ack", ack_fields, BODY(ack)},
    [DM_MSG_JOB_ETA] = {"job.eta", eta_fields, BODY(eta)},
};

static const char *const err_names[DM_ERR__COUNT] = {
    [DM_ERR_BAD_JSON] = "bad_json",
    [DM_ERR_BAD_MESSAGE] = "bad_message",
    [DM_ERR_UNKNOWN_TYPE] = "unknown_type",
    [DM_ERR_NOT_AUTHENTICATED] = "not_authenticated",
    [DM_ERR_FORBIDDEN] = "forbidden",
    [DM_ERR_NOT_FOUND] = "not_found",
    [DM_ERR_CONFLICT] = "conflict",
    [DM_ERR_UNAVAILABLE] = "unavailable",
    [DM_ERR_TOO_LARGE] = "too_large",
    [DM_ERR_INTERNAL] = "internal",
};

const char *dm_err_code_name(dm_err_code c)
{
    return (unsigned)c < DM_ERR__COUNT ? err_names[c] : "";
}

const char *dm_msg_type_name(dm_msg_type t)
{
    return (unsigned)t < DM_MSG__COUNT ? messages[t].name : "";
}

/* ---- parsing ---- */

/* cJSON ends a string at a NUL, raw or escaped, so the server would act on
 * other text than the client sent; such input is refused. */
static bool has_nul(const char *buf, size_t len)
{
    if (memchr(buf, '\0', len))
        return true;
    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] != '\\')
            continue;
        if (buf[i + 1] == 'u' && len - i >= 6 && memcmp(buf + i + 2, "0000", 4) == 0)
            return true;
        i++; /* the escaped character, which may itself be a backslash */
    }
    return false;
}

static bool only_space(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            return false;
    return true;
}

cJSON *dm_proto_parse(const char *buf, size_t len, dm_proto_error *err)
{
    if (!buf || dm_utf8_length(buf, len) < 0) {
        dm_proto_set_error(err, DM_ERR_BAD_JSON, NULL, "not valid UTF-8 text");
        return NULL;
    }
    if (has_nul(buf, len)) {
        dm_proto_set_error(err, DM_ERR_BAD_JSON, NULL, "must not contain NUL characters");
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
    if (!root || !only_space(end, buf + len)) {
        cJSON_Delete(root);
        dm_proto_set_error(err, DM_ERR_BAD_JSON, NULL, "not valid JSON");
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        dm_proto_set_error(err, DM_ERR_BAD_JSON, NULL, "must be a JSON object");
        return NULL;
    }
    return root;
}

bool dm_proto_validate(const char *schema_name, const cJSON *value, dm_proto_error *err)
{
    const dm_schema *s = dm_schema_get(schema_name, err);
    return s && dm_schema_validate(s, value, err);
}

/* ---- decoding ---- */

/* A field the schema let through that the struct cannot hold: the schema and
 * proto.h disagree, which is the server's fault, not the client's. */
static bool mismatch(const field *f, dm_proto_error *err)
{
    dm_proto_set_error(err, DM_ERR_INTERNAL, f->name, "the schema allows what the server cannot hold");
    return false;
}

static bool store_text(const field *f, const cJSON *item, char *at, dm_proto_error *err)
{
    if (!cJSON_IsString(item))
        return mismatch(f, err);
    size_t len = strlen(item->valuestring);
    if (len >= f->size)
        return mismatch(f, err);
    memcpy(at, item->valuestring, len + 1);
    return true;
}

static bool store_number(const field *f, const cJSON *item, char *at, dm_proto_error *err)
{
    double lo = f->kind == F_INT ? INT_MIN : -9007199254740991.0;
    double hi = f->kind == F_INT ? INT_MAX : 9007199254740991.0;
    if (!cJSON_IsNumber(item))
        return mismatch(f, err);
    double d = item->valuedouble;
    if (!(d >= lo && d <= hi) || d != (double)(int64_t)d)
        return mismatch(f, err);
    if (f->kind == F_INT) {
        int v = (int)d;
        memcpy(at, &v, sizeof v);
    } else {
        int64_t v = (int64_t)d;
        memcpy(at, &v, sizeof v);
    }
    return true;
}

static bool store_word(const field *f, const cJSON *item, char *at, dm_proto_error *err)
{
    int v = cJSON_IsString(item) ? f->parse(item->valuestring) : -1;
    if (v < 0)
        return mismatch(f, err);
    if (f->kind == F_FLAG) {
        bool b = v != 0;
        memcpy(at, &b, sizeof b);
    } else {
        memcpy(at, &v, sizeof v);
    }
    return true;
}

static bool store_bool(const field *f, const cJSON *item, char *at, dm_proto_error *err)
{
    if (!cJSON_IsBool(item))
        return mismatch(f, err);
    bool b = cJSON_IsTrue(item);
    memcpy(at, &b, sizeof b);
    return true;
}

static bool store_json(const field *f, const cJSON *item, char *at, dm_proto_error *err)
{
    if (!cJSON_PrintPreallocated((cJSON *)item, at, (int)f->size, false) || strlen(at) >= f->size)
        return mismatch(f, err);
    return true;
}

static bool store(const field *f, const cJSON *item, dm_msg *out, dm_proto_error *err)
{
    char *at = (char *)out + f->offset;
    switch (f->kind) {
    case F_TEXT:
        return store_text(f, item, at, err);
    case F_INT:
    case F_INT64:
        return store_number(f, item, at, err);
    case F_ENUM:
    case F_FLAG:
        return store_word(f, item, at, err);
    case F_BOOL:
        return store_bool(f, item, at, err);
    case F_JSON:
        return store_json(f, item, at, err);
    }
    return mismatch(f, err);
}

static void apply_defaults(dm_msg *m)
{
    if (m->type != DM_MSG_REQUEST_CREATE)
        return;
    dm_request_spec *r = &m->u.create;
    if (r->gender != DM_GENDER_ANY && r->gender_need == DM_NEED_NONE)
        r->gender_need = DM_NEED_PREFERRED;
    if (r->urgency == DM_URGENCY_NOW)
        r->start_at = 0;
}

/* Echoing the client's id lets it match even a refusal to its message. */
static void copy_id(const cJSON *root, dm_msg *out)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
    if (!cJSON_IsString(id))
        return;
    size_t len = strlen(id->valuestring);
    long chars = dm_utf8_length(id->valuestring, len);
    if (chars < 1 || chars > DM_CLIENT_ID_MAX || len >= sizeof out->id)
        return;
    memcpy(out->id, id->valuestring, len + 1);
}

/* The member at a dotted path such as "keys.auth". */
static const cJSON *lookup(const cJSON *root, const char *path)
{
    const char *dot = strchr(path, '.');
    if (!dot)
        return cJSON_GetObjectItemCaseSensitive(root, path);
    char head[32];
    snprintf(head, sizeof head, "%.*s", (int)(dot - path), path);
    return lookup(cJSON_GetObjectItemCaseSensitive(root, head), dot + 1);
}

/* Only the type's own member of the union is cleared: the largest, a call's,
 * is 45 KB, and clearing all of it for every ack and ping was most of what
 * decoding one cost (bench/README.md, session 11). */
static bool decode_as(const cJSON *root, dm_msg_type type, dm_msg *out, dm_proto_error *err)
{
    if (!dm_proto_validate(messages[type].name, root, err))
        return false;
    memset(&out->u, 0, messages[type].size);
    out->type = type;
    for (const field *f = messages[type].fields; f->name; f++) {
        const cJSON *item = lookup(root, f->name);
        if (item && !store(f, item, out, err))
            return false;
    }
    apply_defaults(out);
    return true;
}

static int read_type(const cJSON *root, dm_proto_error *err)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "type");
    if (!t) {
        dm_proto_set_error(err, DM_ERR_BAD_MESSAGE, "type", "required");
        return -1;
    }
    if (!cJSON_IsString(t)) {
        dm_proto_set_error(err, DM_ERR_BAD_MESSAGE, "type", "must be a string");
        return -1;
    }
    for (int i = 0; i < DM_MSG__COUNT; i++)
        if (strcmp(messages[i].name, t->valuestring) == 0)
            return i;
    /* Only a short word is quoted back: the reply stays small whatever was sent. */
    if (strlen(t->valuestring) <= 32)
        dm_proto_set_error(err, DM_ERR_UNKNOWN_TYPE, "type", "unknown message type \"%s\"", t->valuestring);
    else
        dm_proto_set_error(err, DM_ERR_UNKNOWN_TYPE, "type", "unknown message type");
    return -1;
}

bool dm_proto_decode(const char *buf, size_t len, dm_msg *out, dm_proto_error *err)
{
    memset(out, 0, offsetof(dm_msg, u));
    cJSON *root = dm_proto_parse(buf, len, err);
    if (!root)
        return false;
    copy_id(root, out);
    int type = read_type(root, err);
    bool ok = type >= 0 && decode_as(root, (dm_msg_type)type, out, err);
    cJSON_Delete(root);
    return ok;
}

bool dm_proto_decode_body(dm_msg_type type, const cJSON *body, dm_msg *out, dm_proto_error *err)
{
    memset(out, 0, offsetof(dm_msg, u));
    if ((unsigned)type >= DM_MSG__COUNT) {
        dm_proto_set_error(err, DM_ERR_INTERNAL, NULL, "no message type %d", (int)type);
        return false;
    }
    if (!cJSON_IsObject(body)) {
        dm_proto_set_error(err, DM_ERR_BAD_JSON, NULL, "must be a JSON object");
        return false;
    }
    /* A copy that names its type, so the message's own schema applies unchanged. */
    cJSON *copy = cJSON_Duplicate(body, 1);
    if (!copy || (!cJSON_GetObjectItemCaseSensitive(copy, "type") &&
                  !cJSON_AddStringToObject(copy, "type", messages[type].name))) {
        cJSON_Delete(copy);
        dm_proto_set_error(err, DM_ERR_INTERNAL, NULL, "out of memory");
        return false;
    }
    copy_id(copy, out);
    bool ok = decode_as(copy, type, out, err);
    cJSON_Delete(copy);
    return ok;
}

/* ---- encoding ---- */

static char *print_and_delete(cJSON *o)
{
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return s;
}

/* {"type":type,"id":id}, without "id" when the client gave none. */
static cJSON *envelope(const char *type, const char *id)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "type", type) || (id && *id && !cJSON_AddStringToObject(o, "id", id))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

char *dm_proto_result(const char *id, cJSON *data)
{
    cJSON *o = envelope("result", id);
    if (!data)
        data = cJSON_CreateObject();
    if (!o || !data || !cJSON_AddItemToObject(o, "data", data)) {
        cJSON_Delete(data);
        cJSON_Delete(o);
        return NULL;
    }
    return print_and_delete(o);
}

static bool add_error(cJSON *o, const dm_proto_error *err)
{
    return cJSON_AddStringToObject(o, "code", dm_err_code_name(err->code)) &&
           (!err->field[0] || cJSON_AddStringToObject(o, "field", err->field)) &&
           cJSON_AddStringToObject(o, "message", err->message);
}

char *dm_proto_error_reply(const char *id, const dm_proto_error *err)
{
    cJSON *o = envelope("error", id);
    if (o && !add_error(o, err)) {
        cJSON_Delete(o);
        return NULL;
    }
    return print_and_delete(o);
}

char *dm_proto_error_body(const dm_proto_error *err)
{
    cJSON *o = cJSON_CreateObject();
    if (o && !add_error(o, err)) {
        cJSON_Delete(o);
        return NULL;
    }
    return print_and_delete(o);
}

cJSON *dm_proto_int(int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    return cJSON_CreateRaw(buf);
}

bool dm_proto_add_int(cJSON *o, const char *name, int64_t v)
{
    cJSON *n = dm_proto_int(v);
    if (!n)
        return false;
    if (!cJSON_AddItemToObject(o, name, n)) {
        cJSON_Delete(n);
        return false;
    }
    return true;
}

char *dm_proto_push(const char *type, cJSON *body)
{
    cJSON *o = envelope(type, NULL);
    if (!o || (body && !cJSON_IsObject(body))) {
        cJSON_Delete(body);
        cJSON_Delete(o);
        return NULL;
    }
    if (body) {
        /* The push's own type wins over a stray one in the body. */
        cJSON_DeleteItemFromObjectCaseSensitive(body, "type");
        while (body->child)
            cJSON_AddItemToArray(o, cJSON_DetachItemViaPointer(body, body->child));
        cJSON_Delete(body);
    }
    return print_and_delete(o);
}
