/* fuzz_batch_xml.c - the VoucherBatch reader, XML form. */
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
    fuzz_batch(gv_fuzz_file("batch.xml", data, size), GV_FORM_XML);
    return 0;
}
