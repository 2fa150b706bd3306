/* Redis hashes (as HGETALL arrays) to the protocol's objects and to the
 * dispatch policy's structs. libevent thread (pure functions). */
#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

const char *dm_view_field(const redisReply *hash, const char *name)
{
    if (!hash || hash->type != REDIS_REPLY_ARRAY)
        return "";
    /* A request's view looks up 30 of its 40-odd fields: comparing lengths
     * first spares most of the 1,200 string comparisons. */
    size_t n = strlen(name);
    for (size_t i = 0; i + 1 < hash->elements; i += 2) {
        const redisReply *k = hash->element[i], *v = hash->element[i + 1];
        if (k->type == REDIS_REPLY_STRING && k->len == n && memcmp(k->str, name, n) == 0)
            return v->type == REDIS_REPLY_STRING ? v->str : "";
    }
    return "";
}

int64_t dm_view_int(const redisReply *hash, const char *name)
{
    return strtoll(dm_view_field(hash, name), NULL, 10);
}

static void add_str(cJSON *o, const redisReply *h, const char *wire, const char *field)
{
    cJSON_AddStringToObject(o, wire, dm_view_field(h, field));
}

static void add_int(cJSON *o, const redisReply *h, const char *wire, const char *field)
{
    dm_proto_add_int(o, wire, dm_view_int(h, field));
}

static cJSON *party(const redisReply *h, const char *id_field, const char *name_field)
{
    const char *id = dm_view_field(h, id_field);
    if (!id[0])
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "name", dm_view_field(h, name_field));
    return o;
}

/* The institution's own contact details, which the interpreter needs to reach it. */
static cJSON *clinic_party(const redisReply *h)
{
    cJSON *o = party(h, "clinic", "clinic_name");
    if (cJSON_IsObject(o)) {
        cJSON_AddStringToObject(o, "contact", dm_view_field(h, "clinic_contact"));
        cJSON_AddStringToObject(o, "address", dm_view_field(h, "clinic_address"));
    }
    return o;
}

/* Only what the protocol documents: never the idempotency key's owner data,
 * exclusion sets or anything a clinic did not send. */
cJSON *dm_view_request(const redisReply *h)
{
    cJSON *o = cJSON_CreateObject();
    add_str(o, h, "id", "id");
    cJSON_AddItemToObject(o, "clinic", clinic_party(h));
    static const char *const strs[] = {"language", "modality", "urgency", "gender", "gender_need", "specialty",
                                       "location", "note",     "state",   "reason"};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
        add_str(o, h, strs[i], strs[i]);
    if (!dm_view_field(h, "gender_need")[0])
        cJSON_ReplaceItemInObject(o, "gender_need", cJSON_CreateString("none"));
    static const char *const ints[] = {"start_at", "duration_min", "created_at", "offer_from", "asked",
                                       "accepted_at", "eta_at", "started_at", "ended_at"};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
        add_int(o, h, ints[i], ints[i]);
    cJSON_AddBoolToObject(o, "escalated", dm_view_int(h, "escalated") != 0);
    cJSON_AddBoolToObject(o, "corrected", dm_view_int(h, "corrected") != 0);
    cJSON_AddItemToObject(o, "interpreter", party(h, "interpreter", "interp_name"));
    if (dm_view_int(h, "rating"))
        add_int(o, h, "rating", "rating");
    return o;
}

char *dm_view_request_text(const redisReply *h)
{
    cJSON *o = dm_view_request(h);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

cJSON *dm_view_offer(const char *oid, int64_t deadline, const redisReply *request)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", oid);
    add_str(o, request, "request", "id");
    static const char *const strs[] = {"language", "modality", "urgency", "location", "note"};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
        add_str(o, request, strs[i], strs[i]);
    add_int(o, request, "start_at", "start_at");
    add_int(o, request, "duration_min", "duration_min");
    cJSON_AddItemToObject(o, "clinic", clinic_party(request));
    dm_proto_add_int(o, "deadline", deadline);
    return o;
}

/* Splits "a,b,c" into fixed slots; returns how many were kept. */
static int split_list(const char *s, char (*out)[DM_SPECIALTY_MAX + 1], int max)
{
    int n = 0;
    while (*s && n < max) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (len > 0 && len <= DM_SPECIALTY_MAX) {
            memcpy(out[n], s, len);
            out[n][len] = '\0';
            n++;
        }
        s += len + (comma ? 1 : 0);
    }
    return n;
}

enum { CREC_FIELDS = 5, CANDIDATE_FIELDS = 8, WORK_FIELDS = 9, RECORD_MAX = 2048 };

/* Cuts a copy of a tab-separated record into its first nf fields; false when
 * it is too long or has fewer. */
static bool split_record(const char *rec, size_t len, char *buf, const char **f, int nf)
{
    if (len >= RECORD_MAX)
        return false;
    memcpy(buf, rec, len);
    buf[len] = '\0';
    int n = 0;
    for (char *p = buf; n < nf; n++) {
        f[n] = p;
        p = strchr(p, '\t');
        if (!p)
            break;
        *p++ = '\0';
    }
    return n >= nf - 1;
}

/* A candidate from its id and the five fields of its CREC entry (langs,
 * gender, modalities, specialties, active). The scripts return only free
 * interpreters, so availability is true by construction. */
static void candidate_of(dm_candidate *c, const char *id, size_t id_len, const char *const f[5])
{
    memset(c, 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "%.*s", (int)id_len, id);
    char pairs[DM_MAX_LANGS][DM_SPECIALTY_MAX + 1];
    int n = split_list(f[0], pairs, DM_MAX_LANGS);
    for (int i = 0; i < n; i++) {
        char *colon = strchr(pairs[i], ':');
        if (!colon)
            continue;
        *colon = '\0';
        int level = dm_level_parse(colon + 1);
        if (strlen(pairs[i]) > DM_LANG_MAX)
            continue;
        memcpy(c->langs[c->nlangs], pairs[i], strlen(pairs[i]) + 1);
        c->levels[c->nlangs++] = level > 0 ? (dm_level)level : DM_LEVEL_VOLUNTEER;
    }
    int g = dm_gender_parse(f[1]);
    c->gender = g > 0 ? (dm_gender)g : DM_GENDER_ANY;
    char mods[DM_MODALITY__COUNT][DM_SPECIALTY_MAX + 1];
    int nm = split_list(f[2], mods, DM_MODALITY__COUNT);
    for (int i = 0; i < nm; i++) {
        int m = dm_modality_parse(mods[i]);
        if (m >= 0)
            c->modalities |= 1u << m;
    }
    c->nspecialties = split_list(f[3], c->specialties, DM_MAX_SPECIALTIES);
    c->active = strcmp(f[4], "1") == 0;
    c->available = true;
}

/* One line of candidate_record (_prelude.lua): id, the five CREC fields,
 * last_assigned, excluded. */
bool dm_view_candidate(const char *rec, size_t len, dm_candidate *c)
{
    char buf[RECORD_MAX];
    const char *f[CANDIDATE_FIELDS];
    if (!split_record(rec, len, buf, f, CANDIDATE_FIELDS) || !*f[0])
        return false;
    candidate_of(c, f[0], strlen(f[0]), f + 1);
    c->last_assigned_ms = strtoll(f[6], NULL, 10);
    c->excluded = strcmp(f[7], "0") != 0;
    return true;
}

const char *dm_view_line(const char **p, const char *end, size_t *len)
{
    const char *line = *p;
    if (line >= end)
        return NULL;
    const char *nl = memchr(line, '\n', (size_t)(end - line));
    *len = nl ? (size_t)(nl - line) : (size_t)(end - line);
    *p = line + *len + 1;
    return line;
}

size_t dm_view_lines(const char *s, size_t len)
{
    size_t n = 0, l;
    for (const char *p = s; dm_view_line(&p, s + len, &l);)
        n++;
    return n;
}

bool dm_view_listed(const redisReply *ids, const char *id)
{
    for (size_t i = 0; ids && ids->type == REDIS_REPLY_ARRAY && i < ids->elements; i++)
        if (ids->element[i]->type == REDIS_REPLY_STRING && strcmp(ids->element[i]->str, id) == 0)
            return true;
    return false;
}

bool dm_view_crec(const char *id, size_t len, const char *rec, size_t rlen, dm_candidate *c)
{
    char buf[RECORD_MAX];
    const char *f[CREC_FIELDS];
    if (len == 0 || len > DM_ID_MAX || !split_record(rec, rlen, buf, f, CREC_FIELDS))
        return false;
    candidate_of(c, id, len, f);
    return true;
}

/* candidates.lua sends the free interpreters least recently assigned first,
 * with no time: the position is what ranking compares. */
size_t dm_view_candidates(const redisReply *ids, const dm_crecs *crecs, const redisReply *excluded, dm_candidate *out,
                          size_t max, size_t *missing)
{
    size_t n = 0, il;
    const char *ip = ids->str, *id;
    *missing = 0;
    while (n < max && (id = dm_view_line(&ip, ids->str + ids->len, &il))) {
        const dm_candidate *c = dm_crecs_get(crecs, id, il);
        if (!c) {
            ++*missing;
            continue;
        }
        out[n] = *c;
        out[n].excluded = dm_view_listed(excluded, out[n].id);
        out[n].last_assigned_ms = (int64_t)n + 1;
        n++;
    }
    return n;
}

/* The need from a request's fields: language, modality, gender,
 * gender_need, specialty, escalated. */
static void need_of(dm_need *need, const char *const f[6])
{
    memset(need, 0, sizeof *need);
    snprintf(need->language, sizeof need->language, "%s", f[0]);
    int m = dm_modality_parse(f[1]);
    need->modality = m >= 0 ? (dm_modality)m : DM_MODALITY_PHONE;
    int g = dm_gender_parse(f[2]);
    need->gender = g > 0 ? (dm_gender)g : DM_GENDER_ANY;
    int n = dm_need_parse(f[3]);
    need->gender_need = need->gender != DM_GENDER_ANY && n > 0 ? (dm_need_strength)n : DM_NEED_NONE;
    snprintf(need->specialty, sizeof need->specialty, "%s", f[4]);
    need->relaxed = strtoll(f[5], NULL, 10) != 0;
}

void dm_view_need(const redisReply *request, dm_need *need)
{
    static const char *const names[] = {"language", "modality", "gender", "gender_need", "specialty", "escalated"};
    const char *f[6];
    for (int i = 0; i < 6; i++)
        f[i] = dm_view_field(request, names[i]);
    need_of(need, f);
}

bool dm_view_work_item(const char *rec, size_t len, dm_work_item *w)
{
    char buf[RECORD_MAX];
    const char *f[WORK_FIELDS];
    if (!split_record(rec, len, buf, f, WORK_FIELDS) || !*f[2])
        return false;
    w->score = strtod(f[0], NULL);
    w->pending = strtoll(f[1], NULL, 10);
    snprintf(w->id, sizeof w->id, "%s", f[2]);
    need_of(&w->need, f + 3);
    return true;
}
