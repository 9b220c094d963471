/* fuzz_account.c - account canonicalisation (gv_account_normalise),
 * through its public promise only.
 *
 * Input: six bytes of rules (strip set, digits_only, uppercase, zero_pad,
 * trim_zeros, max_length), then the number as typed.  An accepted number's
 * canonical form is bounded, holds only what the rules leave, and is a
 * fixed point: the canonical form normalises to itself. */
#include "config.h"
#include "fuzz.h"

#include "account.h"

#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static int allowed(const gv_account_rules_t *r, char c)
{
    if ((r->strip & GV_STRIP_SPACE) && c == ' ')
        return 0;
    if ((r->strip & GV_STRIP_DASH) && c == '-')
        return 0;
    if ((r->strip & GV_STRIP_SLASH) && c == '/')
        return 0;
    if (r->uppercase && c >= 'a' && c <= 'z')
        return 0;
    if (c >= '0' && c <= '9')
        return 1;
    if (r->digits_only)
        return 0;
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '/' || c == ' ';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gv_account_rules_t r;
    char out[GV_ACCOUNT_MAX + 1 + 16], again[GV_ACCOUNT_MAX + 1 + 16];
    char *typed;
    size_t n, limit;
    int rc;

    if (size < 6)
        return 0;
    memset(&r, 0, sizeof r);
    r.strip = data[0] & 7;
    r.digits_only = data[1] & 1;
    r.uppercase = data[2] & 1;
    r.zero_pad = data[3] % 40;          /* over GV_ACCOUNT_MAX now and then */
    r.trim_zeros = data[4] & 1;
    r.max_length = data[5] % 40;
    typed = gv_fuzz_cstr(data + 6, size - 6);

    /* Bytes past GV_ACCOUNT_MAX + 1 of out are a canary. */
    memset(out, 0x5a, sizeof out);
    rc = gv_account_normalise(&r, typed, out, GV_ACCOUNT_MAX + 1);
    GV_FUZZ_CHECK(rc == 0 || rc == -1, "returned %d", rc);
    for (size_t i = GV_ACCOUNT_MAX + 1; i < sizeof out; i++)
        GV_FUZZ_CHECK(out[i] == 0x5a, "wrote past outsz at %zu", i);
    if (rc == 0) {
        n = strnlen(out, GV_ACCOUNT_MAX + 1);
        limit = r.max_length ? r.max_length : GV_ACCOUNT_MAX;
        GV_FUZZ_CHECK(n >= 1 && n <= GV_ACCOUNT_MAX && n <= limit,
                      "'%s' gave %zu characters (limit %zu)", typed, n, limit);
        for (size_t i = 0; i < n; i++)
            GV_FUZZ_CHECK(allowed(&r, out[i]), "'%s' gave '%s': character %zu not allowed",
                          typed, out, i);
        if (r.zero_pad && r.zero_pad <= limit)
            GV_FUZZ_CHECK(n >= r.zero_pad, "'%s' gave '%s', shorter than zero_pad %u", typed,
                          out, r.zero_pad);
        if (r.trim_zeros && !r.zero_pad)
            GV_FUZZ_CHECK(out[0] != '0' || n == 1, "'%s' gave '%s' with a leading zero", typed,
                          out);
        rc = gv_account_normalise(&r, out, again, GV_ACCOUNT_MAX + 1);
        GV_FUZZ_CHECK(rc == 0 && strcmp(again, out) == 0,
                      "'%s' gave '%s', which gives %s'%s'", typed, out, rc ? "an error " : "",
                      rc ? "" : again);
    }
    free(typed);
    return 0;
}
