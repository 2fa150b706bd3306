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
bool dm_random_id(char prefix, size_t nbytes, char *out, size_t len)
{
    unsigned char b[32];
    if (nbytes > sizeof b || len < 2 * nbytes + 2 || getrandom(b, nbytes, 0) != (ssize_t)nbytes)
        return false;
    out[0] = prefix;
    for (size_t i = 0; i < nbytes; i++)
        snprintf(out + 1 + 2 * i, 3, "%02x", b[i]);
    return true;
}

bool dm_token_new(const char *role, char *out, size_t len)
{
    return dm_random_id(role[0], 24, out, len);
}
