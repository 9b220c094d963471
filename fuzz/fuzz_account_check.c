/* fuzz_account_check.c - the AccountCheckRequest reader, and the answer
 * made from what it read.
 *
 * Whatever the body, every answer the service would send (the response,
 * or the Fault carrying the reader's message and the requestId it saw)
 * must be valid against the wallet XSD: a wallet that cannot parse our
 * Fault cannot tell its user why. */
#include "config.h"
#include "fuzz.h"

#include "buf.h"
#include "msg.h"
#include "xmlsafe.h"

#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    gv_fuzz_setup();
    return 0;
}

/* Every char array of the request is terminated inside its bounds. */
static void check_terminated(const gv_account_check_req_t *r)
{
    GV_FUZZ_CHECK(memchr(r->request_id, 0, sizeof r->request_id), "requestId");
    GV_FUZZ_CHECK(memchr(r->provider_bin, 0, sizeof r->provider_bin), "ProviderBin");
    GV_FUZZ_CHECK(memchr(r->account, 0, sizeof r->account), "Account");
    GV_FUZZ_CHECK(memchr(r->period_text, 0, sizeof r->period_text), "Period");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gv_account_check_req_t req;
    gv_err_t err = { { 0 } }, verr;
    gv_buf_t out;
    gv_fault_t f;

    f = gv_msg_parse_account_check((const char *)data, size, &req, &err);
    check_terminated(&req);
    gv_buf_init(&out, 64 * 1024);
    if (f == GV_FAULT_NONE) {
        GV_FUZZ_CHECK(req.period.month >= 1 && req.period.month <= 12, "month %d",
                      req.period.month);
        GV_FUZZ_CHECK(req.request_id[0] && req.provider_bin[0],
                      "a request read without requestId or ProviderBin");
        GV_FUZZ_CHECK(gv_msg_account_check_response(&out, req.request_id, "NOT_FOUND", NULL,
                                                    req.sent_at) == 0, "response too large");
    } else {
        GV_FUZZ_CHECK(err.msg[0], "fault %s without a message", gv_fault_name(f));
        GV_FUZZ_CHECK(gv_msg_fault(&out, f, err.msg, req.request_id[0] ? req.request_id : NULL)
                      == 0, "fault too large");
    }
    GV_FUZZ_CHECK(gv_xml_validate(out.data, out.len, &verr) == 0, "our answer is not valid: %s\n%.*s",
                  verr.msg, (int)out.len, out.data);
    gv_buf_free(&out);
    return 0;
}
