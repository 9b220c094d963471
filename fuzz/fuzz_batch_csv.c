/* fuzz_batch_csv.c - the VoucherBatch reader, CSV form (the batchId is the
 * file's name, so every input is read under one valid name). */
#include "config.h"
#include "batch_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    gv_fuzz_setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_batch(gv_fuzz_file("GVB-" FUZZ_OWN_BIN "-202509-001.csv", data, size), GV_FORM_CSV);
    return 0;
}
