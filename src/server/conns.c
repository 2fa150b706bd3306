/* The connection table of the libevent thread: connections by id, and by
 * delivery target ("i:ID", "c:ID", "coord") so a push finds its phones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dragoman/hash.h"
#include "server.h"

#define MIN_BUCKETS 64

typedef struct target {
    char key[DM_ID_MAX + 8];
    dm_conn *head;
    struct target *next;
} target;

struct dm_conns {
    dm_conn **buckets;
    size_t nbuckets, count;
    target **targets;
    size_t ntargets, ntargets_used;
};

static size_t hash_u64(uint64_t v, size_t n)
{
    v ^= v >> 33;
    v *= 0xff51afd7ed558ccdULL;
    v ^= v >> 33;
    return (size_t)(v & (n - 1));
}

static size_t hash_str(const char *s, size_t n)
{
    return (size_t)(dm_hash(s, strlen(s)) & (n - 1));
}

dm_conns *dm_conns_new(void)
{
    dm_conns *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->nbuckets = MIN_BUCKETS;
    t->ntargets = MIN_BUCKETS;
    t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
    t->targets = calloc(t->ntargets, sizeof *t->targets);
    if (!t->buckets || !t->targets) {
        dm_conns_free(t);
        return NULL;
    }
    return t;
}

void dm_conns_free(dm_conns *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->buckets && i < t->nbuckets; i++)
        for (dm_conn *c = t->buckets[i], *next; c; c = next) {
            next = c->next;
            free(c);
        }
    for (size_t i = 0; t->targets && i < t->ntargets; i++)
        for (target *g = t->targets[i], *next; g; g = next) {
            next = g->next;
            free(g);
        }
    free(t->buckets);
    free(t->targets);
    free(t);
}

/* Doubling keeps chains short as phones connect by the thousand (a fixed
 * table of targets had chains of ten at 10,000 interpreters: strcmp was 1% of
 * the loop thread at saturation). */
static void grow_targets(dm_conns *t)
{
    size_t n = t->ntargets * 2;
    target **b = calloc(n, sizeof *b);
    if (!b)
        return;
    for (size_t i = 0; i < t->ntargets; i++)
        for (target *g = t->targets[i], *next; g; g = next) {
            next = g->next;
            size_t h = hash_str(g->key, n);
            g->next = b[h];
            b[h] = g;
        }
    free(t->targets);
    t->targets = b;
    t->ntargets = n;
}

static void grow(dm_conns *t)
{
    size_t n = t->nbuckets * 2;
    dm_conn **b = calloc(n, sizeof *b);
    if (!b)
        return;
    for (size_t i = 0; i < t->nbuckets; i++)
        for (dm_conn *c = t->buckets[i], *next; c; c = next) {
            next = c->next;
            size_t h = hash_u64(c->id, n);
            c->next = b[h];
            b[h] = c;
        }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
}

dm_conn *dm_conns_add(dm_conns *t, uint64_t id)
{
    if (t->count >= t->nbuckets)
        grow(t);
    dm_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->id = id;
    size_t h = hash_u64(id, t->nbuckets);
    c->next = t->buckets[h];
    t->buckets[h] = c;
    t->count++;
    return c;
}

dm_conn *dm_conns_get(dm_conns *t, uint64_t id)
{
    for (dm_conn *c = t->buckets[hash_u64(id, t->nbuckets)]; c; c = c->next)
        if (c->id == id)
            return c;
    return NULL;
}

static target **find_target(dm_conns *t, const char *key)
{
    target **g = &t->targets[hash_str(key, t->ntargets)];
    while (*g && strcmp((*g)->key, key) != 0)
        g = &(*g)->next;
    return g;
}

static void target_key(const dm_actor *a, char *key, size_t len)
{
    if (a->role == DM_ROLE_COORDINATOR)
        snprintf(key, len, "coord");
    else
        snprintf(key, len, "%c:%s", a->role == DM_ROLE_CLINIC ? 'c' : a->role == DM_ROLE_GUEST ? 'g' : 'i', a->subject);
}

static void unbind(dm_conns *t, dm_conn *c)
{
    char key[DM_ID_MAX + 8];
    target_key(&c->actor, key, sizeof key);
    target **g = find_target(t, key);
    if (!*g)
        return;
    dm_conn **p = &(*g)->head;
    while (*p && *p != c)
        p = &(*p)->snext;
    if (*p)
        *p = c->snext;
    if (!(*g)->head) {
        target *dead = *g;
        *g = dead->next;
        free(dead);
        t->ntargets_used--;
    }
}

void dm_conns_remove(dm_conns *t, uint64_t id)
{
    dm_conn **p = &t->buckets[hash_u64(id, t->nbuckets)];
    while (*p && (*p)->id != id)
        p = &(*p)->next;
    if (!*p)
        return;
    dm_conn *c = *p;
    *p = c->next;
    if (c->actor.role != DM_ROLE_NONE)
        unbind(t, c);
    t->count--;
    free(c);
}

dm_conn *dm_conns_target(dm_conns *t, const char *key)
{
    target *g = *find_target(t, key);
    return g ? g->head : NULL;
}

void dm_conns_bind(dm_conns *t, dm_conn *c)
{
    char key[DM_ID_MAX + 8];
    target_key(&c->actor, key, sizeof key);
    if (t->ntargets_used >= t->ntargets)
        grow_targets(t);
    target **g = find_target(t, key);
    if (!*g) {
        *g = calloc(1, sizeof **g);
        if (!*g)
            return;
        snprintf((*g)->key, sizeof (*g)->key, "%s", key);
        t->ntargets_used++;
    }
    c->snext = (*g)->head;
    (*g)->head = c;
}

void dm_conns_each(dm_conns *t, dm_conns_fn fn, void *ud)
{
    for (size_t i = 0; i < t->nbuckets; i++)
        for (dm_conn *c = t->buckets[i], *next; c; c = next) {
            next = c->next;
            fn(c, ud);
        }
}
