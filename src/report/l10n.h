/* l10n.h - the clerk's language: gettext, and money, numbers and dates as
 * that language writes them.
 *
 * Texts a clerk reads are English msgids translated through gettext
 * (po/ru.po, po/kk.po, po/en.po; the build refuses a catalogue with an
 * untranslated or fuzzy string).  How a language writes a number is part
 * of its catalogue too (the msgids with context "number", "money", "date"),
 * so a translator changes it in one place: `3 713,52 ₸` in ru and kk,
 * `3,713.52 ₸` in en.
 *
 * Only LC_MESSAGES and LC_CTYPE are touched: LC_NUMERIC stays "C", so
 * printf and the XML and SQL the rest of the program writes never see a
 * decimal comma.
 */
#ifndef GV_L10N_H
#define GV_L10N_H

#include <libintl.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define _(s) gettext(s)
#define N_(s) (s)
/* A msgid with a context, as xgettext --keyword=C_:1c,2 extracts it. */
#define C_(ctx, s) gv_pgettext(ctx "\004" s, s)

const char *gv_pgettext(const char *ctx_id, const char *id);

/* Languages a report can be written in. */
extern const char *const gv_l10n_languages[];   /* "ru", "kk", "en", NULL */

/* The language to use: want (--lang) when given, else conf ([report]
 * lang), else the locale's (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), else
 * "en".  Returns the code, or NULL when want or conf names a language
 * gasvoucher has no catalogue for. */
const char *gv_l10n_pick(const char *want, const char *conf);

/* Switches this process's messages to lang and makes the character
 * functions UTF-8 aware.  localedir: where LL/LC_MESSAGES/gasvoucher.mo
 * are (NULL = the installed place, or $GASVOUCHER_LOCALEDIR).  0, or -1
 * when no UTF-8 character locale exists (then widths fall back to one
 * cell per character). */
int gv_l10n_init(const char *lang, const char *localedir);
const char *gv_l10n_lang(void);

/* Formatting in the current language.  Each writes a NUL-terminated
 * string into out (size n) and returns out. */
char *gv_fmt_int(int64_t v, char *out, size_t n);                 /* 1 234 567 */
char *gv_fmt_decimal(int64_t v, int scale, char *out, size_t n);  /* 84,250 */
char *gv_fmt_money(int64_t tiyn, char *out, size_t n);            /* 3 713,52 ₸ */
char *gv_fmt_time(int64_t instant, char *out, size_t n);          /* 30.09.2025 18:00 */
char *gv_fmt_date(int32_t days, char *out, size_t n);             /* 30.09.2025 */

/* Columns a UTF-8 string takes on a terminal (wcwidth of each character;
 * an unprintable one counts as one).  Pure but for the character locale. */
size_t gv_display_width(const char *s);

#endif
