/* Private to src/net: the lws thread's map from connection id to the
 * connection's per-session data. Open addressing with linear probing and
 * backward-shift deletion (no tombstones), so lookups stay short at 20,000+
 * live connections and a churn of short HTTP requests never degrades it.
 * Not thread-safe: only the lws service thread touches it. */
#ifndef DRAGOMAN_NET_CONNMAP_H
#define DRAGOMAN_NET_CONNMAP_H
#include <stddef.h>
#include <stdint.h>

typedef struct dm_connmap_slot {
    uint64_t id; /* 0 marks a free slot: ids start at 1 */
    void *value;
} dm_connmap_slot;

typedef struct dm_connmap {
    dm_connmap_slot *slots;
    size_t cap; /* a power of two */
    size_t count;
} dm_connmap;

int dm_connmap_init(dm_connmap *m);
void dm_connmap_free(dm_connmap *m);
/* 0 on success, -1 when out of memory. The id must not be present. */
int dm_connmap_put(dm_connmap *m, uint64_t id, void *value);
void *dm_connmap_get(const dm_connmap *m, uint64_t id);
void dm_connmap_del(dm_connmap *m, uint64_t id);
/* Iteration: start with *cursor = 0; returns NULL at the end. The map must
 * not change during the walk. */
void *dm_connmap_next(const dm_connmap *m, size_t *cursor);

#endif
