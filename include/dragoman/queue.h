/* A cross-thread message queue in the style of h2o's multithread.c: a producer
 * appends under a lock and learns whether the queue went from empty to
 * non-empty (only then does it need to wake the consumer); the consumer takes
 * the whole batch under the lock and processes it unlocked. */
#ifndef DRAGOMAN_QUEUE_H
#define DRAGOMAN_QUEUE_H
#include <stdbool.h>

typedef struct dm_queue_node {
    struct dm_queue_node *next;
} dm_queue_node;

typedef struct dm_queue dm_queue;

dm_queue *dm_queue_new(void);
/* Frees the queue; nodes still in it are the caller's to drain first. */
void dm_queue_free(dm_queue *q);
/* Any thread. Returns true when the queue was empty, i.e. the consumer must be woken. */
bool dm_queue_push(dm_queue *q, dm_queue_node *node);
/* Consumer thread. Returns the batch in FIFO order (NULL when empty) and leaves the queue empty. */
dm_queue_node *dm_queue_take(dm_queue *q);

#endif
