/* Logging: one line per event on stderr, with a level and a monotonic-free
 * wall-clock timestamp so operators can line it up with Redis and coturn logs.
 * Thread-safe (each line is one fprintf, which stdio locks). */
#ifndef DRAGOMAN_LOG_H
#define DRAGOMAN_LOG_H

typedef enum { DM_LOG_DEBUG, DM_LOG_INFO, DM_LOG_WARN, DM_LOG_ERROR } dm_log_level;

void dm_log_set_level(dm_log_level level);
void dm_log(dm_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define dm_debug(...) dm_log(DM_LOG_DEBUG, __VA_ARGS__)
#define dm_info(...) dm_log(DM_LOG_INFO, __VA_ARGS__)
#define dm_warn(...) dm_log(DM_LOG_WARN, __VA_ARGS__)
#define dm_error(...) dm_log(DM_LOG_ERROR, __VA_ARGS__)

#endif
