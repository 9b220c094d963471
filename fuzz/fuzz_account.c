/* fuzz_account.c - the account form: compiling [account] match/output
 * (gv_account_form_compile) and canonicalising what was typed
 * (gv_account_normalise), through their public promises only.
 *
 * Input: one byte of rules (bits 0-2 the strip set, bit 3 uppercase), one
 * byte of max_length, then match, output and the number as typed,
 * separated by NUL bytes.  A form either compiles or says why; an accepted
 * number's canonical form is bounded by max_length, written inside outsz
 * and nowhere else, and a refused one leaves out untouched. */
#include "config.h"
#include "fuzz.h"

#include "account.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

/* The next NUL-terminated field of data[*at..size), copied. */
static char *field(const uint8_t *data, size_t size, size_t *at)
{
    size_t start = *at, end = start;

    while (end < size && data[end])
        end++;
    *at = end < size ? end + 1 : end;
    return gv_fuzz_cstr(data + start, end - start);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gv_account_rules_t r;
    gv_account_form_err_t err;
    char out[GV_ACCOUNT_MAX + 1 + 16];
    char *match, *output, *typed;
    size_t at = 2, n;
    unsigned max_length;
    int rc;

    if (size < 2)
        return 0;
    memset(&r, 0, sizeof r);
    r.strip = data[0] & 7;
    r.uppercase = (data[0] >> 3) & 1;
    max_length = data[1] % 40;          /* out of 1..32 now and then */
    match = field(data, size, &at);
    output = field(data, size, &at);
    typed = field(data, size, &at);

    memset(&err, 0, sizeof err);
    rc = gv_account_form_compile(match, output, max_length, &r, &err);
    GV_FUZZ_CHECK(rc == 0 || rc == -1, "compile returned %d", rc);
    GV_FUZZ_CHECK(rc == 0 || err.msg[0], "'%s' / '%s' refused without a reason", match, output);
    GV_FUZZ_CHECK(rc == -1 || (max_length >= 1 && max_length <= GV_ACCOUNT_MAX),
                  "max_length %u accepted", max_length);

    /* Bytes past GV_ACCOUNT_MAX + 1 of out are a canary; a refusal leaves
     * all of out as it was. */
    memset(out, 0x5a, sizeof out);
    rc = gv_account_normalise(&r, typed, out, GV_ACCOUNT_MAX + 1);
    GV_FUZZ_CHECK(rc == 0 || rc == -1, "returned %d", rc);
    for (size_t i = GV_ACCOUNT_MAX + 1; i < sizeof out; i++)
        GV_FUZZ_CHECK(out[i] == 0x5a, "wrote past outsz at %zu", i);
    if (rc == 0) {
        n = strnlen(out, GV_ACCOUNT_MAX + 1);
        GV_FUZZ_CHECK(n >= 1 && n <= r.max_length && n <= GV_ACCOUNT_MAX,
                      "'%s' gave %zu characters (max_length %u)", typed, n, r.max_length);
    } else {
        for (size_t i = 0; i < GV_ACCOUNT_MAX + 1; i++)
            GV_FUZZ_CHECK(out[i] == 0x5a, "a refusal wrote out[%zu]", i);
    }
    free(match);
    free(output);
    free(typed);
    return 0;
}
