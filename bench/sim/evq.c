#include "evq.h"

#include <stdlib.h>

void sim_evq_init(sim_evq *q)
{
    *q = (sim_evq){0};
}

void sim_evq_free(sim_evq *q)
{
    free(q->heap);
    *q = (sim_evq){0};
}

static bool before(const sim_event *a, const sim_event *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

bool sim_evq_push(sim_evq *q, int64_t t, int32_t kind, int32_t obj, uint32_t gen)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 1024;
        sim_event *h = realloc(q->heap, cap * sizeof *h);
        if (!h)
            return false;
        q->heap = h;
        q->cap = cap;
    }
    sim_event e = {.t = t, .seq = q->next_seq++, .obj = obj, .gen = gen, .kind = kind};
    size_t i = q->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&e, &q->heap[parent]))
            break;
        q->heap[i] = q->heap[parent];
        i = parent;
    }
    q->heap[i] = e;
    return true;
}

bool sim_evq_pop(sim_evq *q, sim_event *out)
{
    if (q->n == 0)
        return false;
    *out = q->heap[0];
    sim_event last = q->heap[--q->n];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= q->n)
            break;
        if (child + 1 < q->n && before(&q->heap[child + 1], &q->heap[child]))
            child++;
        if (!before(&q->heap[child], &last))
            break;
        q->heap[i] = q->heap[child];
        i = child;
    }
    if (q->n > 0)
        q->heap[i] = last;
    return true;
}

int64_t sim_evq_peek_time(const sim_evq *q)
{
    return q->n ? q->heap[0].t : INT64_MAX;
}
