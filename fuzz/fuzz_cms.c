/* fuzz_cms.c - detached CMS verification (gv_sig_verify_mem).
 *
 * Input: two bytes (big-endian) giving the signature's length, the DER
 * signature, then the signed bytes.  The trust anchor is the test wallet
 * signing CA that fuzz/run-fuzz.sh makes with tests/lib/certs.sh and names
 * in GV_FUZZ_SIGN_CA; its seeds are real signatures by that CA's signer, so
 * mutations start from signatures that verify.  The moment of receipt is
 * GV_FUZZ_AT (seconds since the epoch; the seeds' signing time) or else
 * the clock at start, fixed for the run. */
#include "config.h"
#include "fuzz.h"

#include "sig.h"

#include <string.h>
#include <time.h>

static gv_sig_verifier_t *verifier;
static time_t at;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *ca = getenv("GV_FUZZ_SIGN_CA"), *when = getenv("GV_FUZZ_AT");
    gv_err_t err;

    (void)argc;
    (void)argv;
    if (!ca) {
        fprintf(stderr, "fuzz_cms: GV_FUZZ_SIGN_CA must name the signing CA (PEM); "
                        "fuzz/run-fuzz.sh sets it\n");
        exit(2);
    }
    if (!(verifier = gv_sig_verifier_new(ca, &err))) {
        fprintf(stderr, "fuzz_cms: %s\n", err.msg);
        exit(2);
    }
    at = when ? (time_t)strtoll(when, NULL, 10) : time(NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gv_sig_info_t info;
    gv_err_t err = { { 0 } };
    size_t siglen;
    int rc;

    if (size < 2)
        return 0;
    siglen = (size_t)data[0] << 8 | data[1];
    if (siglen > size - 2)
        siglen = size - 2;
    rc = gv_sig_verify_mem(verifier, data + 2 + siglen, size - 2 - siglen, data + 2, siglen, at,
                           &info, &err);
    GV_FUZZ_CHECK(rc == 0 || rc == -1, "returned %d", rc);
    GV_FUZZ_CHECK(rc == 0 || err.msg[0], "refused without saying why");
    GV_FUZZ_CHECK(memchr(info.subject, 0, sizeof info.subject) &&
                  memchr(info.fingerprint, 0, sizeof info.fingerprint), "info unterminated");
    if (rc == 0)
        GV_FUZZ_CHECK(strlen(info.fingerprint) == 64 && info.subject[0],
                      "a good signature without its signer");
    return 0;
}
