/* mask.c - masking holders' names and addresses. */
#include "config.h"
#include "mask.h"
#include "buf.h"
#include "utf8.h"

#include <string.h>

const char *const gv_default_settlement_markers[] = {
    "г.", "город", "с.", "село", "п.", "пос.", "посёлок", "поселок", "пгт",
    "пгт.", "аул", "ауыл", "а.", "кент", "обл.", "область", "облысы", "р-н",
    "район", "ауданы", NULL
};

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Copies the result into out when it fits. */
static int finish(gv_buf_t *b, char *out, size_t outsz)
{
    int rc = -1;

    if (b->data && b->len < outsz) {
        memcpy(out, b->data, b->len + 1);
        rc = 0;
    } else if (!b->data && outsz > 0) {
        out[0] = '\0';
        rc = 0;
    }
    gv_buf_free(b);
    return rc;
}

int gv_mask_holder(const char *full, char *out, size_t outsz)
{
    gv_buf_t b;
    int word = 0, ok = 0;
    const char *p = full;

    gv_buf_init(&b, 1024);
    while (*p) {
        const char *start;
        size_t len;

        while (is_space(*p))
            p++;
        if (!*p)
            break;
        start = p;
        while (*p && !is_space(*p))
            p++;
        len = (size_t)(p - start);
        if (word == 0) {
            if (gv_buf_append(&b, start, len) < 0)
                goto fail;
        } else if (word <= 2) {
            if (gv_buf_puts(&b, " ") < 0 ||
                gv_buf_append(&b, start, gv_utf8_seqlen(start)) < 0 ||
                gv_buf_puts(&b, ".") < 0)
                goto fail;
        }
        word++;
    }
    ok = 1;
fail:
    if (!ok) {
        gv_buf_free(&b);
        return -1;
    }
    return finish(&b, out, outsz);
}

static int word_is(const char *w, size_t len, const char *const *list)
{
    for (; list && *list; list++)
        if (strlen(*list) == len && strncmp(w, *list, len) == 0)
            return 1;
    return 0;
}

/* Words of a street address that say what the next word is, and so may
 * stay; anything not listed is masked. */
static const char *const street_words[] = {
    "ул.", "улица", "д.", "дом", "кв.", "кв", "квартира", "мкр.", "мкр", "микрорайон",
    "пр.", "пр-т", "пр-т.", "проспект", "пер.", "переулок", "корп.", "корпус", "к.", "стр.",
    "б-р", "б-р.", "бульвар", "ш.", "шоссе", "наб.", "пл.", "туп.", "пр-д", "пр-д.",
    "көш.", "көшесі", "даңғ.", "ықш.", "үй", "пәтер", NULL
};

static int has_digit(const char *w, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (w[i] >= '0' && w[i] <= '9')
            return 1;
    return 0;
}

typedef struct word {
    const char *p;
    size_t len;
} word_t;

/* Splits a part into at most max words. */
static size_t split_words(const char *part, size_t len, word_t *words, size_t max)
{
    const char *p = part, *end = part + len;
    size_t n = 0;

    while (p < end && n < max) {
        while (p < end && is_space(*p))
            p++;
        if (p >= end)
            break;
        words[n].p = p;
        while (p < end && !is_space(*p))
            p++;
        words[n].len = (size_t)(p - words[n].p);
        n++;
    }
    return n;
}

static int append_masked_word(gv_buf_t *b, const word_t *w)
{
    if (has_digit(w->p, w->len))
        return gv_buf_puts(b, "**");
    /* Type words ("ул.", "г.") say nothing about the person. */
    if (word_is(w->p, w->len, street_words) ||
        word_is(w->p, w->len, gv_default_settlement_markers))
        return gv_buf_append(b, w->p, w->len);
    if (gv_buf_append(b, w->p, gv_utf8_seqlen(w->p)) < 0)
        return -1;
    return gv_buf_puts(b, "***");
}

/* How many leading words of a part name a settlement and may be shown:
 * a marker and the one word after it ("г. Алматы"), or a short part that
 * ends in a marker ("Карасайский р-н").  0 when the part is not one.
 * Deliberately narrow: an address written without commas keeps only the
 * settlement, and the rest is masked. */
static size_t settlement_words(const word_t *w, size_t n, const char *const *markers)
{
    if (n == 0)
        return 0;
    if (word_is(w[0].p, w[0].len, markers)) {
        if (n >= 2 && !has_digit(w[1].p, w[1].len) && !word_is(w[1].p, w[1].len, street_words))
            return 2;
        return 1;
    }
    if (n <= 3 && word_is(w[n - 1].p, w[n - 1].len, markers)) {
        for (size_t i = 0; i < n; i++)
            if (has_digit(w[i].p, w[i].len) || word_is(w[i].p, w[i].len, street_words))
                return 0;
        return n;
    }
    return 0;
}

static int mask_part(gv_buf_t *b, const char *part, size_t len, const char *const *markers)
{
    word_t words[64];
    size_t n = split_words(part, len, words, 64), keep;

    keep = markers ? settlement_words(words, n, markers) : 0;
    for (size_t i = 0; i < n; i++) {
        if (i && gv_buf_puts(b, " ") < 0)
            return -1;
        if (i < keep ? gv_buf_append(b, words[i].p, words[i].len) < 0
                     : append_masked_word(b, &words[i]) < 0)
            return -1;
    }
    /* Words past the 64th are never shown. */
    if (n == 64 && gv_buf_puts(b, " ***") < 0)
        return -1;
    return 0;
}

int gv_mask_address(const char *settlement, const char *address,
                    const char *const *markers, char *out, size_t outsz)
{
    gv_buf_t b;
    const char *p = address;
    int nparts = 0;

    if (!markers)
        markers = gv_default_settlement_markers;
    gv_buf_init(&b, 2048);
    if (settlement && *settlement) {
        if (gv_buf_puts(&b, settlement) < 0)
            goto fail;
        nparts = 1;
    }
    while (p && *p) {
        const char *start = p, *end;
        size_t len;

        while (*p && *p != ',')
            p++;
        end = p;
        if (*p == ',')
            p++;
        while (start < end && is_space(*start))
            start++;
        while (end > start && is_space(end[-1]))
            end--;
        len = (size_t)(end - start);
        if (len == 0)
            continue;
        if (nparts++ && gv_buf_puts(&b, ", ") < 0)
            goto fail;
        /* With the settlement given apart, every part is street. */
        if (mask_part(&b, start, len, settlement && *settlement ? NULL : markers) < 0)
            goto fail;
    }
    return finish(&b, out, outsz);
fail:
    gv_buf_free(&b);
    return -1;
}
