/* l10n.c - the clerk's language (see l10n.h). */
#include "config.h"
#include "l10n.h"

#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include "calendar.h"

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/share/locale"
#endif

const char *const gv_l10n_languages[] = { "ru", "kk", "en", NULL };

static const char *current = "en";

/* How the language writes numbers and dates, looked up once: a report
 * formats millions of cells, and each gettext call takes a lock and a
 * search. */
static struct formats {
    int ready;
    const char *group, *point, *money, *time, *date;
} fmt;

static const struct formats *formats(void)
{
    if (!fmt.ready) {
        /* TRANSLATORS: the thousands separator ("3 713,52": a no-break space). */
        fmt.group = C_("number", ",");
        /* TRANSLATORS: the decimal separator ("3 713,52": a comma). */
        fmt.point = C_("number", ".");
        /* TRANSLATORS: an amount in tenge; %s is the number ("3 713,52 ₸"). */
        fmt.money = C_("money", "%s ₸");
        /* TRANSLATORS: a local date and time: YYYY year, MM month, DD day, hh
         * hour, mm minute, ss second. */
        fmt.time = C_("date", "YYYY-MM-DD hh:mm");
        /* TRANSLATORS: a date: YYYY year, MM month, DD day. */
        fmt.date = C_("date", "YYYY-MM-DD");
        fmt.ready = 1;
    }
    return &fmt;
}

const char *gv_pgettext(const char *ctx_id, const char *id)
{
    const char *t = gettext(ctx_id);
    /* Untranslated, gettext hands back its argument, context and all. */
    return t == ctx_id ? id : t;
}

static const char *known(const char *code)
{
    for (size_t i = 0; gv_l10n_languages[i]; i++)
        if (!strcmp(gv_l10n_languages[i], code))
            return gv_l10n_languages[i];
    return NULL;
}

/* "ru_RU.UTF-8", "kk_KZ", "ru:en" -> "ru"; NULL when none of ours. */
static const char *from_locale_name(const char *name)
{
    char lang[8];
    size_t n = 0;

    if (!name || !*name)
        return NULL;
    while (name[n] && name[n] != '_' && name[n] != '.' && name[n] != ':' && name[n] != '@' &&
           n < sizeof lang - 1) {
        lang[n] = name[n];
        n++;
    }
    lang[n] = '\0';
    return known(lang);
}

const char *gv_l10n_pick(const char *want, const char *conf)
{
    static const char *const vars[] = { "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG" };
    const char *l;

    if (want)
        return known(want);
    if (conf)
        return known(conf);
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return (l = from_locale_name(v)) ? l : "en";
    }
    return "en";
}

static int utf8_ctype(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "utf8"));
}

int gv_l10n_init(const char *lang, const char *localedir)
{
    int rc = 0;
    const char *msgs;

    /* The user's character locale if it is UTF-8, else C.UTF-8 (glibc
     * has it built in); messages need a locale other than "C" for
     * LANGUAGE to count. */
    if (!setlocale(LC_CTYPE, "") || !utf8_ctype())
        if (!setlocale(LC_CTYPE, "C.UTF-8") || !utf8_ctype())
            rc = -1;
    msgs = setlocale(LC_MESSAGES, "");
    if (!msgs || !strcmp(msgs, "C") || !strcmp(msgs, "POSIX"))
        setlocale(LC_MESSAGES, "C.UTF-8");
    setenv("LANGUAGE", lang, 1);
    if (!localedir)
        localedir = getenv("GASVOUCHER_LOCALEDIR");
    bindtextdomain(PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
    bind_textdomain_codeset(PACKAGE, "UTF-8");
    textdomain(PACKAGE);
    current = known(lang) ? known(lang) : "en";
    fmt.ready = 0;
    return rc;
}

const char *gv_l10n_lang(void)
{
    return current;
}

/* Digits of |v| with the language's group separator every three. */
static void group_digits(uint64_t v, const char *sep, char *out, size_t n)
{
    char digits[24], tmp[96];
    size_t nd, pos = 0, seplen = strlen(sep);

    nd = (size_t)snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
    for (size_t i = 0; i < nd && pos + seplen + 2 < sizeof tmp; i++) {
        if (i && (nd - i) % 3 == 0) {
            memcpy(tmp + pos, sep, seplen);
            pos += seplen;
        }
        tmp[pos++] = digits[i];
    }
    tmp[pos] = '\0';
    snprintf(out, n, "%s", tmp);
}

char *gv_fmt_decimal(int64_t v, int scale, char *out, size_t n)
{
    const char *group = formats()->group, *point = formats()->point;
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, unit = 1;
    char whole[96];

    for (int i = 0; i < scale; i++)
        unit *= 10;
    group_digits(mag / unit, group, whole, sizeof whole);
    if (scale > 0) {
        char frac[24];
        uint64_t f = mag % unit;
        int k = scale < (int)sizeof frac - 1 ? scale : (int)sizeof frac - 1;
        frac[k] = '\0';
        for (int i = k - 1; i >= 0; i--, f /= 10)
            frac[i] = (char)('0' + f % 10);
        snprintf(out, n, "%s%s%s%s", v < 0 ? "-" : "", whole, point, frac);
    } else
        snprintf(out, n, "%s%s", v < 0 ? "-" : "", whole);
    return out;
}

char *gv_fmt_int(int64_t v, char *out, size_t n)
{
    return gv_fmt_decimal(v, 0, out, n);
}

/* Replaces the first "%s" of pattern with value (patterns come from the
 * catalogue, so never a printf format). */
static char *fill(const char *pattern, const char *value, char *out, size_t n)
{
    const char *at = strstr(pattern, "%s");

    if (!at)
        snprintf(out, n, "%s", value);
    else
        snprintf(out, n, "%.*s%s%s", (int)(at - pattern), pattern, value, at + 2);
    return out;
}

char *gv_fmt_money(int64_t tiyn, char *out, size_t n)
{
    char num[96];
    return fill(formats()->money, gv_fmt_decimal(tiyn, 2, num, sizeof num), out, n);
}

/* Expands YYYY, MM, DD, hh, mm, ss in pattern. */
static char *expand_date(const char *pattern, int y, int mo, int d, int h, int mi, int s,
                         char *out, size_t n)
{
    size_t pos = 0;

    for (const char *p = pattern; *p && pos + 5 < n;) {
        int v = -1, w = 2;
        if (!strncmp(p, "YYYY", 4)) { v = y; w = 4; }
        else if (!strncmp(p, "MM", 2)) v = mo;
        else if (!strncmp(p, "DD", 2)) v = d;
        else if (!strncmp(p, "hh", 2)) v = h;
        else if (!strncmp(p, "mm", 2)) v = mi;
        else if (!strncmp(p, "ss", 2)) v = s;
        if (v < 0) {
            out[pos++] = *p++;
            continue;
        }
        pos += (size_t)snprintf(out + pos, n - pos, "%0*d", w, v);
        p += w;
    }
    out[pos < n ? pos : n - 1] = '\0';
    return out;
}

char *gv_fmt_time(int64_t instant, char *out, size_t n)
{
    time_t t = (time_t)instant;
    struct tm tm;

    localtime_r(&t, &tm);
    return expand_date(formats()->time, tm.tm_year + 1900, tm.tm_mon + 1,
                       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, out, n);
}

char *gv_fmt_date(int32_t days, char *out, size_t n)
{
    int y, m, d;

    gv_civil_from_days(days, &y, &m, &d);
    return expand_date(formats()->date, y, m, d, 0, 0, 0, out, n);
}

size_t gv_display_width(const char *s)
{
    mbstate_t st;
    size_t width = 0, len;

    /* ASCII is a cell a byte: most of a report is digits and ids. */
    while (*s && (unsigned char)*s < 0x80) {
        width++;
        s++;
    }
    if (!*s)
        return width;
    len = strlen(s);
    memset(&st, 0, sizeof st);
    while (len) {
        wchar_t wc;
        size_t k;
        int w;
        if ((unsigned char)*s < 0x80) {
            width++;
            s++;
            len--;
            continue;
        }
        k = mbrtowc(&wc, s, len, &st);
        if (k == (size_t)-1 || k == (size_t)-2) {       /* not UTF-8 here: a byte a cell */
            memset(&st, 0, sizeof st);
            k = 1;
            w = 1;
        } else {
            if (k == 0)
                break;
            w = wcwidth(wc);
            if (w < 0)
                w = 1;
        }
        width += (size_t)w;
        s += k;
        len -= k;
    }
    return width;
}
