#include "dragoman/token.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

void dm_token_hash(const char *token, char out[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)token, strlen(token), md);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* getrandom needs no descriptor: a hello makes a token, and a server at its
 * open-file limit (one descriptor per phone) must still be able to. */
bool dm_token_new(const char *role, char *out, size_t len)
{
    unsigned char b[24];
    if (len < 2 * sizeof b + 2 || getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        return false;
    int n = snprintf(out, len, "%.1s", role);
    for (size_t i = 0; i < sizeof b; i++)
        n += snprintf(out + n, len - (size_t)n, "%02x", b[i]);
    return true;
}
