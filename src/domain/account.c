/* account.c - normalising typed account numbers. */
#include "config.h"
#include "account.h"

#include <string.h>

static int stripped(const gv_account_rules_t *r, char c)
{
    return ((r->strip & GV_STRIP_SPACE) && c == ' ') ||
           ((r->strip & GV_STRIP_DASH) && c == '-') ||
           ((r->strip & GV_STRIP_SLASH) && c == '/');
}

int gv_account_normalise(const gv_account_rules_t *r, const char *typed,
                         char *out, size_t outsz)
{
    char tmp[GV_ACCOUNT_MAX + 1];
    size_t n = 0, start = 0, limit = r->max_length ? r->max_length : GV_ACCOUNT_MAX;

    if (outsz < GV_ACCOUNT_MAX + 1 || limit > GV_ACCOUNT_MAX)
        return -1;
    for (const char *p = typed; *p; p++) {
        char c = *p;
        if (stripped(r, c))
            continue;
        if (r->uppercase && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (r->digits_only ? !(c >= '0' && c <= '9')
                           : !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
                               (c >= 'a' && c <= 'z') || c == '-' || c == '/' || c == ' '))
            return -1;
        if (n == GV_ACCOUNT_MAX)
            return -1;
        tmp[n++] = c;
    }
    if (n == 0)
        return -1;
    if (r->trim_zeros) {
        while (start + 1 < n && tmp[start] == '0')
            start++;
    }
    n -= start;
    if (r->zero_pad && n < r->zero_pad) {
        size_t pad = r->zero_pad - n;
        if (r->zero_pad > limit)
            return -1;
        memset(out, '0', pad);
        memcpy(out + pad, tmp + start, n);
        out[r->zero_pad] = '\0';
        return 0;
    }
    if (n > limit)
        return -1;
    memcpy(out, tmp + start, n);
    out[n] = '\0';
    return 0;
}
