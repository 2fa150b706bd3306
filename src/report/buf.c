/* A growing text buffer and a string-keyed table of fixed-size items: all the
 * reports aggregate into these. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dragoman/hash.h"
#include "internal.h"

bool buf_reserve(dm_buf *b, size_t more)
{
    if (b->oom)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void buf_add(dm_buf *b, const char *s, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void buf_str(dm_buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

void buf_printf(dm_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        buf_add(b, small, (size_t)n);
        return;
    }
    if (!buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void buf_json_str(dm_buf *b, const char *s)
{
    buf_add(b, "\"", 1);
    const unsigned char *run = (const unsigned char *)s, *p = run;
    for (; *p; p++) {
        if (*p != '"' && *p != '\\' && *p >= 0x20)
            continue;
        buf_add(b, (const char *)run, (size_t)(p - run));
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            buf_add(b, esc, 2);
        } else {
            buf_printf(b, "\\u%04x", *p);
        }
        run = p + 1;
    }
    buf_add(b, (const char *)run, (size_t)(p - run));
    buf_add(b, "\"", 1);
}

void buf_free(dm_buf *b)
{
    free(b->p);
    *b = (dm_buf){0};
}

void agg_init(agg *a, size_t size)
{
    *a = (agg){.size = size};
}

static size_t *probe(const agg *a, const char *key)
{
    size_t i = (size_t)dm_hash(key, strlen(key)) & (a->nslots - 1);
    while (a->slots[i] && strcmp(a->keys[a->slots[i] - 1], key) != 0)
        i = (i + 1) & (a->nslots - 1);
    return &a->slots[i];
}

static bool rehash(agg *a)
{
    size_t n = a->nslots ? a->nslots * 2 : 64;
    size_t *slots = calloc(n, sizeof *slots);
    if (!slots)
        return false;
    free(a->slots);
    a->slots = slots;
    a->nslots = n;
    for (size_t i = 0; i < a->n; i++)
        *probe(a, a->keys[i]) = i + 1;
    return true;
}

static bool grow_items(agg *a)
{
    size_t cap = a->cap ? a->cap * 2 : 16;
    char **keys = realloc(a->keys, cap * sizeof *keys);
    if (keys)
        a->keys = keys;
    unsigned char *items = keys ? realloc(a->items, cap * a->size) : NULL;
    if (!items)
        return false;
    a->items = items;
    a->cap = cap;
    return true;
}

void *agg_find(const agg *a, const char *key)
{
    if (!a->nslots)
        return NULL;
    size_t slot = *probe(a, key);
    return slot ? agg_item(a, slot - 1) : NULL;
}

void *agg_at(agg *a, const char *key)
{
    void *found = agg_find(a, key);
    if (found || a->oom)
        return found;
    if ((a->n + 1) * 2 > a->nslots && !rehash(a))
        goto oom;
    if (a->n == a->cap && !grow_items(a))
        goto oom;
    char *k = strdup(key);
    if (!k)
        goto oom;
    a->keys[a->n] = k;
    memset(a->items + a->n * a->size, 0, a->size);
    *probe(a, key) = ++a->n;
    return agg_item(a, a->n - 1);
oom:
    a->oom = true;
    return NULL;
}

void *agg_item(const agg *a, size_t i)
{
    return a->items + i * a->size;
}

typedef struct keyed {
    const char *key;
    size_t index;
} keyed;

static int cmp_keyed(const void *x, const void *y)
{
    return strcmp(((const keyed *)x)->key, ((const keyed *)y)->key);
}

size_t *agg_sorted(const agg *a)
{
    size_t n = a->n ? a->n : 1;
    keyed *k = malloc(n * sizeof *k);
    size_t *idx = malloc(n * sizeof *idx);
    if (!k || !idx) {
        free(k);
        free(idx);
        return NULL;
    }
    for (size_t i = 0; i < a->n; i++)
        k[i] = (keyed){a->keys[i], i};
    qsort(k, a->n, sizeof *k, cmp_keyed);
    for (size_t i = 0; i < a->n; i++)
        idx[i] = k[i].index;
    free(k);
    return idx;
}

void agg_free(agg *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->keys[i]);
    free(a->keys);
    free(a->slots);
    free(a->items);
    *a = (agg){0};
}
