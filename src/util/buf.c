/* buf.c - growable byte buffer with a hard cap. */
#include "config.h"
#include "buf.h"
#include "utf8.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gv_buf_init(gv_buf_t *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
    b->failed = 0;
}

void gv_buf_free(gv_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

void gv_buf_reset(gv_buf_t *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int reserve(gv_buf_t *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (extra > b->max || b->len > b->max - extra) {
        b->failed = 1;
        errno = E2BIG;
        return -1;
    }
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        errno = ENOMEM;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int gv_buf_append(gv_buf_t *b, const void *data, size_t len)
{
    if (reserve(b, len) < 0)
        return -1;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

const char *gv_buf_why(const char *too_long)
{
    return errno == ENOMEM ? "out of memory" : too_long;
}

int gv_buf_puts(gv_buf_t *b, const char *s)
{
    return gv_buf_append(b, s, strlen(s));
}

int gv_buf_printf(gv_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(b, (size_t)n) < 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

/* What stands for a byte or character XML 1.0 cannot carry. */
#define REPLACEMENT "\xEF\xBF\xBD"      /* U+FFFD */

/* The length of what starts at s: a character, or a byte that is not
 * well-formed UTF-8.  *ok: it is an XML Char (XML 1.0 production 2). */
static size_t xml_char_len(const char *s, int *ok)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n;

    if (u[0] < 0x80) {
        *ok = u[0] >= 0x20 || u[0] == '\t' || u[0] == '\n' || u[0] == '\r';
        return 1;
    }
    n = gv_utf8_seqlen(s);
    if (n == 1 || !gv_utf8_valid(s, n, NULL)) {
        *ok = 0;
        return 1;
    }
    /* U+FFFE and U+FFFF are not characters. */
    *ok = !(n == 3 && u[0] == 0xEF && u[1] == 0xBF && (u[2] == 0xBE || u[2] == 0xBF));
    return n;
}

int gv_buf_xml_chars(gv_buf_t *b, const char *s)
{
    const char *run = s;

    while (*s) {
        int ok;
        size_t n = xml_char_len(s, &ok);
        if (ok) {
            s += n;
            continue;
        }
        if (gv_buf_append(b, run, (size_t)(s - run)) < 0 || gv_buf_puts(b, REPLACEMENT) < 0)
            return -1;
        s += n;
        run = s;
    }
    return gv_buf_append(b, run, (size_t)(s - run));
}

int gv_buf_xml_escape(gv_buf_t *b, const char *s)
{
    const char *run = s;

    while (*s) {
        const char *rep;
        int ok;
        size_t n = xml_char_len(s, &ok);
        switch (ok ? *s : 0) {
        case 0: rep = REPLACEMENT; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '&': rep = "&amp;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        case '\r': rep = "&#13;"; break;       /* a literal CR would read back as LF */
        default: s += n; continue;
        }
        if (gv_buf_append(b, run, (size_t)(s - run)) < 0 || gv_buf_puts(b, rep) < 0)
            return -1;
        s += n;
        run = s;
    }
    return gv_buf_append(b, run, (size_t)(s - run));
}
