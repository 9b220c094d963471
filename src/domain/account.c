/* account.c - a site's account form: compiling match/output, normalising
 * typed account numbers. */
#include "config.h"
#include "account.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- characters ------------------------------------------------------------ */

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static int is_lower(char c) { return c >= 'a' && c <= 'z'; }
static int is_letter(char c) { return is_upper(c) || is_lower(c); }

static int in_class(gv_char_class_t cls, char c)
{
    switch (cls) {
    case GV_CLASS_DIGIT:
        return is_digit(c);
    case GV_CLASS_LETTER:
        return is_letter(c);
    case GV_CLASS_ALNUM:
        return is_digit(c) || is_letter(c);
    }
    return 0;
}

/* The XSD's AccountNumber alphabet: what can be typed and what may be
 * answered as the canonical form. */
static int in_account_alphabet(char c)
{
    return is_digit(c) || is_letter(c) || c == '-' || c == '/' || c == ' ';
}

static int stripped(const gv_account_rules_t *r, char c)
{
    return ((r->strip & GV_STRIP_SPACE) && c == ' ') ||
           ((r->strip & GV_STRIP_DASH) && c == '-') ||
           ((r->strip & GV_STRIP_SLASH) && c == '/');
}

static const char *class_name(gv_char_class_t cls)
{
    return cls == GV_CLASS_DIGIT ? "a digit" : cls == GV_CLASS_LETTER ? "a letter" : "an alnum";
}

/* ---- compiling -------------------------------------------------------------- */

static int fail(gv_account_form_err_t *err, gv_form_key_t key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(gv_account_form_err_t *err, gv_form_key_t key, const char *fmt, ...)
{
    va_list ap;

    err->key = key;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* Length of the token at s: up to white space, for quoting bad text. */
static int token_len(const char *s)
{
    size_t n = strcspn(s, " \t");
    return n > 40 ? 40 : (int)n;
}

/* A character for a message: printable ASCII as itself, else its byte. */
static const char *show_char(char c, char buf[8])
{
    if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
        snprintf(buf, 8, "'%c'", c);
    else
        snprintf(buf, 8, "0x%02X", (unsigned char)c);
    return buf;
}

/* What stands at s, for "got ...": a token in quotes, a space or the end. */
static const char *show_text(const char *s, char buf[48])
{
    if (!*s)
        return "the end";
    if (*s == ' ' || *s == '\t')
        return "a space";
    snprintf(buf, 48, "'%.*s'", token_len(s), s);
    return buf;
}

static int is_name_start(char c) { return is_letter(c) || c == '_'; }
static int is_name_char(char c) { return is_name_start(c) || is_digit(c); }

/* A count inside {MIN,MAX}: 0..GV_ACCOUNT_MAX; *i is moved past it. */
static int parse_count(const char *s, size_t *i, unsigned *out)
{
    unsigned v = 0;
    size_t start = *i;

    while (is_digit(s[*i])) {
        v = v * 10 + (unsigned)(s[*i] - '0');
        if (v > GV_ACCOUNT_MAX)
            v = GV_ACCOUNT_MAX + 1;   /* saturate: reported as too long */
        (*i)++;
    }
    if (*i == start)
        return -1;
    *out = v;
    return 0;
}

static int parse_literal_item(const char *s, size_t *i, const gv_account_rules_t *r,
                              gv_form_item_t *it, gv_account_form_err_t *err)
{
    size_t col = *i + 1, start = *i + 1, len;
    const char *close = strchr(s + start, '"');
    char cbuf[8];

    if (!close)
        return fail(err, GV_FORM_AT_MATCH,
                    "column %zu: unbalanced quote: the literal %.*s has no closing '\"'", col,
                    token_len(s + *i), s + *i);
    len = (size_t)(close - (s + start));
    if (len == 0)
        return fail(err, GV_FORM_AT_MATCH, "column %zu: the literal \"\" is empty", col);
    if (len > GV_ACCOUNT_MAX)
        return fail(err, GV_FORM_AT_MATCH,
                    "column %zu: the literal is %zu characters long; an account number has "
                    "at most %d", col, len, GV_ACCOUNT_MAX);
    for (size_t k = 0; k < len; k++)
        if (!in_account_alphabet(s[start + k]))
            return fail(err, GV_FORM_AT_MATCH,
                        "column %zu: the literal \"%.*s\" has %s; an account number holds "
                        "only A-Z, a-z, 0-9, space, '-' and '/'",
                        start + k + 1, (int)len, s + start, show_char(s[start + k], cbuf));
    it->is_part = 0;
    memcpy(it->text, s + start, len);
    it->text[len] = '\0';
    *i = start + len + 1;
    if (s[*i] == '?') {
        it->optional = 1;
        (*i)++;
    }
    /* A literal that must be there but that cleaning always removes or
     * folds away makes the whole form unmatchable: say so now. */
    if (!it->optional)
        for (size_t k = 0; k < len; k++) {
            if (stripped(r, it->text[k]))
                return fail(err, GV_FORM_AT_MATCH,
                            "column %zu: the literal \"%s\" can never be typed: strip removes "
                            "%s (write it \"%s\"? or leave it to strip)",
                            col, it->text, show_char(it->text[k], cbuf), it->text);
            if (r->uppercase && is_lower(it->text[k]))
                return fail(err, GV_FORM_AT_MATCH,
                            "column %zu: the literal \"%s\" can never match: uppercase = yes "
                            "folds what was typed to upper case", col, it->text);
        }
    return 0;
}

static int parse_part_item(const char *s, size_t *i, const gv_account_rules_t *r, size_t nitems,
                           gv_form_item_t *it, gv_account_form_err_t *err)
{
    size_t col = *i + 1, name_start = *i, name_len, cls_start;
    unsigned min, max;
    char tbuf[48];

    if (!is_name_start(s[*i]))
        return fail(err, GV_FORM_AT_MATCH,
                    "column %zu: expected a part NAME:CLASS{MIN,MAX} or a \"literal\", got %s",
                    col, show_text(s + *i, tbuf));
    while (is_name_char(s[*i]))
        (*i)++;
    name_len = *i - name_start;
    if (name_len > GV_FORM_NAME_MAX)
        return fail(err, GV_FORM_AT_MATCH,
                    "column %zu: the part name '%.*s' is longer than %d characters", col,
                    (int)name_len, s + name_start, GV_FORM_NAME_MAX);
    memcpy(it->text, s + name_start, name_len);
    it->text[name_len] = '\0';
    for (size_t k = 0; k < nitems; k++)
        if (r->items[k].is_part && !strcmp(r->items[k].text, it->text))
            return fail(err, GV_FORM_AT_MATCH, "column %zu: a second part named '%s'", col,
                        it->text);
    if (s[*i] != ':')
        return fail(err, GV_FORM_AT_MATCH,
                    "column %zu: part '%s' needs a class and a length: %s:digit{1,10}, "
                    "got %s", col, it->text, it->text, show_text(s + name_start, tbuf));
    cls_start = ++(*i);
    while (is_letter(s[*i]))
        (*i)++;
    if (*i - cls_start == 5 && !strncmp(s + cls_start, "digit", 5))
        it->cls = GV_CLASS_DIGIT;
    else if (*i - cls_start == 6 && !strncmp(s + cls_start, "letter", 6))
        it->cls = GV_CLASS_LETTER;
    else if (*i - cls_start == 5 && !strncmp(s + cls_start, "alnum", 5))
        it->cls = GV_CLASS_ALNUM;
    else
        return fail(err, GV_FORM_AT_MATCH,
                    "column %zu: part '%s': unknown class '%.*s' (expected digit, letter or "
                    "alnum)", cls_start + 1, it->text, (int)strcspn(s + cls_start, "{ \t"),
                    s + cls_start);
    if (s[*i] != '{')
        return fail(err, GV_FORM_AT_MATCH,
                    "column %zu: part '%s': expected {MIN,MAX} or {N} after the class, got %s",
                    *i + 1, it->text, show_text(s + *i, tbuf));
    (*i)++;
    if (parse_count(s, i, &min) < 0)
        return fail(err, GV_FORM_AT_MATCH,
                    "column %zu: part '%s': expected a number after '{', got %s", *i + 1,
                    it->text, show_text(s + *i, tbuf));
    max = min;
    if (s[*i] == ',') {
        (*i)++;
        if (parse_count(s, i, &max) < 0)
            return fail(err, GV_FORM_AT_MATCH,
                        "column %zu: part '%s': expected a number after ',', got %s", *i + 1,
                        it->text, show_text(s + *i, tbuf));
    }
    if (s[*i] != '}')
        return fail(err, GV_FORM_AT_MATCH,
                    "column %zu: part '%s': unbalanced brace: expected '}' to close {MIN,MAX}, "
                    "got %s", *i + 1, it->text, show_text(s + *i, tbuf));
    (*i)++;
    if (min > GV_ACCOUNT_MAX || max > GV_ACCOUNT_MAX)
        return fail(err, GV_FORM_AT_MATCH,
                    "column %zu: part '%s': at most %d characters (an account number's length)",
                    col, it->text, GV_ACCOUNT_MAX);
    if (min > max)
        return fail(err, GV_FORM_AT_MATCH, "column %zu: part '%s': MIN %u is more than MAX %u",
                    col, it->text, min, max);
    if (max == 0)
        return fail(err, GV_FORM_AT_MATCH,
                    "column %zu: part '%s' takes no characters; MAX must be at least 1", col,
                    it->text);
    if (s[*i] == '?')
        return fail(err, GV_FORM_AT_MATCH,
                    "column %zu: only a quoted literal may be optional; part '%s' may be absent "
                    "with a MIN of 0", *i + 1, it->text);
    it->is_part = 1;
    it->min = (unsigned char)min;
    it->max = (unsigned char)max;
    return 0;
}

static int parse_match(const char *s, gv_account_rules_t *r, gv_account_form_err_t *err)
{
    size_t i = 0, nparts = 0;
    unsigned least = 0;
    char cbuf[8];

    for (;;) {
        gv_form_item_t *it;
        int rc;

        while (s[i] == ' ' || s[i] == '\t')
            i++;
        if (!s[i])
            break;
        if (r->nitems == GV_FORM_MAX_ITEMS)
            return fail(err, GV_FORM_AT_MATCH, "column %zu: more than %d items", i + 1,
                        GV_FORM_MAX_ITEMS);
        it = &r->items[r->nitems];
        memset(it, 0, sizeof *it);
        it->column = (unsigned)i + 1;
        rc = s[i] == '"' ? parse_literal_item(s, &i, r, it, err)
                         : parse_part_item(s, &i, r, r->nitems, it, err);
        if (rc < 0)
            return -1;
        if (s[i] && s[i] != ' ' && s[i] != '\t')
            return fail(err, GV_FORM_AT_MATCH,
                        "column %zu: expected a space between items, got %s", i + 1,
                        show_char(s[i], cbuf));
        if (it->is_part) {
            nparts++;
            least += it->min;
        } else if (!it->optional) {
            least += (unsigned)strlen(it->text);
        }
        r->nitems++;
    }
    if (r->nitems == 0)
        return fail(err, GV_FORM_AT_MATCH, "is empty: write the parts of an account, e.g. "
                    "number:digit{1,10}");
    if (nparts == 0)
        return fail(err, GV_FORM_AT_MATCH,
                    "has no part: every account would be the same; write at least one "
                    "NAME:CLASS{MIN,MAX}");
    if (least > GV_ACCOUNT_MAX)
        return fail(err, GV_FORM_AT_MATCH,
                    "needs at least %u characters; an account number has at most %d", least,
                    GV_ACCOUNT_MAX);
    return 0;
}

static int find_part(const gv_account_rules_t *r, const char *name, size_t len)
{
    for (size_t k = 0; k < r->nitems; k++)
        if (r->items[k].is_part && strlen(r->items[k].text) == len &&
            !strncmp(r->items[k].text, name, len))
            return (int)k;
    return -1;
}

static int parse_reference(const char *s, size_t open, size_t close, gv_account_rules_t *r,
                           gv_form_piece_t *p, gv_account_form_err_t *err)
{
    const char *in = s + open + 1;
    size_t inlen = close - open - 1, namelen = strcspn(in, ":}");
    const char *fmt = in + namelen;
    size_t fmtlen = inlen > namelen ? inlen - namelen - 1 : 0;
    int item = find_part(r, in, namelen);
    int ref = (int)(close - open + 1);

    if (namelen == 0)
        return fail(err, GV_FORM_AT_OUTPUT, "column %zu: %.*s: a reference needs a part name",
                    open + 1, ref, s + open);
    if (item < 0)
        return fail(err, GV_FORM_AT_OUTPUT, "column %zu: %.*s: match has no part named '%.*s'",
                    open + 1, ref, s + open, (int)namelen, in);
    p->item = (unsigned char)item;
    if (*fmt != ':') {
        p->kind = GV_PIECE_VALUE;
        return 0;
    }
    fmt++;
    if (fmtlen == 3 && !strncmp(fmt, "int", 3)) {
        p->kind = GV_PIECE_INT;
    } else if (fmtlen >= 2 && fmtlen <= 3 && fmt[0] == '0' && is_digit(fmt[1]) &&
               (fmtlen == 2 || is_digit(fmt[2]))) {
        unsigned w = (unsigned)(fmt[1] - '0');
        if (fmtlen == 3)
            w = w * 10 + (unsigned)(fmt[2] - '0');
        if (w < 1 || w > GV_ACCOUNT_MAX)
            return fail(err, GV_FORM_AT_OUTPUT,
                        "column %zu: %.*s: the width must be 1 to %d", open + 1, ref, s + open,
                        GV_ACCOUNT_MAX);
        p->kind = GV_PIECE_PADDED;
        p->width = (unsigned char)w;
    } else {
        return fail(err, GV_FORM_AT_OUTPUT,
                    "column %zu: %.*s: expected {%.*s}, {%.*s:0N} (zeros on the left up to N) "
                    "or {%.*s:int}", open + 1, ref, s + open, (int)namelen, in, (int)namelen,
                    in, (int)namelen, in);
    }
    if (r->items[item].cls != GV_CLASS_DIGIT)
        return fail(err, GV_FORM_AT_OUTPUT,
                    "column %zu: %.*s: '%s' is %s part; :0N and :int need a digit part",
                    open + 1, ref, s + open, r->items[item].text, class_name(r->items[item].cls));
    return 0;
}

static int parse_output(const char *s, gv_account_rules_t *r, gv_account_form_err_t *err)
{
    size_t i = 0;
    char cbuf[8];

    while (s[i]) {
        gv_form_piece_t *p;

        if (s[i] == '}')
            return fail(err, GV_FORM_AT_OUTPUT,
                        "column %zu: unbalanced brace: '}' closes nothing", i + 1);
        if (r->npieces == GV_FORM_MAX_PIECES)
            return fail(err, GV_FORM_AT_OUTPUT, "column %zu: more than %d pieces", i + 1,
                        GV_FORM_MAX_PIECES);
        p = &r->pieces[r->npieces];
        memset(p, 0, sizeof *p);
        if (s[i] == '{') {
            size_t close = i + 1 + strcspn(s + i + 1, "{}");
            if (s[close] != '}')
                return fail(err, GV_FORM_AT_OUTPUT,
                            "column %zu: unbalanced brace: '{' is not closed before %s", i + 1,
                            s[close] ? "the next '{'" : "the end");
            if (parse_reference(s, i, close, r, p, err) < 0)
                return -1;
            i = close + 1;
        } else {
            size_t len = strcspn(s + i, "{}");
            if (len > GV_ACCOUNT_MAX)
                return fail(err, GV_FORM_AT_OUTPUT,
                            "column %zu: the text '%.*s' is longer than an account number (%d)",
                            i + 1, (int)len, s + i, GV_ACCOUNT_MAX);
            for (size_t k = 0; k < len; k++)
                if (!in_account_alphabet(s[i + k]))
                    return fail(err, GV_FORM_AT_OUTPUT,
                                "column %zu: %s cannot be in an account number (only A-Z, a-z, "
                                "0-9, space, '-' and '/')", i + k + 1, show_char(s[i + k], cbuf));
            p->kind = GV_PIECE_LITERAL;
            memcpy(p->text, s + i, len);
            p->text[len] = '\0';
            i += len;
        }
        r->npieces++;
    }
    if (r->npieces == 0)
        return fail(err, GV_FORM_AT_OUTPUT, "is empty: write the canonical form, e.g. {number}");
    return 0;
}

/* What output can write at most, and whether it is always digits. */
static void measure_output(gv_account_rules_t *r)
{
    r->output_max = 0;
    r->output_digits = 1;
    for (size_t k = 0; k < r->npieces; k++) {
        const gv_form_piece_t *p = &r->pieces[k];
        const gv_form_item_t *it = &r->items[p->item];
        switch (p->kind) {
        case GV_PIECE_LITERAL:
            r->output_max += (unsigned)strlen(p->text);
            for (const char *c = p->text; *c; c++)
                if (!is_digit(*c))
                    r->output_digits = 0;
            break;
        case GV_PIECE_PADDED:
            r->output_max += it->max > p->width ? it->max : p->width;
            break;
        case GV_PIECE_VALUE:
        case GV_PIECE_INT:
            r->output_max += it->max;
            if (it->cls != GV_CLASS_DIGIT)
                r->output_digits = 0;
            break;
        }
    }
}

static int check_form(gv_account_rules_t *r, unsigned max_length, gv_account_form_err_t *err)
{
    for (size_t k = 0; k < r->nitems; k++) {
        int used = 0;
        if (!r->items[k].is_part)
            continue;
        for (size_t j = 0; j < r->npieces; j++)
            used |= r->pieces[j].kind != GV_PIECE_LITERAL && r->pieces[j].item == k;
        if (!used)
            return fail(err, GV_FORM_AT_OUTPUT,
                        "does not use part '%s' (match column %u): every part typed is part "
                        "of the account", r->items[k].text, r->items[k].column);
    }
    measure_output(r);
    if (r->output_max > max_length)
        return fail(err, GV_FORM_AT_OUTPUT,
                    "can be %u characters long (every part at its MAX), more than "
                    "max_length = %u", r->output_max, max_length);
    return 0;
}

int gv_account_form_compile(const char *match, const char *output, unsigned max_length,
                            gv_account_rules_t *r, gv_account_form_err_t *err)
{
    r->nitems = 0;
    r->npieces = 0;
    r->max_length = 0;
    if (max_length < 1 || max_length > GV_ACCOUNT_MAX) {
        fail(err, GV_FORM_AT_OUTPUT, "max_length must be 1 to %d, got %u", GV_ACCOUNT_MAX,
             max_length);
        return -1;
    }
    if (parse_match(match, r, err) < 0 || parse_output(output, r, err) < 0 ||
        check_form(r, max_length, err) < 0) {
        r->nitems = 0;
        r->npieces = 0;
        return -1;
    }
    r->max_length = max_length;
    return 0;
}

/* ---- matching ----------------------------------------------------------------- */

typedef struct {
    unsigned char start, len;
} span_t;

typedef struct {
    const gv_account_rules_t *r;
    const char *text;
    size_t n;
    span_t spans[GV_FORM_MAX_ITEMS];
    /* failed[i] bit p: items i.. cannot match text from p on.  That answer
     * does not depend on how earlier items split the text, so each (item,
     * position) is tried once: bounded work for any form. */
    uint64_t failed[GV_FORM_MAX_ITEMS];
} matcher_t;

static int match_from(matcher_t *m, size_t i, size_t pos)
{
    const gv_form_item_t *it;

    if (i == m->r->nitems)
        return pos == m->n;
    if (m->failed[i] & ((uint64_t)1 << pos))
        return 0;
    it = &m->r->items[i];
    if (it->is_part) {
        size_t avail = 0;
        while (avail < it->max && pos + avail < m->n && in_class(it->cls, m->text[pos + avail]))
            avail++;
        /* greedy: the longest first, then shorter ones */
        for (size_t len = avail + 1; len-- > it->min;) {
            m->spans[i].start = (unsigned char)pos;
            m->spans[i].len = (unsigned char)len;
            if (match_from(m, i + 1, pos + len))
                return 1;
        }
    } else {
        size_t len = strlen(it->text);
        if (pos + len <= m->n && !memcmp(m->text + pos, it->text, len)) {
            m->spans[i].start = (unsigned char)pos;
            m->spans[i].len = (unsigned char)len;
            if (match_from(m, i + 1, pos + len))
                return 1;
        }
        if (it->optional) {
            m->spans[i].start = (unsigned char)pos;
            m->spans[i].len = 0;
            if (match_from(m, i + 1, pos))
                return 1;
        }
    }
    m->failed[i] |= (uint64_t)1 << pos;
    return 0;
}

/* Appends len bytes to buf (of capacity cap); -1 when they do not fit. */
static int put(char *buf, size_t *n, size_t cap, const char *s, size_t len)
{
    if (*n + len > cap)
        return -1;
    memcpy(buf + *n, s, len);
    *n += len;
    return 0;
}

static int put_zeros(char *buf, size_t *n, size_t cap, size_t count)
{
    if (*n + count > cap)
        return -1;
    memset(buf + *n, '0', count);
    *n += count;
    return 0;
}

int gv_account_normalise(const gv_account_rules_t *r, const char *typed,
                         char *out, size_t outsz)
{
    char text[GV_ACCOUNT_MAX], canon[GV_ACCOUNT_MAX];
    size_t n = 0, len = 0;
    matcher_t m;

    if (outsz < GV_ACCOUNT_MAX + 1 || r->nitems == 0 || r->max_length > GV_ACCOUNT_MAX)
        return -1;
    for (const char *p = typed; *p; p++) {
        char c = *p;
        if (stripped(r, c))
            continue;
        if (r->uppercase && is_lower(c))
            c = (char)(c - 'a' + 'A');
        if (n == GV_ACCOUNT_MAX)
            return -1;
        text[n++] = c;
    }
    if (n == 0)
        return -1;

    memset(&m, 0, sizeof m);
    m.r = r;
    m.text = text;
    m.n = n;
    if (!match_from(&m, 0, 0))
        return -1;

    for (size_t k = 0; k < r->npieces; k++) {
        const gv_form_piece_t *p = &r->pieces[k];
        const char *v = text + m.spans[p->item].start;
        size_t vlen = m.spans[p->item].len;
        int rc = 0;

        switch (p->kind) {
        case GV_PIECE_LITERAL:
            rc = put(canon, &len, r->max_length, p->text, strlen(p->text));
            break;
        case GV_PIECE_VALUE:
            rc = put(canon, &len, r->max_length, v, vlen);
            break;
        case GV_PIECE_PADDED:
            if (vlen < p->width)
                rc = put_zeros(canon, &len, r->max_length, p->width - vlen);
            if (rc == 0)
                rc = put(canon, &len, r->max_length, v, vlen);
            break;
        case GV_PIECE_INT:
            while (vlen > 0 && *v == '0') {
                v++;
                vlen--;
            }
            rc = vlen ? put(canon, &len, r->max_length, v, vlen)
                      : put(canon, &len, r->max_length, "0", 1);
            break;
        }
        if (rc < 0)
            return -1;
    }
    if (len == 0)
        return -1;
    memcpy(out, canon, len);
    out[len] = '\0';
    return 0;
}
