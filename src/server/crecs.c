/* This server's copy of CREC, what matching ranks each interpreter by from the
 * registry (_prelude.lua), parsed once instead of at every match. The copy is
 * as of a version ("EPOCH:N"); every match's reading (candidates.lua,
 * create.lua) brings what changed since, so a change made through another
 * server counts at the next match here too. A chained hash table that doubles when it holds twice as
 * many entries as buckets. libevent thread. */
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

#include "dragoman/hash.h"
#include "server.h"

enum { FIRST_BUCKETS = 1024 };

typedef struct entry {
    struct entry *next;
    uint64_t hash;
    dm_candidate c;
} entry;

struct dm_crecs {
    entry **buckets;
    size_t nbuckets, size;
    char version[48]; /* "" when the copy holds nothing yet */
};

dm_crecs *dm_crecs_new(void)
{
    dm_crecs *cs = calloc(1, sizeof *cs);
    if (!cs)
        return NULL;
    cs->buckets = calloc(FIRST_BUCKETS, sizeof *cs->buckets);
    if (!cs->buckets) {
        free(cs);
        return NULL;
    }
    cs->nbuckets = FIRST_BUCKETS;
    return cs;
}

void dm_crecs_free(dm_crecs *cs)
{
    if (!cs)
        return;
    for (size_t i = 0; i < cs->nbuckets; i++) {
        for (entry *e = cs->buckets[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    }
    free(cs->buckets);
    free(cs);
}

const char *dm_crecs_version(const dm_crecs *cs)
{
    return cs->version;
}

void dm_crecs_forget(dm_crecs *cs)
{
    cs->version[0] = '\0';
}

static entry *find(const dm_crecs *cs, const char *id, size_t len, uint64_t h)
{
    for (entry *e = cs->buckets[h % cs->nbuckets]; e; e = e->next)
        if (e->hash == h && strncmp(e->c.id, id, len) == 0 && e->c.id[len] == '\0')
            return e;
    return NULL;
}

const dm_candidate *dm_crecs_get(const dm_crecs *cs, const char *id, size_t len)
{
    if (len > DM_ID_MAX)
        return NULL;
    const entry *e = find(cs, id, len, dm_hash(id, len));
    return e ? &e->c : NULL;
}

/* Without more buckets the table still works, only slower. */
static void grow(dm_crecs *cs)
{
    size_t n = cs->nbuckets * 2;
    entry **b = calloc(n, sizeof *b);
    if (!b)
        return;
    for (size_t i = 0; i < cs->nbuckets; i++) {
        for (entry *e = cs->buckets[i], *next; e; e = next) {
            next = e->next;
            e->next = b[e->hash % n];
            b[e->hash % n] = e;
        }
    }
    free(cs->buckets);
    cs->buckets = b;
    cs->nbuckets = n;
}

/* False when the entry does not parse or memory ran out: the copy then
 * misses it, and the caller starts again from nothing. */
static bool put(dm_crecs *cs, const redisReply *id, const redisReply *rec)
{
    if (id->type != REDIS_REPLY_STRING || rec->type != REDIS_REPLY_STRING)
        return false;
    dm_candidate c;
    if (!dm_view_crec(id->str, id->len, rec->str, rec->len, &c))
        return false;
    uint64_t h = dm_hash(id->str, id->len);
    entry *e = find(cs, id->str, id->len, h);
    if (!e) {
        if (cs->size >= cs->nbuckets * 2)
            grow(cs);
        e = malloc(sizeof *e);
        if (!e)
            return false;
        e->hash = h;
        e->next = cs->buckets[h % cs->nbuckets];
        cs->buckets[h % cs->nbuckets] = e;
        cs->size++;
    }
    e->c = c;
    return true;
}

/* The changes apply only to the copy the call was made with: the copy may
 * have moved on since (another call's reply, made with the same version,
 * came first) or have been dropped, and then this reply is not the whole
 * difference. The copy stays as it is, which is consistent, and the next
 * call catches up. */
bool dm_crecs_update(dm_crecs *cs, const char *sent, const redisReply *version, const redisReply *changes)
{
    if (!version || version->type != REDIS_REPLY_STRING || version->len == 0 ||
        version->len >= sizeof cs->version || !changes || changes->type != REDIS_REPLY_ARRAY)
        return false;
    if (strcmp(sent, cs->version) != 0)
        return true;
    for (size_t i = 0; i + 1 < changes->elements; i += 2) {
        if (!put(cs, changes->element[i], changes->element[i + 1])) {
            dm_crecs_forget(cs);
            return false;
        }
    }
    memcpy(cs->version, version->str, version->len + 1);
    return true;
}
