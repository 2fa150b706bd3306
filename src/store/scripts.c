/* The text of each Lua script: the definitions of the shared files (names
 * starting with '_', in name order) that it uses, followed by its own text.
 *
 * Redis runs a script's whole text on every call, so every local function
 * and table of the shared files is made again each time. With all of them
 * (about 700 lines, most of it the report helpers) a call cost 5 µs more than
 * an empty script, a quarter of ack.lua's time. So a script carries only the
 * definitions it names, directly or through another definition it carries.
 *
 * A definition is a top-level "local ..." line and everything up to the next
 * one (the shared files hold nothing else at top level). Which names a text
 * uses is read without its comments and string literals; a name used only
 * as a table field still counts, which at worst carries a definition too
 * many, never one too few. Pure functions, any thread. */
#include "dragoman/store.h"

#include <ctype.h>
#include <openssl/sha.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dragoman/embedded.h"

#define MAX_DEFS 256
#define MAX_NAMES 4

typedef struct def {
    const char *text; /* from "local" up to the next definition */
    size_t len;
    const char *name[MAX_NAMES]; /* the names it declares, pointing into text */
    size_t name_len[MAX_NAMES];
    int nnames;
    bool used;
} def;

typedef struct defs {
    def d[MAX_DEFS];
    int n;
} defs;

static bool is_word_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static bool is_word(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static size_t word_len(const char *s, const char *end)
{
    size_t n = 0;
    while (s + n < end && is_word(s[n]))
        n++;
    return n;
}

/* The names "local function f" or "local a, b = ..." declares. */
static void declared_names(def *d)
{
    const char *p = d->text + strlen("local "), *end = d->text + d->len;
    if (strncmp(p, "function ", 9) == 0)
        p += 9;
    while (p < end && is_word_start(*p) && d->nnames < MAX_NAMES) {
        d->name[d->nnames] = p;
        d->name_len[d->nnames++] = word_len(p, end);
        p += d->name_len[d->nnames - 1];
        while (p < end && (*p == ' ' || *p == ','))
            p++;
    }
}

static bool starts_definition(const char *line)
{
    return strncmp(line, "local ", 6) == 0;
}

/* Splits one shared file into its definitions; what precedes the first (the
 * file's opening comment) belongs to none. */
static bool split_definitions(const char *text, defs *out)
{
    def *cur = NULL;
    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n');
        const char *next = nl ? nl + 1 : line + strlen(line);
        if (starts_definition(line)) {
            if (out->n == MAX_DEFS)
                return false;
            cur = &out->d[out->n++];
            *cur = (def){.text = line, .len = (size_t)(next - line)};
            declared_names(cur);
        } else if (cur) {
            cur->len = (size_t)(next - cur->text);
        }
        line = next;
    }
    return true;
}

/* Past a string literal that opens at s: a quote, or "[[" (long brackets
 * with '=' in them are not recognised; the scripts use none). */
static const char *skip_string(const char *s, const char *end)
{
    if (*s == '[') {
        for (s += 2; s + 1 < end; s++)
            if (s[0] == ']' && s[1] == ']')
                return s + 2;
        return end;
    }
    char quote = *s++;
    while (s < end && *s != quote && *s != '\n')
        s += (*s == '\\' && s + 1 < end) ? 2 : 1;
    return s < end ? s + 1 : end;
}

static void mark_used(defs *all, const char *text, size_t len);

static void use_name(defs *all, const char *w, size_t n)
{
    for (int i = 0; i < all->n; i++) {
        def *d = &all->d[i];
        for (int k = 0; k < d->nnames && !d->used; k++) {
            if (d->name_len[k] != n || memcmp(d->name[k], w, n) != 0)
                continue;
            d->used = true;
            mark_used(all, d->text, d->len);
        }
    }
}

/* Marks every definition a text names, and those they name in turn. */
static void mark_used(defs *all, const char *text, size_t len)
{
    const char *s = text, *end = text + len;
    while (s < end) {
        if (s[0] == '-' && s + 1 < end && s[1] == '-') {
            while (s < end && *s != '\n')
                s++;
        } else if (*s == '\'' || *s == '"' || (s[0] == '[' && s + 1 < end && s[1] == '[')) {
            s = skip_string(s, end);
        } else if (is_word_start(*s)) {
            size_t n = word_len(s, end);
            use_name(all, s, n);
            s += n;
        } else if (isdigit((unsigned char)*s)) {
            s += word_len(s, end);
        } else {
            s++;
        }
    }
}

char *dm_store_script_compose(const dm_embedded *sources, const char *name)
{
    const char *body = NULL;
    for (const dm_embedded *e = sources; e->name && !body; e++)
        if (strcmp(e->name, name) == 0)
            body = e->text;
    if (!body || name[0] == '_')
        return NULL;
    defs *all = calloc(1, sizeof *all);
    char *text = NULL;
    if (!all)
        return NULL;
    for (const dm_embedded *e = sources; e->name; e++)
        if (e->name[0] == '_' && !split_definitions(e->text, all))
            goto out;
    mark_used(all, body, strlen(body));
    size_t n = strlen(body) + 1;
    for (int i = 0; i < all->n; i++)
        n += all->d[i].used ? all->d[i].len + 1 : 0;
    text = malloc(n);
    if (!text)
        goto out;
    char *at = text;
    for (int i = 0; i < all->n; i++) {
        const def *d = &all->d[i];
        if (!d->used)
            continue;
        memcpy(at, d->text, d->len);
        at += d->len;
        if (d->text[d->len - 1] != '\n')
            *at++ = '\n';
    }
    strcpy(at, body);
out:
    free(all);
    return text;
}

char *dm_store_script_text(const char *name)
{
    return dm_store_script_compose(dm_script_sources, name);
}

bool dm_store_script_sha(const char *text, char out[41])
{
    unsigned char md[SHA_DIGEST_LENGTH];
    if (!SHA1((const unsigned char *)text, strlen(text), md))
        return false;
    for (int i = 0; i < SHA_DIGEST_LENGTH; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return true;
}
