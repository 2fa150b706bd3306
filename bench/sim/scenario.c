/* Scenario files to structs. Every field is checked, and a missing optional
 * field takes the default documented in bench/README.md. */
#include "scenario.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    char *err;
    size_t errlen;
    bool ok;
} parser;

static bool bad(parser *p, const char *fmt, ...)
{
    if (p->ok) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err, p->errlen, fmt, ap);
        va_end(ap);
    }
    p->ok = false;
    return false;
}

static double num(parser *p, const cJSON *o, const char *key, double def, double min, double max)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        return def;
    if (!cJSON_IsNumber(v) || v->valuedouble < min || v->valuedouble > max) {
        bad(p, "%s: must be a number from %g to %g", key, min, max);
        return def;
    }
    return v->valuedouble;
}

static void str(parser *p, const cJSON *o, const char *key, char *out, size_t outlen, const char *def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        snprintf(out, outlen, "%s", def);
        return;
    }
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= outlen) {
        bad(p, "%s: must be a string of fewer than %zu characters", key, outlen);
        return;
    }
    snprintf(out, outlen, "%s", v->valuestring);
}

static void dist(parser *p, const cJSON *o, const char *key, sim_dist *d, sim_dist def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *d = def;
    if (!v)
        return;
    if (!cJSON_IsObject(v)) {
        bad(p, "%s: must be an object {mean, sd, min, max}", key);
        return;
    }
    d->mean = num(p, v, "mean", def.mean, 0, 1e7);
    d->sd = num(p, v, "sd", def.sd, 0, 1e7);
    d->min = num(p, v, "min", def.min, 0, 1e7);
    d->max = num(p, v, "max", def.max, 0, 1e7);
}

void sim_policy_defaults(sim_policy *pol)
{
    *pol = (sim_policy){.fanout = 3, .offer_timeout_ms = 45000, .escalate_after_ms = 120000,
                        .unfilled_after_ms = 900000, .scheduled_lead_ms = 1800000, .match_scan = 256, .tick_ms = 250};
}

static void parse_policy(parser *p, const cJSON *o, sim_policy *pol)
{
    sim_policy_defaults(pol);
    if (!o)
        return;
    pol->fanout = (int)num(p, o, "offer_fanout", pol->fanout, 1, SIM_FANOUT_ALL);
    pol->offer_timeout_ms = (int64_t)(num(p, o, "offer_timeout_s", 45, 5, 600) * 1000);
    pol->escalate_after_ms = (int64_t)(num(p, o, "escalate_after_s", 120, 5, 86400) * 1000);
    pol->unfilled_after_ms = (int64_t)(num(p, o, "unfilled_after_s", 900, 10, 604800) * 1000);
    pol->scheduled_lead_ms = (int64_t)(num(p, o, "scheduled_lead_s", 1800, 0, 604800) * 1000);
    pol->match_scan = (int)num(p, o, "match_scan", 256, 8, 10000);
    pol->tick_ms = (int)num(p, o, "tick_ms", 250, 1, 60000);
}

int sim_scenario_lang(const sim_scenario *sc, const char *code)
{
    for (int i = 0; i < sc->nlangs; i++)
        if (strcmp(sc->langs[i], code) == 0)
            return i;
    return -1;
}

static void parse_langs(parser *p, const cJSON *arr, sim_scenario *sc)
{
    const cJSON *v;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0) {
        bad(p, "languages: must be a non-empty array of codes");
        return;
    }
    cJSON_ArrayForEach(v, arr)
    {
        if (!cJSON_IsString(v) || strlen(v->valuestring) > DM_LANG_MAX || sc->nlangs == SIM_MAX_LANGS) {
            bad(p, "languages: at most %d codes of up to %d letters", SIM_MAX_LANGS, DM_LANG_MAX);
            return;
        }
        snprintf(sc->langs[sc->nlangs++], DM_LANG_MAX + 1, "%s", v->valuestring);
    }
}

static void parse_profiles(parser *p, const cJSON *o, sim_scenario *sc)
{
    const cJSON *prof;
    cJSON_ArrayForEach(prof, o)
    {
        if (sc->nprofiles == SIM_MAX_PROFILES || !cJSON_IsArray(prof) || cJSON_GetArraySize(prof) != 24 ||
            strlen(prof->string) >= sizeof sc->profile_names[0]) {
            bad(p, "profiles.%s: must be an array of 24 weights (at most %d profiles)", prof->string,
                SIM_MAX_PROFILES);
            return;
        }
        int i = sc->nprofiles++;
        snprintf(sc->profile_names[i], sizeof sc->profile_names[i], "%s", prof->string);
        for (int h = 0; h < 24; h++) {
            const cJSON *w = cJSON_GetArrayItem(prof, h);
            if (!cJSON_IsNumber(w) || w->valuedouble < 0)
                bad(p, "profiles.%s[%d]: must be a weight >= 0", prof->string, h);
            else
                sc->profiles[i][h] = w->valuedouble;
        }
    }
}

static int profile_index(const sim_scenario *sc, const char *name)
{
    for (int i = 0; i < sc->nprofiles; i++)
        if (strcmp(sc->profile_names[i], name) == 0)
            return i;
    return -1;
}

static void parse_weekdays(parser *p, const cJSON *arr, double out[7])
{
    for (int d = 0; d < 7; d++)
        out[d] = 1;
    if (!arr)
        return;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != 7) {
        bad(p, "weekday: must be an array of 7 weights, Monday first");
        return;
    }
    for (int d = 0; d < 7; d++)
        out[d] = cJSON_GetArrayItem(arr, d)->valuedouble;
}

static void parse_streams(parser *p, const cJSON *arr, int clinic, sim_scenario *sc)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, arr)
    {
        if (sc->nstreams == SIM_MAX_STREAMS) {
            bad(p, "requests: at most %d streams in all", SIM_MAX_STREAMS);
            return;
        }
        sim_stream *s = &sc->streams[sc->nstreams++];
        char lang[DM_LANG_MAX + 1], prof[24];
        str(p, r, "language", lang, sizeof lang, "");
        str(p, r, "profile", prof, sizeof prof, "");
        s->clinic = clinic;
        s->lang = sim_scenario_lang(sc, lang);
        s->profile = profile_index(sc, prof);
        s->per_day = num(p, r, "per_day", 1, 0, 1e7);
        parse_weekdays(p, cJSON_GetObjectItemCaseSensitive(r, "weekday"), s->weekday);
        if (s->lang < 0)
            bad(p, "requests.language: \"%s\" is not in languages", lang);
        if (s->profile < 0)
            bad(p, "requests.profile: no profile \"%s\"", prof);
    }
}

static void parse_clinic(parser *p, const cJSON *o, sim_clinic *c)
{
    str(p, o, "name", c->name, sizeof c->name, "clinic");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "modality");
    for (int i = 0; i < DM_MODALITY__COUNT; i++)
        c->modality[i] = num(p, m, dm_modality_name((dm_modality)i), i == DM_MODALITY_PHONE ? 1 : 0, 0, 1e6);
    dist(p, o, "session_min", &c->session_min, (sim_dist){30, 15, 5, 240});
    c->gender_preferred = num(p, o, "gender_preferred", 0, 0, 1);
    c->gender_required = num(p, o, "gender_required", 0, 0, 1);
    c->female = num(p, o, "female", 0.8, 0, 1);
    str(p, o, "specialty", c->specialty, sizeof c->specialty, "");
    c->specialty_share = num(p, o, "specialty_share", 0, 0, 1);
    c->scheduled_share = num(p, o, "scheduled_share", 0, 0, 1);
    const cJSON *adv = cJSON_GetObjectItemCaseSensitive(o, "advance_days");
    c->advance_days_min = 1;
    c->advance_days_max = 7;
    if (adv && (!cJSON_IsArray(adv) || cJSON_GetArraySize(adv) != 2 || cJSON_GetArrayItem(adv, 0)->valueint < 1 ||
                cJSON_GetArrayItem(adv, 1)->valueint < cJSON_GetArrayItem(adv, 0)->valueint))
        bad(p, "advance_days: must be [min, max] days, 1 <= min <= max");
    else if (adv) {
        c->advance_days_min = cJSON_GetArrayItem(adv, 0)->valueint;
        c->advance_days_max = cJSON_GetArrayItem(adv, 1)->valueint;
    }
}

static void parse_clinics(parser *p, const cJSON *arr, sim_scenario *sc)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        if (sc->nclinics == SIM_MAX_CLINICS) {
            bad(p, "clinics: at most %d", SIM_MAX_CLINICS);
            return;
        }
        int i = sc->nclinics++;
        parse_clinic(p, o, &sc->clinics[i]);
        parse_streams(p, cJSON_GetObjectItemCaseSensitive(o, "requests"), i, sc);
    }
}

/* "mon-fri", "sat-sun", "all" or one day's name. */
static unsigned parse_days(parser *p, const char *s)
{
    static const char *const names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    if (strcmp(s, "all") == 0)
        return 0x7f;
    int from = -1, to = -1;
    for (int d = 0; d < 7; d++) {
        if (strncmp(s, names[d], 3) == 0)
            from = d;
        if (strlen(s) == 7 && s[3] == '-' && strcmp(s + 4, names[d]) == 0)
            to = d;
    }
    if (from < 0 || (strlen(s) != 3 && to < 0)) {
        bad(p, "shifts.days: \"%s\" is not all, a day (mon) or a range (mon-fri)", s);
        return 0;
    }
    unsigned bits = 0;
    for (int d = from;; d = (d + 1) % 7) {
        bits |= 1u << d;
        if (to < 0 || d == to)
            break;
    }
    return bits;
}

static int parse_clock(parser *p, const cJSON *o, const char *key)
{
    char s[8];
    int h = 0, m = 0;
    str(p, o, key, s, sizeof s, "00:00");
    if (sscanf(s, "%d:%d", &h, &m) != 2 || h < 0 || h > 24 || m < 0 || m > 59)
        bad(p, "shifts.%s: must be \"HH:MM\"", key);
    return h * 60 + m;
}

static void parse_shifts(parser *p, const cJSON *arr, sim_group *g)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        if (g->nshifts == SIM_MAX_SHIFTS) {
            bad(p, "shifts: at most %d per group", SIM_MAX_SHIFTS);
            return;
        }
        sim_shift *s = &g->shifts[g->nshifts++];
        char days[16];
        str(p, o, "days", days, sizeof days, "all");
        s->days = parse_days(p, days);
        s->from_min = parse_clock(p, o, "from");
        s->to_min = parse_clock(p, o, "to");
    }
}

static void parse_group_langs(parser *p, const cJSON *o, sim_group *g)
{
    const cJSON *l;
    cJSON_ArrayForEach(l, o)
    {
        int level = cJSON_IsString(l) ? dm_level_parse(l->valuestring) : -1;
        if (g->nlangs == DM_MAX_LANGS || level <= 0 || strlen(l->string) > DM_LANG_MAX) {
            bad(p, "interpreters.languages.%s: must be volunteer, trained or certified", l->string);
            return;
        }
        snprintf(g->langs[g->nlangs], DM_LANG_MAX + 1, "%s", l->string);
        g->levels[g->nlangs++] = (dm_level)level;
    }
}

static void parse_words(parser *p, const cJSON *arr, sim_group *g)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(arr, "modalities"))
    {
        int m = cJSON_IsString(v) ? dm_modality_parse(v->valuestring) : -1;
        if (m < 0)
            bad(p, "interpreters.modalities: phone, video or onsite");
        else
            g->modalities |= 1u << m;
    }
    if (!g->modalities)
        g->modalities = (1u << DM_MODALITY_PHONE) | (1u << DM_MODALITY_VIDEO);
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(arr, "specialties"))
    {
        if (!cJSON_IsString(v) || g->nspecialties == DM_MAX_SPECIALTIES || strlen(v->valuestring) > DM_SPECIALTY_MAX)
            bad(p, "interpreters.specialties: at most %d names", DM_MAX_SPECIALTIES);
        else
            snprintf(g->specialties[g->nspecialties++], DM_SPECIALTY_MAX + 1, "%s", v->valuestring);
    }
}

static void parse_group(parser *p, const cJSON *o, sim_group *g)
{
    str(p, o, "group", g->name, sizeof g->name, "group");
    g->count = (int)num(p, o, "count", 1, 0, 100000);
    parse_group_langs(p, cJSON_GetObjectItemCaseSensitive(o, "languages"), g);
    if (g->nlangs == 0)
        bad(p, "interpreters.languages: group %s speaks nothing", g->name);
    g->female_share = num(p, o, "female_share", 0.5, 0, 1);
    parse_words(p, o, g);
    parse_shifts(p, cJSON_GetObjectItemCaseSensitive(o, "shifts"), g);
    g->show = num(p, o, "show", 1, 0, 1);
    g->accept = num(p, o, "accept", 0.8, 0, 1);
    g->decline = num(p, o, "decline", 0.1, 0, 1);
    if (g->accept + g->decline > 1)
        bad(p, "interpreters: accept + decline must not exceed 1 (group %s)", g->name);
    dist(p, o, "accept_delay_s", &g->accept_delay_s, (sim_dist){20, 15, 2, 0});
    dist(p, o, "decline_delay_s", &g->decline_delay_s, (sim_dist){10, 8, 1, 0});
}

static void parse_groups(parser *p, const cJSON *arr, sim_scenario *sc)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        if (sc->ngroups == SIM_MAX_GROUPS) {
            bad(p, "interpreters: at most %d groups", SIM_MAX_GROUPS);
            return;
        }
        parse_group(p, o, &sc->groups[sc->ngroups++]);
    }
}

static int group_index(const sim_scenario *sc, const char *name)
{
    for (int i = 0; i < sc->ngroups; i++)
        if (strcmp(sc->groups[i].name, name) == 0)
            return i;
    return -1;
}

static void parse_staffing(parser *p, const cJSON *o, sim_scenario *sc)
{
    sim_staffing *st = &sc->staffing;
    if (!o)
        return;
    char group[24], lang[DM_LANG_MAX + 1];
    str(p, o, "group", group, sizeof group, "");
    str(p, o, "language", lang, sizeof lang, "");
    st->set = true;
    st->group = group_index(sc, group);
    st->lang = sim_scenario_lang(sc, lang);
    st->from_h = (int)num(p, o, "from_h", 17, 0, 23);
    st->to_h = (int)num(p, o, "to_h", 22, 1, 24);
    st->within_min = num(p, o, "within_min", 5, 0, 1e4);
    st->target = num(p, o, "target", 0.95, 0, 1);
    st->max = (int)num(p, o, "max", 30, 0, 10000);
    if (st->group < 0 || st->lang < 0)
        bad(p, "staffing: group \"%s\" and language \"%s\" must exist", group, lang);
}

/* A list of numbers; "all" stands for the largest fan-out. */
static int parse_ints(parser *p, const cJSON *o, const char *key, int *out)
{
    int n = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(o, key))
    {
        if (n == SIM_MAX_VARIANTS)
            break;
        if (cJSON_IsString(v) && strcmp(v->valuestring, "all") == 0)
            out[n++] = SIM_FANOUT_ALL;
        else if (cJSON_IsNumber(v) && v->valueint > 0)
            out[n++] = v->valueint;
        else
            bad(p, "compare.%s: numbers (or \"all\")", key);
    }
    return n;
}

static void parse_compare(parser *p, const cJSON *o, sim_compare *c)
{
    c->nfanouts = parse_ints(p, o, "offer_fanout", c->fanouts);
    c->ntimeouts = parse_ints(p, o, "offer_timeout_s", c->timeouts_s);
    c->nescalates = parse_ints(p, o, "escalate_after_s", c->escalates_s);
}

bool sim_scenario_parse(const char *json, sim_scenario *sc, char *err, size_t errlen)
{
    parser p = {.err = err, .errlen = errlen, .ok = true};
    memset(sc, 0, sizeof *sc);
    cJSON *root = cJSON_Parse(json);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return bad(&p, "not a JSON object");
    }
    str(&p, root, "name", sc->name, sizeof sc->name, "scenario");
    sc->seed = (uint64_t)num(&p, root, "seed", 1, 0, 9e15);
    sc->days = num(&p, root, "days", 28, 0.01, 36500);
    sc->start_weekday = (int)num(&p, root, "start_weekday", 0, 0, 6);
    parse_policy(&p, cJSON_GetObjectItemCaseSensitive(root, "policy"), &sc->policy);
    parse_langs(&p, cJSON_GetObjectItemCaseSensitive(root, "languages"), sc);
    parse_profiles(&p, cJSON_GetObjectItemCaseSensitive(root, "profiles"), sc);
    parse_clinics(&p, cJSON_GetObjectItemCaseSensitive(root, "clinics"), sc);
    parse_groups(&p, cJSON_GetObjectItemCaseSensitive(root, "interpreters"), sc);
    parse_staffing(&p, cJSON_GetObjectItemCaseSensitive(root, "staffing"), sc);
    parse_compare(&p, cJSON_GetObjectItemCaseSensitive(root, "compare"), &sc->compare);
    cJSON_Delete(root);
    return p.ok;
}

sim_scenario *sim_scenario_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = len >= 0 ? malloc((size_t)len + 1) : NULL;
    sim_scenario *sc = malloc(sizeof *sc);
    bool ok = text && sc && fread(text, 1, (size_t)len, f) == (size_t)len;
    fclose(f);
    if (ok) {
        text[len] = '\0';
        ok = sim_scenario_parse(text, sc, err, errlen);
    } else {
        snprintf(err, errlen, "cannot read %s", path);
    }
    free(text);
    if (!ok) {
        free(sc);
        return NULL;
    }
    return sc;
}
