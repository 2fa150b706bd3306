/* Interpreters this server is offering work to right now, and requests it is
 * offering freed interpreters to (see server.h, dm_reserve). A chained hash
 * table of counted ids: an interpreter can be named by two offer calls at
 * once, and is free for matching again only when both have come back.
 * libevent thread. */
#include <stdlib.h>
#include <string.h>

#include "dragoman/hash.h"
#include "server.h"

enum { NBUCKETS = 4096 };

typedef struct entry {
    struct entry *next;
    unsigned count;
    char id[];
} entry;

struct dm_reserve {
    entry *buckets[NBUCKETS];
    size_t size;
};

static size_t bucket_of(const char *id)
{
    return (size_t)(dm_hash(id, strlen(id)) % NBUCKETS);
}

static entry **find(dm_reserve *r, const char *id)
{
    entry **e = &r->buckets[bucket_of(id)];
    while (*e && strcmp((*e)->id, id) != 0)
        e = &(*e)->next;
    return e;
}

dm_reserve *dm_reserve_new(void)
{
    return calloc(1, sizeof(dm_reserve));
}

void dm_reserve_free(dm_reserve *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < NBUCKETS; i++) {
        for (entry *e = r->buckets[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    }
    free(r);
}

bool dm_reserve_has(dm_reserve *r, const char *id)
{
    return *find(r, id) != NULL;
}

unsigned dm_reserve_count(dm_reserve *r, const char *id)
{
    const entry *e = *find(r, id);
    return e ? e->count : 0;
}

bool dm_reserve_add(dm_reserve *r, const char *id)
{
    entry **at = find(r, id);
    if (*at) {
        (*at)->count++;
        return true;
    }
    size_t len = strlen(id) + 1;
    entry *e = malloc(sizeof *e + len);
    if (!e)
        return false;
    e->next = NULL;
    e->count = 1;
    memcpy(e->id, id, len);
    *at = e;
    r->size++;
    return true;
}

void dm_reserve_del(dm_reserve *r, const char *id)
{
    entry **at = find(r, id), *e = *at;
    if (!e || --e->count > 0)
        return;
    *at = e->next;
    free(e);
    r->size--;
}

size_t dm_reserve_size(const dm_reserve *r)
{
    return r->size;
}
