/* Report parameters, from a query string: which period, grouped how,
 * filtered by what, in which format. Each kind takes only the parameters
 * that mean something for it; anything else is refused, naming it. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

enum { P_BY = 1, P_PER = 2, P_LANGUAGE = 4, P_INSTITUTION = 8, P_INTERPRETER = 16 };

#define DIM(d) (1u << (d))
#define CATEGORIES (DIM(DM_DIM_LANGUAGE) | DIM(DM_DIM_INSTITUTION) | DIM(DM_DIM_INTERPRETER) | \
                    DIM(DM_DIM_MODALITY) | DIM(DM_DIM_SPECIALTY))
#define TIMES (DIM(DM_DIM_DAY) | DIM(DM_DIM_WEEK) | DIM(DM_DIM_MONTH))
#define FILTERS (P_LANGUAGE | P_INSTITUTION | P_INTERPRETER)

static const struct {
    const char *name;
    unsigned params;
    unsigned by; /* dimensions allowed for by */
    dm_report_dim by_default;
} kinds[DM_REPORT__COUNT] = {
    [DM_REPORT_HOURS] = {"hours", P_BY | P_PER, CATEGORIES | TIMES, DM_DIM_LANGUAGE},
    [DM_REPORT_SPEED] = {"speed", P_BY, DIM(DM_DIM_LANGUAGE) | DIM(DM_DIM_INSTITUTION), DM_DIM_LANGUAGE},
    [DM_REPORT_FILL] = {"fill", P_BY, DIM(DM_DIM_LANGUAGE) | DIM(DM_DIM_INSTITUTION), DM_DIM_LANGUAGE},
    [DM_REPORT_SUPPLY] = {"supply", P_LANGUAGE, 0, DM_DIM_NONE},
    [DM_REPORT_FAIRNESS] = {"fairness", 0, 0, DM_DIM_NONE},
    [DM_REPORT_FEEDBACK] = {"feedback", P_BY | FILTERS,
                            DIM(DM_DIM_LANGUAGE) | DIM(DM_DIM_INSTITUTION) | DIM(DM_DIM_INTERPRETER),
                            DM_DIM_INTERPRETER},
    [DM_REPORT_SESSIONS] = {"sessions", FILTERS, 0, DM_DIM_NONE},
    [DM_REPORT_REQUESTS] = {"requests", FILTERS, 0, DM_DIM_NONE},
};

static const char *const dim_names[DM_DIM__COUNT] = {"",          "language", "institution", "interpreter", "modality",
                                                     "specialty", "day",      "week",        "month"};

const char *dm_report_kind_name(dm_report_kind k)
{
    return (unsigned)k < DM_REPORT__COUNT ? kinds[k].name : "";
}

bool dm_report_kind_parse(const char *name, dm_report_kind *out)
{
    for (int k = 0; k < DM_REPORT__COUNT; k++)
        if (strcmp(name, kinds[k].name) == 0) {
            *out = (dm_report_kind)k;
            return true;
        }
    return false;
}

const char *dm_report_dim_name(dm_report_dim d)
{
    return (unsigned)d < DM_DIM__COUNT ? dim_names[d] : "";
}

static bool dim_parse(const char *s, dm_report_dim *out)
{
    for (int d = 1; d < DM_DIM__COUNT; d++)
        if (strcmp(s, dim_names[d]) == 0) {
            *out = (dm_report_dim)d;
            return true;
        }
    return false;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes src[0..n) into out; false when malformed or too long. */
static bool decode(const char *src, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        if (c == '%') {
            int hi = i + 2 < n ? hexval(src[i + 1]) : -1;
            int lo = hi >= 0 ? hexval(src[i + 2]) : -1;
            if (lo < 0)
                return false;
            c = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (c == '\0' || o + 1 >= cap)
            return false;
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

static bool is_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > DM_REPORT_ID_MAX || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
        return false;
    for (const char *p = s; *p; p++)
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_' && *p != '-')
            return false;
    return true;
}

static bool is_language(const char *s)
{
    size_t n = strlen(s);
    for (const char *p = s; *p; p++)
        if (!islower((unsigned char)*p))
            return false;
    return n >= 2 && n <= 3;
}

typedef struct parse_ctx {
    dm_report_query *q;
    char *field;
    char *err;
    size_t errlen;
    unsigned seen;
    bool has_from, has_to;
} parse_ctx;

/* Copies as much of src as fits. */
static void copy(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static bool refuse(parse_ctx *c, const char *field, const char *why)
{
    copy(c->field, 24, field);
    snprintf(c->err, c->errlen, "%s: %s", field, why);
    return false;
}

static bool set_filter(parse_ctx *c, const char *key, const char *v, char *dst, bool language)
{
    if (language ? !is_language(v) : !is_id(v))
        return refuse(c, key, language ? "must be 2-3 lowercase letters" : "must be an id (a-z, 0-9, _ and -)");
    copy(dst, DM_REPORT_ID_MAX + 1, v);
    return true;
}

static bool set_format(parse_ctx *c, const char *v)
{
    static const char *const names[] = {"json", "csv"};
    for (int i = 0; i < 2; i++)
        if (strcmp(v, names[i]) == 0) {
            c->q->format = (dm_report_format)i;
            return true;
        }
    return refuse(c, "format", "must be json or csv");
}

static bool set_table(parse_ctx *c, const char *v)
{
    for (const char *const *t = report_tables(c->q->kind); *t; t++)
        if (strcmp(*t, v) == 0) {
            copy(c->q->table, sizeof c->q->table, v);
            return true;
        }
    return refuse(c, "table", "not a table of this report");
}

static bool set_param(parse_ctx *c, const char *key, const char *v)
{
    static const char *const names[] = {"from", "to", "by", "per", "format", "table", "language", "institution",
                                        "interpreter"};
    static const unsigned need[] = {0, 0, P_BY, P_PER, 0, 0, P_LANGUAGE, P_INSTITUTION, P_INTERPRETER};
    int i = 0;
    while (i < 9 && strcmp(key, names[i]) != 0)
        i++;
    if (i == 9 || (need[i] && !(kinds[c->q->kind].params & need[i])))
        return refuse(c, key, i == 9 ? "unknown parameter" : "not a parameter of this report");
    if (c->seen & (1u << i))
        return refuse(c, key, "given twice");
    c->seen |= 1u << i;
    dm_report_query *q = c->q;
    switch (i) {
    case 0:
        c->has_from = true;
        return dm_day_parse(v, &q->from) || refuse(c, key, "must be a date YYYY-MM-DD");
    case 1:
        c->has_to = true;
        return dm_day_parse(v, &q->to) || refuse(c, key, "must be a date YYYY-MM-DD");
    case 2:
        return (dim_parse(v, &q->by) && (kinds[q->kind].by & DIM(q->by))) ||
               refuse(c, key, "not a grouping of this report");
    case 3:
        return (dim_parse(v, &q->per) && (TIMES & DIM(q->per))) || refuse(c, key, "must be day, week or month");
    case 4:
        return set_format(c, v);
    case 5:
        return set_table(c, v);
    case 6:
        return set_filter(c, key, v, q->language, true);
    case 7:
        return set_filter(c, key, v, q->institution, false);
    default:
        return set_filter(c, key, v, q->interpreter, false);
    }
}

static bool check_whole(parse_ctx *c)
{
    dm_report_query *q = c->q;
    if (!c->has_from || !c->has_to)
        return refuse(c, c->has_from ? "to" : "from", "required, a date YYYY-MM-DD");
    if (q->to < q->from)
        return refuse(c, "to", "must not be before from");
    if (q->to - q->from + 1 > DM_REPORT_MAX_DAYS)
        return refuse(c, "to", "the period may span at most 1100 days");
    if (q->per != DM_DIM_NONE && (TIMES & DIM(q->by)))
        return refuse(c, "per", "not with a grouping by time");
    return true;
}

bool dm_report_parse(dm_report_kind kind, const char *qs, dm_report_query *q, char field[24], char *err,
                     size_t errlen)
{
    *q = (dm_report_query){.kind = kind, .by = kinds[kind].by_default};
    parse_ctx c = {.q = q, .field = field, .err = err, .errlen = errlen};
    field[0] = '\0';
    for (const char *p = qs; *p;) {
        size_t n = strcspn(p, "&");
        const char *eq = memchr(p, '=', n);
        char key[32], value[128];
        if (n > 0 && (!eq || !decode(p, (size_t)(eq - p), key, sizeof key) ||
                      !decode(eq + 1, n - (size_t)(eq - p) - 1, value, sizeof value)))
            return refuse(&c, "query", "malformed parameter");
        if (n > 0 && !set_param(&c, key, value))
            return false;
        p += n + (p[n] == '&');
    }
    return check_whole(&c);
}
