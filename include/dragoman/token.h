/* Access tokens. Only their SHA-256 is stored, so a copy of the Redis data
 * gives nobody a working token. Any thread. */
#ifndef DRAGOMAN_TOKEN_H
#define DRAGOMAN_TOKEN_H
#include <stdbool.h>
#include <stddef.h>

/* Lowercase hex SHA-256 of the token. */
void dm_token_hash(const char *token, char out[65]);
/* A new random token: the role's initial and 48 hex digits (192 bits from
 * getrandom). False when no randomness could be had or len < 50. */
bool dm_token_new(const char *role, char *out, size_t len);
/* prefix then 2 * nbytes hex digits of randomness (nbytes <= 32); false when
 * none could be had or len < 2 * nbytes + 2. */
bool dm_random_id(char prefix, size_t nbytes, char *out, size_t len);

#endif
