/* Text helpers of the protocol room: UTF-8, error messages and field paths. */
#include "schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Bytes in the UTF-8 sequence at s (n available), 0 when it is not valid. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    static const unsigned long least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (s[0] < 0x80)
        return 1;
    size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
    if (len == 0 || len > n || s[0] > 0xF4)
        return 0;
    unsigned long cp = s[0] & (0x3Fu >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    if (cp < least[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

long dm_utf8_length(const char *s, size_t n)
{
    long count = 0;
    for (size_t i = 0; i < n; count++) {
        size_t k = utf8_sequence((const unsigned char *)s + i, n - i);
        if (k == 0)
            return -1;
        i += k;
    }
    return count;
}

void dm_utf8_trim(char *s)
{
    size_t len = strlen(s), lead = len;
    while (lead > 0 && ((unsigned char)s[lead - 1] & 0xC0) == 0x80)
        lead--;
    if (lead == 0) {
        s[0] = '\0';
        return;
    }
    lead--;
    if (utf8_sequence((const unsigned char *)s + lead, len - lead) == 0)
        s[lead] = '\0';
}

void dm_copy_text(char *dst, size_t size, const char *src)
{
    if (snprintf(dst, size, "%s", src) >= (int)size)
        dm_utf8_trim(dst);
}

void dm_proto_set_error(dm_proto_error *err, dm_err_code code, const char *field, const char *fmt, ...)
{
    if (!err)
        return;
    err->code = code;
    dm_copy_text(err->field, sizeof err->field, field ? field : "");
    char text[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof text)
        dm_utf8_trim(text);
    if (err->field[0])
        n = snprintf(err->message, sizeof err->message, "%s: %s", err->field, text);
    else
        n = snprintf(err->message, sizeof err->message, "%s", text);
    if (n >= (int)sizeof err->message)
        dm_utf8_trim(err->message);
}

/* Copied, not printed: the validator adds the key of every member it checks. */
size_t dm_path_key(dm_path *p, const char *key)
{
    size_t saved = p->len, room = sizeof p->s - 1 - saved, klen = strlen(key);
    char *at = p->s + saved;
    if (saved && room) {
        *at++ = '.';
        room--;
    }
    size_t n = klen < room ? klen : room;
    memcpy(at, key, n);
    at[n] = '\0';
    p->len = (size_t)(at + n - p->s);
    if (n < klen) {
        dm_utf8_trim(p->s);
        p->len = strlen(p->s);
    }
    return saved;
}

size_t dm_path_index(dm_path *p, int i)
{
    size_t saved = p->len;
    snprintf(p->s + saved, sizeof p->s - saved, "[%d]", i);
    p->len = strlen(p->s);
    return saved;
}

void dm_path_pop(dm_path *p, size_t saved)
{
    p->len = saved;
    p->s[saved] = '\0';
}

