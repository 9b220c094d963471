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

/* Lower-case comparison would need Unicode case folding; markers are
 * matched as written and the sample mappings list both spellings. */
static int part_is_settlement(const char *part, size_t len, const char *const *markers)
{
    const char *p = part, *end = part + len;
    const char *first = NULL, *last = NULL;
    size_t first_len = 0, last_len = 0;

    while (p < end) {
        const char *w;
        while (p < end && is_space(*p))
            p++;
        if (p >= end)
            break;
        w = p;
        while (p < end && !is_space(*p))
            p++;
        if (!first) {
            first = w;
            first_len = (size_t)(p - w);
        }
        last = w;
        last_len = (size_t)(p - w);
    }
    if (!first)
        return 0;
    return word_is(first, first_len, markers) || word_is(last, last_len, markers);
}

static int has_digit(const char *w, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (w[i] >= '0' && w[i] <= '9')
            return 1;
    return 0;
}

static size_t utf8_chars(const char *w, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i += gv_utf8_seqlen(w + i))
        n++;
    return n;
}

static int mask_part(gv_buf_t *b, const char *part, size_t len)
{
    const char *p = part, *end = part + len;
    int first = 1;

    while (p < end) {
        const char *w;
        size_t wl;

        while (p < end && is_space(*p))
            p++;
        if (p >= end)
            break;
        w = p;
        while (p < end && !is_space(*p))
            p++;
        wl = (size_t)(p - w);
        if (!first && gv_buf_puts(b, " ") < 0)
            return -1;
        first = 0;
        if (has_digit(w, wl)) {
            if (gv_buf_puts(b, "**") < 0)
                return -1;
        } else if (w[wl - 1] == '.' && utf8_chars(w, wl) <= 5) {
            if (gv_buf_append(b, w, wl) < 0)   /* an abbreviation: ул., д. */
                return -1;
        } else {
            if (gv_buf_append(b, w, gv_utf8_seqlen(w)) < 0 || gv_buf_puts(b, "***") < 0)
                return -1;
        }
    }
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
        if (!(settlement && *settlement) && part_is_settlement(start, len, markers)) {
            if (gv_buf_append(&b, start, len) < 0)
                goto fail;
        } else if (mask_part(&b, start, len) < 0) {
            goto fail;
        }
    }
    return finish(&b, out, outsz);
fail:
    gv_buf_free(&b);
    return -1;
}
