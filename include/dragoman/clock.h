/* Time in milliseconds since the Unix epoch: the one unit stored in Redis and
 * sent on the wire, so every process sharing a Redis agrees on deadlines. */
#ifndef DRAGOMAN_CLOCK_H
#define DRAGOMAN_CLOCK_H
#include <stdint.h>

int64_t dm_now_ms(void);

#endif
