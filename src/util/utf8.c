/* utf8.c - UTF-8 validation following RFC 3629 table 3-7. */
#include "config.h"
#include "utf8.h"

#include <string.h>

int gv_utf8_valid(const char *buf, size_t len, size_t *bad_at)
{
    const unsigned char *s = (const unsigned char *)buf;
    size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        size_t need;
        unsigned char lo = 0x80, hi = 0xBF;

        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) need = 1;
        else if (c == 0xE0) { need = 2; lo = 0xA0; }
        else if (c >= 0xE1 && c <= 0xEC) need = 2;
        else if (c == 0xED) { need = 2; hi = 0x9F; }  /* no surrogates */
        else if (c >= 0xEE && c <= 0xEF) need = 2;
        else if (c == 0xF0) { need = 3; lo = 0x90; }
        else if (c >= 0xF1 && c <= 0xF3) need = 3;
        else if (c == 0xF4) { need = 3; hi = 0x8F; }
        else goto bad;
        if (len - i <= need)
            goto bad;
        if (s[i + 1] < lo || s[i + 1] > hi)
            goto bad;
        for (size_t k = 2; k <= need; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF)
                goto bad;
        i += need + 1;
    }
    return 1;
bad:
    if (bad_at)
        *bad_at = i;
    return 0;
}

size_t gv_utf8_seqlen(const char *s)
{
    unsigned char c = (unsigned char)*s;
    size_t n;

    if (c < 0x80) return 1;
    if (c >= 0xF0) n = 4;
    else if (c >= 0xE0) n = 3;
    else if (c >= 0xC0) n = 2;
    else return 1;
    for (size_t k = 1; k < n; k++)
        if (((unsigned char)s[k] & 0xC0) != 0x80)
            return 1;
    return n;
}

size_t gv_utf8_complete_prefix(const char *buf, size_t len)
{
    const unsigned char *s = (const unsigned char *)buf;

    /* Look back at most three bytes for the lead byte of the last
     * sequence; if it needs more bytes than are there, cut before it. */
    for (size_t back = 1; back <= 3 && back <= len; back++) {
        unsigned char c = s[len - back];
        size_t need;
        if ((c & 0xC0) == 0x80)
            continue;               /* a continuation byte: keep looking */
        if (c >= 0xF0) need = 4;
        else if (c >= 0xE0) need = 3;
        else if (c >= 0xC0) need = 2;
        else need = 1;
        return need > back ? len - back : len;
    }
    return len;
}

void gv_utf8_scrub(char *s)
{
    size_t len = strlen(s), at = 0, bad;

    while (at < len && !gv_utf8_valid(s + at, len - at, &bad)) {
        s[at + bad] = '?';
        at += bad + 1;
    }
}
