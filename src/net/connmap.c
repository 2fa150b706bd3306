/* See connmap.h. Runs on the lws service thread only. */
#include "connmap.h"

#include <stdlib.h>

enum { CONNMAP_MIN_CAP = 1024 };

/* Ids are sequential, so a multiplicative (Fibonacci) hash spreads them over
 * the table instead of filling one run of neighbouring slots. */
static size_t slot_of(const dm_connmap *m, uint64_t id)
{
    return (size_t)((id * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & (m->cap - 1);
}

/* lws thread, like every function here (init and free also on the libevent
 * thread while the lws thread does not exist). */
int dm_connmap_init(dm_connmap *m)
{
    m->slots = calloc(CONNMAP_MIN_CAP, sizeof *m->slots);
    m->cap = CONNMAP_MIN_CAP;
    m->count = 0;
    return m->slots ? 0 : -1;
}

void dm_connmap_free(dm_connmap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = m->count = 0;
}

static void insert_slot(dm_connmap *m, uint64_t id, void *value)
{
    size_t i = slot_of(m, id);
    while (m->slots[i].id)
        i = (i + 1) & (m->cap - 1);
    m->slots[i].id = id;
    m->slots[i].value = value;
}

static int grow(dm_connmap *m)
{
    dm_connmap old = *m;
    m->slots = calloc(old.cap * 2, sizeof *m->slots);
    if (!m->slots) {
        *m = old;
        return -1;
    }
    m->cap = old.cap * 2;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].id)
            insert_slot(m, old.slots[i].id, old.slots[i].value);
    free(old.slots);
    return 0;
}

int dm_connmap_put(dm_connmap *m, uint64_t id, void *value)
{
    /* Keep the load at or under one half: probe runs stay a few slots long. */
    if ((m->count + 1) * 2 > m->cap && grow(m) != 0)
        return -1;
    insert_slot(m, id, value);
    m->count++;
    return 0;
}

static size_t find(const dm_connmap *m, uint64_t id)
{
    size_t i = slot_of(m, id);
    while (m->slots[i].id && m->slots[i].id != id)
        i = (i + 1) & (m->cap - 1);
    return i;
}

void *dm_connmap_get(const dm_connmap *m, uint64_t id)
{
    if (!id)
        return NULL;
    return m->slots[find(m, id)].value;
}

/* Backward-shift deletion: move later members of the probe run into the hole
 * when their home slot allows it, so no tombstones are ever needed. */
void dm_connmap_del(dm_connmap *m, uint64_t id)
{
    size_t hole = find(m, id);
    if (!id || m->slots[hole].id != id)
        return;
    size_t mask = m->cap - 1;
    for (size_t i = (hole + 1) & mask; m->slots[i].id; i = (i + 1) & mask) {
        size_t home = slot_of(m, m->slots[i].id);
        /* i may move to the hole only if its home is not cyclically in (hole, i]. */
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            m->slots[hole] = m->slots[i];
            hole = i;
        }
    }
    m->slots[hole].id = 0;
    m->slots[hole].value = NULL;
    m->count--;
}

void *dm_connmap_next(const dm_connmap *m, size_t *cursor)
{
    for (size_t i = *cursor; i < m->cap; i++) {
        if (m->slots[i].id) {
            *cursor = i + 1;
            return m->slots[i].value;
        }
    }
    *cursor = m->cap;
    return NULL;
}
