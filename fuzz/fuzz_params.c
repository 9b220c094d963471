/* fuzz_params.c - the program parameters (gv_params_load): loaded whole
 * or refused with problems that name the file. */
#include "config.h"
#include "fuzz.h"

#include "calendar.h"
#include "params.h"

#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    gv_fuzz_setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = gv_fuzz_file("program.ini", data, size);
    gv_errlist_t errs = { 0 };
    gv_params_t *p = gv_params_load(path, &errs);

    GV_FUZZ_CHECK(!p != !errs.count, "%s, %zu problems", p ? "loaded" : "refused", errs.count);
    for (size_t i = 0; i < errs.count; i++)
        GV_FUZZ_CHECK(strncmp(errs.items[i], path, strlen(path)) == 0,
                      "a problem that does not name the file: %s", errs.items[i]);
    if (p) {
        /* The lookups of a billing run over the pilot's months. */
        int32_t day = gv_days_from_civil(2025, 9, 1), vat;
        int64_t v;
        const void *rp;
        (void)gv_params_price(p, "KZ-75", day, &v);
        (void)gv_params_vat(p, day, &vat);
        (void)gv_params_norm(p, "KZ-75", 9, &v);
        (void)gv_params_rule(p, day, &rp);
        GV_FUZZ_CHECK(gv_params_plausibility_milli(p) >= 0, "plausibility");
    }
    gv_params_free(p);
    gv_errlist_free(&errs);
    return 0;
}
