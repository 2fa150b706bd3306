/* The cross-thread queue of queue.h. One mutex guards a singly linked list
 * with a tail pointer; producers only append and the consumer only swaps the
 * whole list out, so the lock is held for a few instructions either way. */
#include "dragoman/queue.h"

#include <pthread.h>
#include <stdlib.h>

struct dm_queue {
    pthread_mutex_t lock;
    dm_queue_node *head;
    dm_queue_node **tail; /* &head when empty, else &last->next */
};

/* Any thread (before the queue is shared). */
dm_queue *dm_queue_new(void)
{
    dm_queue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    if (pthread_mutex_init(&q->lock, NULL) != 0) {
        free(q);
        return NULL;
    }
    q->tail = &q->head;
    return q;
}

/* Any thread (once no other thread uses the queue). */
void dm_queue_free(dm_queue *q)
{
    if (!q)
        return;
    pthread_mutex_destroy(&q->lock);
    free(q);
}

/* Any thread. Only the push that finds the queue empty reports it: every later
 * push until the next take rides on the wakeup that push triggers. */
bool dm_queue_push(dm_queue *q, dm_queue_node *node)
{
    node->next = NULL;
    pthread_mutex_lock(&q->lock);
    bool was_empty = q->head == NULL;
    *q->tail = node;
    q->tail = &node->next;
    pthread_mutex_unlock(&q->lock);
    return was_empty;
}

/* Consumer thread. */
dm_queue_node *dm_queue_take(dm_queue *q)
{
    pthread_mutex_lock(&q->lock);
    dm_queue_node *batch = q->head;
    q->head = NULL;
    q->tail = &q->head;
    pthread_mutex_unlock(&q->lock);
    return batch;
}
