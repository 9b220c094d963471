/* fuzz_base64.c - the X-Signature header's decoder.  It is strict (one
 * spelling per byte string), so whatever it accepts must encode back to
 * exactly the text it was given. */
#include "config.h"
#include "fuzz.h"

#include "sig.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = gv_fuzz_cstr(data, size);
    unsigned char *der = NULL;
    size_t len = 0;
    gv_err_t err;

    if (gv_sig_base64_decode(text, &der, &len, &err) == 0) {
        char *again = gv_sig_base64_encode(der, len);
        GV_FUZZ_CHECK(der != NULL, "success without a buffer");
        GV_FUZZ_CHECK(again && strcmp(again, text) == 0, "'%s' decoded, encodes as '%s'", text,
                      again ? again : "(null)");
        GV_FUZZ_CHECK(len == strlen(text) / 4 * 3 - (size_t)(text[0] && text[strlen(text) - 1] == '=')
                      - (size_t)(strlen(text) > 1 && text[strlen(text) - 2] == '='),
                      "length %zu for '%s'", len, text);
        free(again);
    }
    free(der);
    free(text);
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}
