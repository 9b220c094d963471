/* fuzz_conf.c - gasvoucher.conf (gv_conf_load): a configuration or a list
 * of problems, each naming the file, never both and never neither. */
#include "config.h"
#include "fuzz.h"

#include "conf.h"

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
    const char *path = gv_fuzz_file("gasvoucher.conf", data, size);
    gv_errlist_t errs = { 0 };
    gv_conf_t *conf = gv_conf_load(path, &errs);

    GV_FUZZ_CHECK(!conf != !errs.count, "%s, %zu problems", conf ? "loaded" : "refused",
                  errs.count);
    for (size_t i = 0; i < errs.count; i++)
        GV_FUZZ_CHECK(strncmp(errs.items[i], path, strlen(path)) == 0,
                      "a problem that does not name the file: %s", errs.items[i]);
    if (conf) {
        GV_FUZZ_CHECK(conf->provider_bin && strlen(conf->provider_bin) == 12, "BIN");
        GV_FUZZ_CHECK(conf->pilot_start <= conf->pilot_end, "pilot dates");
        GV_FUZZ_CHECK(conf->pilot_region_count >= 1 && conf->pilot_region_count <= GV_MAX_REGIONS,
                      "regions");
        GV_FUZZ_CHECK(conf->wallet_tls || gv_hostport_is_loopback(&conf->wallet_listen),
                      "plain HTTP on %s", conf->wallet_listen.host);
    }
    gv_conf_free(conf);
    gv_errlist_free(&errs);
    return 0;
}
