/* The simulator's event queue: a binary min-heap ordered by virtual time and,
 * for events due at the same millisecond, by the order they were scheduled, so
 * a run is the same on every machine for a given seed. */
#ifndef DRAGOMAN_SIM_EVQ_H
#define DRAGOMAN_SIM_EVQ_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sim_event {
    int64_t t;    /* virtual ms */
    uint64_t seq; /* scheduling order: the tie-break */
    int32_t obj;  /* what it is about: a request, offer or interpreter slot */
    uint32_t gen; /* the object's generation when scheduled; stale when it changed */
    int32_t kind;
} sim_event;

typedef struct sim_evq {
    sim_event *heap;
    size_t n, cap;
    uint64_t next_seq;
} sim_evq;

void sim_evq_init(sim_evq *q);
void sim_evq_free(sim_evq *q);
/* False when out of memory. */
bool sim_evq_push(sim_evq *q, int64_t t, int32_t kind, int32_t obj, uint32_t gen);
/* Takes the earliest event; false when the queue is empty. */
bool sim_evq_pop(sim_evq *q, sim_event *out);
/* The earliest event's time, INT64_MAX when empty. */
int64_t sim_evq_peek_time(const sim_evq *q);

#endif
