/* The string hash of the hash tables (connections, delivery targets,
 * reservations, the copy of CREC, report groups): FNV-1a, short and good
 * enough for ids and keys no client chooses freely. */
#ifndef DRAGOMAN_HASH_H
#define DRAGOMAN_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t dm_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

#endif
