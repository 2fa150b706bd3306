/* Tables written straight into their output format as the rows come, so a
 * year of raw records never exists twice in memory: JSON objects keyed by
 * column, CSV lines (RFC 4180, CRLF), or cells kept for the terminal, which
 * aligns them once all are in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct rtab {
    dm_report_format fmt;
    const char *name;
    const char *const *cols;
    int ncols, col;
    bool in_row, in_total, has_total;
    dm_buf rows, total; /* JSON and CSV */
    size_t nrows;
    char **cells; /* terminal: ncols per row, the total row last */
    size_t ncells, capcells;
    bool numeric[64];
    dm_buf keys;         /* JSON: each column's "name": one after the other */
    size_t keyat[65];    /* where each starts in keys */
    bool oom;
};

rtab *rtab_new(dm_report_format fmt, const char *name, const char *const *cols)
{
    rtab *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    report_zone_check();
    t->fmt = fmt;
    t->name = name;
    t->cols = cols;
    while (cols[t->ncols] && t->ncols < 64)
        t->ncols++;
    for (int c = 0; c < t->ncols; c++) {
        t->keyat[c] = t->keys.len;
        buf_json_str(&t->keys, cols[c]);
        buf_add(&t->keys, ":", 1);
    }
    t->keyat[t->ncols] = t->keys.len;
    /* A CSV table is its header line, its rows and its total, one after the
     * other: the rows go straight after the header, so that rendering hands
     * that buffer over rather than copying a year of rows. */
    for (int c = 0; fmt == DM_REPORT_CSV && c < t->ncols; c++)
        buf_printf(&t->rows, "%s%s", c ? "," : "", cols[c]);
    if (fmt == DM_REPORT_CSV)
        buf_add(&t->rows, "\r\n", 2);
    if (t->keys.oom || t->rows.oom) {
        rtab_free(t);
        return NULL;
    }
    return t;
}

static dm_buf *target(rtab *t)
{
    return t->in_total ? &t->total : &t->rows;
}

/* Writes empty cells for what a row left out, and closes it. */
static void end_row(rtab *t)
{
    if (!t->in_row)
        return;
    while (t->col < t->ncols)
        rtab_null(t);
    if (t->fmt == DM_REPORT_JSON)
        buf_add(target(t), "}", 1);
    else if (t->fmt == DM_REPORT_CSV)
        buf_add(target(t), "\r\n", 2);
    t->in_row = false;
}

static void begin(rtab *t, bool total)
{
    end_row(t);
    t->in_total = total;
    t->has_total |= total;
    t->in_row = true;
    t->col = 0;
    if (!total)
        t->nrows++;
    if (t->fmt == DM_REPORT_JSON && !total && t->nrows > 1)
        buf_add(&t->rows, ",", 1);
    if (t->fmt == DM_REPORT_JSON)
        buf_add(target(t), "{", 1);
}

void rtab_row(rtab *t)
{
    begin(t, false);
}

void rtab_total(rtab *t)
{
    begin(t, true);
}

static void keep_cell(rtab *t, const char *text)
{
    if (t->ncells == t->capcells) {
        size_t cap = t->capcells ? t->capcells * 2 : 64;
        char **cells = realloc(t->cells, cap * sizeof *cells);
        if (!cells) {
            t->oom = true;
            return;
        }
        t->cells = cells;
        t->capcells = cap;
    }
    char *c = strdup(text);
    if (!c)
        t->oom = true;
    else
        t->cells[t->ncells++] = c;
}

/* Text that goes into CSV as it is (dm_report_csv_field would not change it). */
static bool plain_csv(const char *s)
{
    if (strchr("=+-@\t\r", s[0]) && s[0])
        return false;
    for (; *s; s++)
        if (*s == ',' || *s == '"' || *s == '\r' || *s == '\n')
            return false;
    return true;
}

/* One cell: text is NULL for null; json_raw when it is a JSON number. */
static void cell(rtab *t, const char *text, bool number)
{
    if (!t->in_row || t->col >= t->ncols)
        return;
    int col = t->col++;
    dm_buf *b = target(t);
    if (number)
        t->numeric[col] = true;
    if (t->fmt == DM_REPORT_TEXT) {
        keep_cell(t, text ? text : (t->in_total && col == 0 ? "total" : ""));
        return;
    }
    if (t->fmt == DM_REPORT_CSV) {
        if (col > 0)
            buf_add(b, ",", 1);
        if (!text && t->in_total && col == 0)
            buf_str(b, "TOTAL");
        else if (text && number)
            buf_str(b, text);
        else if (text && plain_csv(text))
            buf_str(b, text);
        else if (text) {
            size_t need = dm_report_csv_field(text, NULL, 0);
            if (buf_reserve(b, need) && dm_report_csv_field(text, b->p + b->len, need + 1) == need)
                b->len += need;
            else
                b->oom = true;
        }
        return;
    }
    if (col > 0)
        buf_add(b, ",", 1);
    buf_add(b, t->keys.p + t->keyat[col], t->keyat[col + 1] - t->keyat[col]);
    if (!text)
        buf_str(b, "null");
    else if (number)
        buf_str(b, text);
    else
        buf_json_str(b, text);
}

void rtab_int(rtab *t, long long v)
{
    char s[24], *p = s + sizeof s - 1;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    *p = '\0';
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    cell(t, p, true);
}

void rtab_fixed(rtab *t, double v, int decimals)
{
    char s[48];
    snprintf(s, sizeof s, "%.*f", decimals, v);
    cell(t, s, true);
}

void rtab_str(rtab *t, const char *s)
{
    cell(t, s, false);
}

void rtab_null(rtab *t)
{
    cell(t, NULL, false);
}

void rtab_time(rtab *t, int64_t ms)
{
    char iso[32];
    if (ms <= 0) {
        rtab_null(t);
        return;
    }
    report_iso_time(ms, iso);
    cell(t, iso, false);
}

void rtab_free(rtab *t)
{
    if (!t)
        return;
    buf_free(&t->rows);
    buf_free(&t->total);
    buf_free(&t->keys);
    for (size_t i = 0; i < t->ncells; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}

static void json_table(dm_buf *out, rtab *t)
{
    buf_json_str(out, t->name);
    buf_str(out, ":{\"columns\":[");
    for (int c = 0; c < t->ncols; c++) {
        if (c)
            buf_add(out, ",", 1);
        buf_json_str(out, t->cols[c]);
    }
    buf_str(out, "],\"rows\":[");
    buf_add(out, t->rows.p ? t->rows.p : "", t->rows.len);
    buf_str(out, "],\"total\":");
    buf_str(out, t->has_total ? t->total.p : "null");
    buf_str(out, "}");
}

/* The CSV document is the table's own buffer (header and rows), taken over. */
static void csv_table(dm_buf *out, rtab *t)
{
    buf_free(out);
    *out = t->rows;
    t->rows = (dm_buf){0};
    buf_add(out, t->total.p ? t->total.p : "", t->total.len);
}

static void text_rule(dm_buf *out, const size_t *w, int ncols)
{
    for (int c = 0; c < ncols; c++)
        for (size_t i = 0; i < w[c] + (c ? 2 : 0); i++)
            buf_add(out, "-", 1);
    buf_add(out, "\n", 1);
}

static void text_line(dm_buf *out, const rtab *t, const size_t *w, char *const *cells)
{
    for (int c = 0; c < t->ncols; c++) {
        int pad = (int)w[c];
        buf_printf(out, "%s%*s", c ? "  " : "", t->numeric[c] ? pad : -pad, cells[c]);
    }
    buf_add(out, "\n", 1);
}

static void text_table(dm_buf *out, rtab *t)
{
    size_t w[64];
    for (int c = 0; c < t->ncols; c++)
        w[c] = strlen(t->cols[c]);
    for (size_t i = 0; i < t->ncells; i++) {
        size_t n = strlen(t->cells[i]);
        if (n > w[i % (size_t)t->ncols])
            w[i % (size_t)t->ncols] = n;
    }
    buf_printf(out, "\n%s\n", t->name);
    text_line(out, t, w, (char *const *)t->cols);
    text_rule(out, w, t->ncols);
    size_t rows = t->ncells / (size_t)t->ncols;
    for (size_t r = 0; r < rows; r++) {
        if (t->has_total && r == rows - 1)
            text_rule(out, w, t->ncols);
        text_line(out, t, w, t->cells + r * (size_t)t->ncols);
    }
}

static void text_doc(dm_buf *out, const char *const *meta, rtab **tabs, size_t n)
{
    for (const char *const *m = meta; m[0]; m += 2)
        if (m[1][0])
            buf_printf(out, "%s%s: %s", m == meta ? "" : "  ", m[0], m[1]);
    buf_add(out, "\n", 1);
    for (size_t i = 0; i < n; i++)
        text_table(out, tabs[i]);
}

static void json_doc(dm_buf *out, const char *const *meta, rtab **tabs, size_t n)
{
    buf_add(out, "{", 1);
    for (const char *const *m = meta; m[0]; m += 2) {
        buf_json_str(out, m[0]);
        buf_add(out, ":", 1);
        buf_json_str(out, m[1]);
        buf_add(out, ",", 1);
    }
    buf_str(out, "\"tables\":{");
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_add(out, ",", 1);
        json_table(out, tabs[i]);
    }
    buf_str(out, "}}");
}

char *rtab_render(dm_report_format fmt, const char *const *meta, rtab **tabs, size_t n, const char *table,
                  size_t *len)
{
    dm_buf out = {0};
    bool oom = false;
    for (size_t i = 0; i < n; i++) {
        end_row(tabs[i]);
        oom |= tabs[i]->oom || tabs[i]->rows.oom || tabs[i]->total.oom;
    }
    if (fmt == DM_REPORT_JSON)
        json_doc(&out, meta, tabs, n);
    else if (fmt == DM_REPORT_TEXT)
        text_doc(&out, meta, tabs, n);
    for (size_t i = 0; fmt == DM_REPORT_CSV && i < n; i++)
        if (table[0] ? strcmp(table, tabs[i]->name) == 0 : i == 0)
            csv_table(&out, tabs[i]);
    if (oom || out.oom || !out.p) {
        buf_free(&out);
        return NULL;
    }
    *len = out.len;
    return out.p;
}
