/* Time in milliseconds since the Unix epoch: the one unit stored in Redis and
 * sent on the wire, so every process sharing a Redis agrees on deadlines. */
#ifndef DRAGOMAN_CLOCK_H
#define DRAGOMAN_CLOCK_H
#include <stdint.h>

int64_t dm_now_ms(void);
/* Microseconds on a clock that never steps back (CLOCK_MONOTONIC), for
 * durations measured within one process, across its threads. */
int64_t dm_mono_us(void);

#endif
